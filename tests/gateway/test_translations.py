"""The gettext catalogs: complete in both languages, used by pages, dates, the API and the console.

The check itself (gateway/catalog_check.py, `satupintu translations check`) is run against the
shipped .po files, and against broken copies so it is seen to fail for each kind of fault.
"""

from __future__ import annotations

import html
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from console_support import act, login, sms_complaint, web_complaint
from sqlalchemy import select

from casestore.lifecycle import Action, Refusal, apply_action
from casestore.models import Complaint
from config import catalogs
from gateway import catalog_check as gateway_catalogs
from gateway import i18n
from gateway.cli import main

AUGUST_17 = datetime(2026, 8, 17, 3, 5, tzinfo=UTC)  # 10:05 WIB


def test_the_shipped_catalogs_have_no_problem():
    assert gateway_catalogs.problems() == []


def test_the_check_command_says_so(cli_settings):
    result = CliRunner().invoke(main, ["translations", "check"])
    assert result.exit_code == 0, result.output
    assert "0 problem(s)" in result.output


def test_both_languages_have_the_same_keys_and_placeholders():
    for domain in catalogs.DOMAINS:
        indonesian, english = (catalogs.entries(lang, domain) for lang in ("id", "en"))
        assert set(indonesian) == set(english), domain
        assert len(indonesian) > 20
        for key, text in indonesian.items():
            assert catalogs.placeholders(text) == catalogs.placeholders(english[key]), key
    assert catalogs.placeholders(catalogs.text("limit.again", "en")) == {"when"}


def test_every_key_the_code_uses_is_found_by_extraction():
    used = gateway_catalogs.used_keys()
    # Python call sites and templates both: t("...") in a view, _("...") in a template.
    assert used["track.code.wrong"].startswith("gateway/public/")
    assert used["form.title"].startswith("gateway/templates/")
    assert used["console.action.failed"].startswith("gateway/console/")


def _broken_copy(tmp_path: Path, monkeypatch, lang: str, old: str, new: str) -> None:
    copy = tmp_path / "translations"
    shutil.copytree(catalogs.TRANSLATIONS_DIR, copy)
    po = catalogs.po_path(lang, "messages", copy)
    text = po.read_text(encoding="utf-8")
    assert old in text
    po.write_text(text.replace(old, new, 1), encoding="utf-8")
    monkeypatch.setattr(catalogs, "TRANSLATIONS_DIR", copy)
    catalogs.entries.cache_clear()
    catalogs.translations.cache_clear()


BROKEN = [
    (
        "a key missing in English",
        "en",
        'msgid "track.go"\nmsgstr "Track"\n',
        "",
        "'track.go' is missing in en",
    ),
    (
        "a key only in English",
        "en",
        'msgid "track.go"\n',
        'msgid "track.gone"\nmsgstr "Gone"\n\nmsgid "track.go"\n',
        "'track.gone' is in en but not in id",
    ),
    ("an empty translation", "en", 'msgstr "Track"\n', 'msgstr ""\n', "'track.go' has no"),
    (
        "a fuzzy entry",
        "id",
        'msgid "track.go"\n',
        '#, fuzzy\nmsgid "track.go"\n',
        "'track.go' is fuzzy",
    ),
    (
        "another placeholder",
        "en",
        "Send it again in {when}.",
        "Send it again in {wait}.",
        "'limit.again' uses ['wait'] in en, ['when'] in id",
    ),
    (
        "placeholders without the flag",
        "en",
        '#, python-brace-format\nmsgid "limit.again"',
        'msgid "limit.again"',
        '"limit.again" has placeholders but no python-brace-format flag',
    ),
    (
        "a key nothing uses",
        "id",
        'msgid "track.go"\n',
        'msgid "track.unused"\nmsgstr "x"\n\nmsgid "track.go"\n',
        "'track.unused' is used nowhere",
    ),
    (
        "a used key deleted from both",
        "id",
        'msgid "track.go"\nmsgstr "Lacak"\n',
        "",
        "'track.go' (gateway/templates/",
    ),
]


@pytest.mark.parametrize(
    ("label", "lang", "old", "new", "expected"), BROKEN, ids=[b[0] for b in BROKEN]
)
def test_the_check_finds_each_fault(tmp_path, monkeypatch, label, lang, old, new, expected):
    if label == "a used key deleted from both":
        _broken_copy(tmp_path, monkeypatch, "id", old, new)
        copy = catalogs.TRANSLATIONS_DIR
        en = catalogs.po_path("en", "messages", copy)
        en.write_text(
            en.read_text(encoding="utf-8").replace('msgid "track.go"\nmsgstr "Track"\n', ""),
            encoding="utf-8",
        )
        catalogs.entries.cache_clear()
    else:
        _broken_copy(tmp_path, monkeypatch, lang, old, new)
    try:
        found = gateway_catalogs.problems()
    finally:
        catalogs.entries.cache_clear()
        catalogs.translations.cache_clear()
    assert any(expected in line for line in found), found


def test_the_catalogs_ship_with_the_package():
    import configparser

    setup = configparser.ConfigParser()
    setup.read(Path(__file__).resolve().parents[2] / "setup.cfg")
    patterns = setup["options.package_data"]["config"]
    assert "data/translations/*/LC_MESSAGES/*.po" in patterns
    assert sorted(p.parent.parent.name for p in catalogs.TRANSLATIONS_DIR.glob("*/*/*.po")) == [
        "en",
        "en",
        "id",
        "id",
    ]


def test_the_form_page_in_indonesian_and_english(client):
    indonesian = client.get("/").get_data(as_text=True)
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Sampaikan laporan Anda" in indonesian and "Kirim laporan" in indonesian
    assert "Tell us what happened" in english and "Send report" in english
    assert "Sampaikan laporan Anda" not in english
    for page in (indonesian, english):
        assert "form.title" not in page and "form.privacy." not in page  # no raw key
    # The choice sticks for the session.
    assert "Tell us what happened" in client.get("/").get_data(as_text=True)


def test_dates_and_numbers_in_both_languages(app):
    with app.test_request_context("/"):
        from flask import g

        g.lang = "id"
        assert i18n.local_time(AUGUST_17) == "17 Agu 2026 10:05 WIB"
        assert i18n.local_date(AUGUST_17) == "17 Agustus 2026"
        assert i18n.number(12345) == "12.345"
        assert i18n.in_minutes(1500) == "25 menit"
        g.lang = "en"
        assert i18n.local_time(AUGUST_17) == "17 Aug 2026 10:05 WIB"
        assert i18n.local_date(AUGUST_17) == "August 17, 2026"
        assert i18n.number(12345) == "12,345"
        assert i18n.in_minutes(60) == "1 minute"


def test_dates_follow_the_district_timezone(app, runtime, monkeypatch):
    monkeypatch.setattr(runtime, "settings", replace(runtime.settings, timezone="Asia/Jayapura"))
    with app.test_request_context("/"):
        assert i18n.local_time(AUGUST_17) == "17 Agu 2026 12:05 WIT"


def test_the_tracking_page_dates_in_both_languages(client, runtime, work):
    tracking_id = web_complaint(runtime, "translations-track-1", received_at=AUGUST_17)
    work()
    indonesian = client.get(f"/track/{tracking_id}").get_data(as_text=True)
    english = client.get(f"/track/{tracking_id}?lang=en").get_data(as_text=True)
    assert "17 Agu 2026 10:05 WIB" in indonesian and "Riwayat" in indonesian
    assert "17 Aug 2026 10:05 WIB" in english and "History" in english


def test_an_api_refusal_is_english_with_its_code(client, runtime, work):
    from tests.gateway.test_api_partners import bearer, file_cases, new_key

    (tracking_id,) = file_cases(client, work, 1)
    with runtime.sessions.begin() as session:
        complaint = session.scalars(select(Complaint)).one()
        apply_action(session, complaint, Action.VERIFY, actor="admin", now=datetime.now(UTC))
        apply_action(
            session, complaint, Action.DISPATCH, actor="admin", now=datetime.now(UTC), unit="pdam"
        )
    key = new_key(runtime, "pdam")
    refused = client.post(
        f"/api/v1/cases/{tracking_id}/actions", json={"action": "resolve"}, headers=bearer(key)
    )
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["code"] == Refusal.NOT_FROM_STATUS == "not_from_status"
    assert body["detail"] == "Action 'resolve' is not allowed for a case in status 'dispatched'."
    started = client.post(
        f"/api/v1/cases/{tracking_id}/actions", json={"action": "start"}, headers=bearer(key)
    )
    assert started.status_code == 200
    missing = client.post(
        f"/api/v1/cases/{tracking_id}/actions", json={"action": "resolve"}, headers=bearer(key)
    ).get_json()
    assert missing["code"] == "missing_field"
    assert missing["detail"] == "Action 'resolve' needs a message to the reporter."


def test_the_console_says_a_refusal_in_indonesian_then_english(client, runtime, work, staff):
    tracking_id = sms_complaint(runtime, "SM" + "7" * 32)
    work()
    login(client, "koord")
    response = act(client, tracking_id, "close")
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert (
        "Tindakan tidak dapat dilakukan: Tindakan 'close' tidak diizinkan untuk aduan "
        "berstatus 'received'." in page
    )
    client.get(f"/console/cases/{tracking_id}?lang=en")
    response = act(client, tracking_id, "dispatch")
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "The action cannot be done: Action 'dispatch' is not allowed" in page
    assert "Tindakan" not in page.split("The action cannot be done")[1][:80]


def test_a_refusal_in_both_languages_fills_translated_field_names():
    from casestore.refusals import TransitionError

    refusal = TransitionError(Refusal.MISSING_FIELD, action="reject", fields=["reason", "note"])
    assert str(refusal) == "Tindakan 'reject' memerlukan kode alasan, catatan."
    assert refusal.message("en") == "Action 'reject' needs a reason code, a note."
    words = TransitionError("Laporan induk tidak ditemukan.")  # the console's own words
    assert words.code is Refusal.REFUSED and words.message("en") == str(words)


def test_reason_labels_come_from_the_catalogs_in_both_languages(client, runtime, work, staff):
    from casestore.reasons import BOUNCE_REASONS, reason_label

    assert BOUNCE_REASONS["not_authority"] == "Bukan wewenang unit ini"
    assert reason_label("reject", "spam", "en") == "Spam or advertising"
    assert reason_label("verify", "spam") == "" and reason_label("terbang", "spam") == ""
    tracking_id = sms_complaint(runtime, "SM" + "8" * 32)
    work()
    login(client, "koord")
    indonesian = html.unescape(client.get(f"/console/cases/{tracking_id}").get_data(as_text=True))
    english = html.unescape(
        client.get(f"/console/cases/{tracking_id}?lang=en").get_data(as_text=True)
    )
    assert "Pesan sampah/promosi" in indonesian and "Spam or advertising" not in indonesian
    assert "Spam or advertising" in english and "Pesan sampah/promosi" not in english
