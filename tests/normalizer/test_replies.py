"""Citizen replies: every shipped template fits two GSM-7 SMS with the longest values we send."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from config import catalogs
from config.texts import read_replies
from normalizer.replies import (
    ELLIPSIS,
    ReplyBook,
    build_replies,
    placeholders,
    render_reply,
)
from normalizer.segments import count_segments

STATUSES = [
    "received", "verified", "dispatched", "in_progress", "resolved",
    "closed", "rejected", "archived", "bounced", "duplicate",
]  # fmt: skip
TEMPLATES = [
    "ack", "ack_confidential", "status", "follow_up_added", "joined_existing", "withdrawn",
    "opted_out", "opted_in", "help", "unknown_id", "need_details", "rate_limited",
    "status_changed", "closed",
]  # fmt: skip
SHOWN_ID = "ABCDE-12345"
URL_60 = "https://satupintu.acehtengahkab.go.id/track/ABCDE12345?l=123"
UNIT_40 = "Dinas Pekerjaan Umum dan Penataan Ruang."
LONG_NOTE = "Tim sudah meninjau lokasi dan perbaikan dijadwalkan pekan depan. " * 8


@pytest.fixture(scope="module")
def book() -> ReplyBook:
    return build_replies(*read_replies())


def longest_label(book: ReplyBook) -> str:
    labels = [book.template(f"status.{code}", lang) for code in STATUSES for lang in ("id", "en")]
    return max(labels, key=len)


def worst_case_values(book: ReplyBook) -> dict[str, str]:
    return {
        "tracking_id": SHOWN_ID,
        "track_url": URL_60,
        "status": longest_label(book),
        "unit": UNIT_40,
        "note": LONG_NOTE,
    }


def test_worst_case_values_are_as_long_as_promised(book):
    assert len(URL_60) == 60
    assert len(UNIT_40) == 40
    assert longest_label(book) == "Dikembalikan ke koordinator"


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_fits_two_gsm7_segments(book, name, lang):
    values = worst_case_values(book)
    text = render_reply(book, name, lang, **values)
    result = count_segments(text)
    assert result.encoding == "GSM-7"
    assert result.segments <= 2
    # The id and the link are never shortened.
    template = book.template(name, lang)
    if "tracking_id" in placeholders(template):
        assert SHOWN_ID in text
    if "track_url" in placeholders(template):
        assert URL_60 in text


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_template_and_label_is_translated(book, lang):
    names = set(TEMPLATES) | {f"status.{code}" for code in STATUSES}
    assert names <= set(book.texts[lang])


@pytest.mark.parametrize(
    ("code", "indonesian", "english"),
    [
        ("received", "Belum Terverifikasi", "Received"),
        ("verified", "Terverifikasi", "Verified"),
        ("dispatched", "Didisposisikan", "Dispatched"),
        ("in_progress", "Ditindaklanjuti", "In progress"),
        ("resolved", "Selesai", "Resolved"),
        ("closed", "Ditutup", "Closed"),
        ("rejected", "Ditolak", "Rejected"),
        ("archived", "Diarsipkan", "Archived"),
        ("bounced", "Dikembalikan ke koordinator", "Returned to coordinator"),
        ("duplicate", "Digabung", "Merged"),
    ],
)
def test_status_labels(book, code, indonesian, english):
    assert render_reply(book, f"status.{code}", "id") == indonesian
    assert render_reply(book, f"status.{code}", "en") == english


def test_ack_shows_id_and_link(book):
    text = render_reply(book, "ack", "id", tracking_id=SHOWN_ID, track_url=URL_60)
    assert text.startswith("SatuPintu Aceh Tengah: Terima kasih")
    assert f"nomor {SHOWN_ID}" in text
    assert URL_60 in text


def test_confidential_ack_says_nothing_but_receipt_and_id(book):
    for lang in ("id", "en"):
        assert placeholders(book.template("ack_confidential", lang)) == {"tracking_id"}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_opted_out_says_how_to_opt_back_in(book, lang):
    assert "MULAI" in render_reply(book, "opted_out", lang)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_help_explains_every_command(book, lang):
    text = render_reply(book, "help", lang)
    for command in ("LAPOR <", "CEK <", "INFO <", "BATAL <", "RAHASIA <", "STOP"):
        assert command in text


@pytest.mark.parametrize("lang", ["id", "en"])
def test_unknown_id_reveals_nothing(book, lang):
    # No placeholders at all: the same words whatever the id and whoever owns it.
    assert placeholders(book.template("unknown_id", lang)) == frozenset()


def test_empty_note_leaves_no_trailing_space(book):
    text = render_reply(
        book, "status_changed", "id", tracking_id=SHOWN_ID, status="Selesai", note=""
    )
    assert text.endswith("kini Selesai.")


def test_short_note_is_kept_whole(book):
    note = "Lubang sudah ditambal."
    text = render_reply(
        book, "status_changed", "en", tracking_id=SHOWN_ID, status="Resolved", note=note
    )
    assert text.endswith(note)


def test_long_note_is_shortened_with_ellipsis(book):
    text = render_reply(
        book, "status_changed", "id", tracking_id=SHOWN_ID, status="Selesai", note=LONG_NOTE
    )
    assert text.endswith(ELLIPSIS)
    kept = text.split("kini Selesai. ", 1)[1].removesuffix(ELLIPSIS)
    assert LONG_NOTE.startswith(kept)
    # As much of the note as fits: two full segments of 153 septets, less a trimmed space.
    result = count_segments(text)
    assert result.segments == 2
    assert result.units >= 2 * 153 - 1


def test_note_with_emoji_is_shortened_to_fit_ucs2(book):
    note = "\U0001f44d Terima kasih, jalan sudah diperbaiki dan bisa dilalui kembali. " * 4
    text = render_reply(
        book, "status_changed", "id", tracking_id=SHOWN_ID, status="Selesai", note=note
    )
    result = count_segments(text)
    assert result.encoding == "UCS-2"
    assert result.segments == 2
    # Two segments of 67 UTF-16 units, less at most a trimmed space and one emoji pair.
    assert result.units >= 2 * 67 - 3
    assert text.endswith(ELLIPSIS)
    assert "\U0001f44d" in text
    assert SHOWN_ID in text


def test_unit_gives_way_after_note(book):
    unit = "Dinas " + "Pekerjaan Umum " * 30
    text = render_reply(
        book, "status", "id", tracking_id=SHOWN_ID, track_url=URL_60, status="Selesai", unit=unit
    )
    assert count_segments(text).segments <= 2
    assert "Ditangani oleh: Dinas Pekerjaan Umum" in text
    assert f"{ELLIPSIS}. Rincian: {URL_60}" in text


def test_empty_note_stays_empty_when_the_unit_is_shortened():
    book = build_replies({"id": {"templates": {"update": "Unit: {unit}. {note}"}}})
    text = render_reply(book, "update", "id", unit="Dinas " * 60, note="")
    assert text.endswith(ELLIPSIS + ".")
    assert count_segments(text).segments == 2


def test_one_segment_budget(book):
    text = render_reply(
        book,
        "status_changed",
        "id",
        max_segments=1,
        tracking_id=SHOWN_ID,
        status="Selesai",
        note=LONG_NOTE,
    )
    assert count_segments(text).segments == 1


def test_reply_that_cannot_fit_raises(book):
    huge_url = "https://satupintu.acehtengahkab.go.id/" + "x" * 400
    with pytest.raises(ValueError, match="does not fit 2 SMS"):
        render_reply(book, "ack", "id", tracking_id=SHOWN_ID, track_url=huge_url)


def test_english_falls_back_to_indonesian_per_template():
    book = build_replies(
        {
            "id": {"templates": {"help": "Bantuan", "ack": "Nomor {tracking_id}"}},
            "en": {"templates": {"help": "Help"}},
        }
    )
    assert render_reply(book, "help", "en") == "Help"
    assert render_reply(book, "ack", "en", tracking_id=SHOWN_ID) == f"Nomor {SHOWN_ID}"


@pytest.mark.parametrize("lang", ["fr", "", "EN"])
def test_unknown_language_falls_back_to_indonesian(book, lang):
    assert render_reply(book, "help", lang) == render_reply(book, "help", "id")


def test_unknown_template_is_a_clear_key_error(book):
    with pytest.raises(KeyError, match="unknown reply template 'akc'"):
        render_reply(book, "akc", "id")


def test_missing_placeholder_is_a_clear_key_error(book):
    with pytest.raises(KeyError, match=r"reply 'ack' needs value\(s\) \['track_url'\]"):
        render_reply(book, "ack", "en", tracking_id=SHOWN_ID)


def test_extra_values_are_ignored(book):
    text = render_reply(book, "help", "id", tracking_id=SHOWN_ID, note="x", name="y", lang="z")
    assert text == render_reply(book, "help", "id")


def test_values_are_not_reinterpreted_as_templates(book):
    text = render_reply(
        book, "status_changed", "id", tracking_id=SHOWN_ID, status="Selesai", note="{track_url}"
    )
    assert text.endswith("{track_url}")


def test_default_replies_are_the_catalogs_beside_the_config_package():
    assert read_replies().source == str(catalogs.po_path("*", "replies"))
    assert catalogs.po_path("id", "replies").is_file()
    assert catalogs.po_path("en", "replies").is_file()


def _shipped_tables() -> dict:
    return copy.deepcopy(read_replies().data)


BAD_FILES = [
    (
        "emoji in a template",
        lambda d: d["id"]["templates"].update(help="Halo \U0001f600"),
        "outside GSM-7",
    ),
    (
        "curly quote",
        lambda d: d["en"]["templates"].update(help="\u201cHelp\u201d"),
        "outside GSM-7",
    ),
    (
        "translation with other placeholders",
        lambda d: d["en"]["templates"].update(withdrawn="Complaint {id} withdrawn."),
        "'withdrawn' uses ['id'], but the id text uses ['tracking_id']",
    ),
    (
        "translation only",
        lambda d: d["en"]["templates"].update(extra="Extra"),
        "'extra' has no id version",
    ),
    ("attribute access", lambda d: d["id"]["templates"].update(help="{x.__class__}"), "plain name"),
    ("positional field", lambda d: d["id"]["templates"].update(help="{0}"), "plain name"),
    ("format spec", lambda d: d["id"]["templates"].update(help="{note:>500}"), "plain name"),
    ("unbalanced brace", lambda d: d["id"]["templates"].update(help="Halo {"), "'help'"),
    ("empty text", lambda d: d["id"]["status"].update(closed=" "), "non-empty text"),
    ("no indonesian", lambda d: d.pop("id"), "no [id.templates]"),
    ("unknown table", lambda d: d["en"].update(labels={}), "may only hold"),
]


@pytest.mark.parametrize(("label", "change", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_reply_files_are_refused(label, change, message):
    tables = _shipped_tables()
    change(tables)
    with pytest.raises(ValueError) as excinfo:
        build_replies(tables)
    assert message in str(excinfo.value)


def test_load_replies_reads_another_file(tmp_path: Path):
    path = tmp_path / "replies.toml"
    path.write_text('[id.templates]\nhelp = "Ketik LAPOR <isi>."\n', encoding="utf-8")
    assert render_reply(build_replies(*read_replies(path)), "help", "en") == "Ketik LAPOR <isi>."


def test_book_is_frozen(book):
    with pytest.raises(TypeError):
        book.texts["id"]["help"] = "x"  # type: ignore[index]
