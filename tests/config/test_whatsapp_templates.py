"""The WhatsApp templates file: the shipped one loads, and every bad entry is refused with the
file and the entry named (a table, one row per mistake an operator makes copying SIDs)."""

from __future__ import annotations

import pytest

from config.reference import ReferenceDataError
from config.whatsapp import TEMPLATES_FILE, load_whatsapp_templates

SID = "HX" + "0123456789abcdef" * 2


def test_the_shipped_file_loads_with_no_sid_approved_yet():
    assert TEMPLATES_FILE.exists()
    assert dict(load_whatsapp_templates()) == {}  # SIDs are each account's own


def test_an_approved_template_gives_its_content_variables(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(
        f'[status_changed.id]\ncontent_sid = "{SID}"\n'
        'variables = { "1" = "tracking_id", "2" = "status" }\n'
        '[status_changed.en]\ncontent_sid = ""\nvariables = { "1" = "tracking_id" }\n'
    )
    templates = load_whatsapp_templates(path)
    assert set(templates) == {("status_changed", "id")}  # an empty SID is not approved yet
    template = templates[("status_changed", "id")]
    assert template.content_sid == SID
    assert template.content_variables({"tracking_id": "7K3MQ-X9A2B"}) == {
        "1": "7K3MQ-X9A2B",
        "2": "",  # never left out: Twilio refuses a template with a placeholder missing
    }


BAD = [
    ("not TOML", "[status_changed.id\n", "not valid TOML"),
    ("a kind that is not a table", 'status_changed = "HX1"\n', "table of languages"),
    ("an unknown language", f'[closed.fr]\ncontent_sid = "{SID}"\n', "language"),
    ("a SID of the wrong shape", '[closed.id]\ncontent_sid = "HX123"\n', "content_sid"),
    ("a message SID, not a content SID", f'[closed.id]\ncontent_sid = "SM{SID[2:]}"\n', "HX"),
    (
        "variables that are not a table",
        f'[closed.id]\ncontent_sid = "{SID}"\nvariables = 1\n',
        "variables",
    ),
    (
        "a placeholder that is not a number",
        f'[closed.id]\ncontent_sid = "{SID}"\nvariables = {{ "one" = "tracking_id" }}\n',
        "placeholder",
    ),
    (
        "a value nobody fills",
        f'[closed.id]\ncontent_sid = "{SID}"\nvariables = {{ "1" = "phone" }}\n',
        "must be one of",
    ),
    ("an unknown key (a typo)", f'[closed.id]\ncontent_sids = "{SID}"\n', "unknown key"),
    (
        "quick replies that are not a list",
        f'[rating_ask.id]\ncontent_sid = "{SID}"\nquick_replies = "NILAI 1"\n',
        "quick_replies",
    ),
    (
        "more than ten quick replies",
        f'[rating_ask.id]\ncontent_sid = "{SID}"\n'
        f"quick_replies = {[f'NILAI {n}' for n in range(11)]}\n",
        "at most 10",
    ),
    (
        "an empty quick reply id",
        f'[rating_ask.id]\ncontent_sid = "{SID}"\nquick_replies = ["NILAI 1", " "]\n',
        "1 to 200",
    ),
    (
        "a repeated quick reply id",
        f'[rating_ask.id]\ncontent_sid = "{SID}"\nquick_replies = ["NILAI 1", "NILAI 1"]\n',
        "repeat",
    ),
]


def test_quick_replies_make_a_template_interactive(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(
        f'[rating_ask.id]\ncontent_sid = "{SID}"\nvariables = {{ "1" = "tracking_id" }}\n'
        'quick_replies = ["NILAI 1", "NILAI 2", "NILAI 3", "NILAI 4", "NILAI 5"]\n'
        f'[closed.id]\ncontent_sid = "{SID}"\n'
    )
    templates = load_whatsapp_templates(path)
    rating = templates[("rating_ask", "id")]
    assert rating.interactive and rating.quick_replies[3] == "NILAI 4"
    assert not templates[("closed", "id")].interactive


@pytest.mark.parametrize(("label", "text", "words"), BAD, ids=[row[0] for row in BAD])
def test_a_bad_file_is_refused_naming_the_entry(tmp_path, label, text, words):
    path = tmp_path / f"{label.replace(' ', '_')}.toml"
    path.write_text(text)
    with pytest.raises(ReferenceDataError) as refused:
        load_whatsapp_templates(path)
    assert words in str(refused.value) and str(path.name) in str(refused.value)
