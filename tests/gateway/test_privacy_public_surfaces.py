"""Operators' words never reach a public surface; the message to the reporter reaches only them.

Issue 13: every free text an operator writes (the note on verify, dispatch, start, reject,
archive, bounce, a duplicate decision) is internal. What the citizen reads is the explicit
message to the reporter (a reply, a resolution, or the message field of any other action):
sent on their channel, and on the tracking page only to a web or API citizen who proves the
secret code. The tracking page without the code, ``GET /api/v1/complaints/<id>`` and
Open311's ``GET requests`` carry status, unit, dates and category only. Each marker below is
a fake name and phone number, as an operator once wrote into a note.
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from console_support import add_operator, csrf, fast_hashing, login  # noqa: F401 (fixture)
from sqlalchemy import select
from web_samples import csrf_token

from casestore import complaints as store
from casestore import contacts, duplicates
from casestore.lifecycle import Action, apply_action, start_clocks
from casestore.models import Complaint, Message
from dispatcher.notifications import queue_status_notification
from gateway.api.open311 import STATUS_NOTES
from normalizer.citizen_secret import derive_citizen_secret, hash_citizen_secret
from normalizer.tracking import derive_tracking_id
from tests.case_records import complaint_record

_n = iter(range(1, 10**6))
SECRET = "test-secret-not-for-production"


def marker(kind: str) -> str:
    """A fake name and phone number, unique to one kind of operator text."""
    return f"Pak Budi {kind} 0812-7777-{zlib.crc32(kind.encode()) % 10000:04d}"


def new_case(session, channel: str = "web", privacy: str = "public") -> tuple[Complaint, str]:
    """A stored case and its citizen's secret code (a web/API citizen's proof)."""
    n = next(_n)
    key = f"{channel}:privacy-{n}"
    contact = None
    if channel in ("sms", "whatsapp", "twitter"):
        contact = contacts.get_or_create_contact(session, f"tel:+6281399{n:06d}")
    record = complaint_record(
        key,
        datetime.now(UTC) - timedelta(hours=1),
        text="Jalan berlubang di depan sekolah",
        privacy=privacy,
        category="jalan",
        kecamatan_code="11.04.17",
    )
    complaint = store.open_complaint(
        session,
        record,
        tracking_id=derive_tracking_id(key, SECRET),
        contact=contact,
        owner_unit="dinas-pupr",
    )
    start_clocks(complaint)
    code = derive_citizen_secret(key, SECRET)
    # SMS citizens are never given a code; one is set here anyway, to show the page would
    # still not print their messages (they were delivered on their channel).
    complaint.citizen_secret_hash = hash_citizen_secret(code)
    session.flush()
    return complaint, code


def act(session, runtime, complaint, action, **fields) -> list[Message]:
    """One action as the console and the partner API take it: the event, then the notice."""
    event = apply_action(session, complaint, action, actor="op", now=datetime.now(UTC), **fields)
    ids = queue_status_notification(session, complaint, event, runtime)
    return [session.get(Message, i) for i in ids]


def public_surfaces(client, tracking_id: str) -> dict[str, str]:
    """Everything anyone may read about a case without its secret code."""
    return {
        "track": client.get(f"/track/{tracking_id}").get_data(as_text=True),
        "track_en": client.get(f"/track/{tracking_id}?lang=en").get_data(as_text=True),
        "api": client.get(f"/api/v1/complaints/{tracking_id}").get_data(as_text=True),
        "open311_list": client.get("/open311/v2/requests.json").get_data(as_text=True),
        "open311_list_xml": client.get("/open311/v2/requests.xml").get_data(as_text=True),
        "open311_one": client.get(f"/open311/v2/requests/{tracking_id}.json").get_data(
            as_text=True
        ),
        "open311_by_id": client.get(
            f"/open311/v2/requests.json?service_request_id={tracking_id}"
        ).get_data(as_text=True),
    }


def assert_nowhere_public(client, tracking_id: str, text: str) -> None:
    leaks = [name for name, body in public_surfaces(client, tracking_id).items() if text in body]
    assert not leaks, f"{text!r} is public on {leaks}"


def track_with_code(client, tracking_id: str, code: str):
    token = csrf_token(client, f"/track/{tracking_id}")
    return client.post(f"/track/{tracking_id}/messages", data={"code": code, "csrf_token": token})


# --- every kind of operator note, through every public surface ----------------------------

# (kind, the actions leading up to it, the action whose note carries the marker, its fields)
NOTES = [
    ("verify", [], Action.VERIFY, {}),
    ("dispatch", [(Action.VERIFY, {})], Action.DISPATCH, {"unit": "dinas-perkim"}),
    (
        "start",
        [(Action.VERIFY, {}), (Action.DISPATCH, {"unit": "dinas-pupr"})],
        Action.START,
        {},
    ),
    ("reject", [], Action.REJECT, {"reason": "other"}),
    ("archive", [], Action.ARCHIVE, {"reason": "other"}),
    ("bounce", [], Action.BOUNCE, {"reason": "other"}),
    (
        "resolve",
        [(Action.VERIFY, {}), (Action.DISPATCH, {"unit": "dinas-pupr"}), (Action.START, {})],
        Action.RESOLVE,
        {"message_to_reporter": "Lubang sudah ditambal."},
    ),
    ("reply", [], Action.REPLY, {"message_to_reporter": "Petugas akan datang hari Kamis."}),
]


@pytest.mark.parametrize("channel", ["web", "sms"])
@pytest.mark.parametrize(
    ("kind", "before", "action", "fields"), NOTES, ids=[row[0] for row in NOTES]
)
def test_an_operator_note_is_on_no_public_surface(
    client, runtime, channel, kind, before, action, fields
):
    secret_words = marker(f"note-{kind}-{channel}")
    with runtime.sessions.begin() as session:
        complaint, code = new_case(session, channel)
        for earlier, earlier_fields in before:
            act(session, runtime, complaint, earlier, **earlier_fields)
        sent = act(session, runtime, complaint, action, note=secret_words, **fields)
        tracking_id = complaint.tracking_id
        # The internal note never travels to the citizen either.
        assert all(secret_words not in message.body for message in sent)
    assert_nowhere_public(client, tracking_id, secret_words)
    # Not even the citizen holding the code reads the operators' internal words.
    assert secret_words not in track_with_code(client, tracking_id, code).get_data(as_text=True)


def test_a_duplicate_decision_note_is_on_no_public_surface(client, runtime):
    suggested, confirmed = marker("dup-suggested"), marker("dup-confirmed")
    with runtime.sessions.begin() as session:
        master, _ = new_case(session, "web")
        complaint, code = new_case(session, "web")
        link = duplicates.suggest_duplicate(
            session, complaint, master, 0.9, now=datetime.now(UTC), note=suggested
        )
        session.flush()
        duplicates.confirm_duplicate(
            session, link, actor="koord", now=datetime.now(UTC), note=confirmed
        )
        tracking_ids = [complaint.tracking_id, master.tracking_id]
    for tracking_id in tracking_ids:
        for text in (suggested, confirmed):
            assert_nowhere_public(client, tracking_id, text)
    page = track_with_code(client, tracking_ids[0], code).get_data(as_text=True)
    assert suggested not in page and confirmed not in page


@pytest.mark.parametrize("channel", ["web", "sms"])
@pytest.mark.parametrize("action", [Action.REPLY, Action.RESOLVE, Action.VERIFY])
def test_the_message_to_the_reporter_is_on_no_public_surface(client, runtime, channel, action):
    words = marker(f"message-{action}-{channel}")
    with runtime.sessions.begin() as session:
        complaint, code = new_case(session, channel)
        if action is Action.RESOLVE:
            act(session, runtime, complaint, Action.VERIFY)
            act(session, runtime, complaint, Action.DISPATCH, unit="dinas-pupr")
            act(session, runtime, complaint, Action.START)
        sent = act(session, runtime, complaint, action, message_to_reporter=words)
        tracking_id = complaint.tracking_id
    assert_nowhere_public(client, tracking_id, words)
    with_code = track_with_code(client, tracking_id, code)
    assert with_code.status_code == 200
    if channel == "sms":
        # Delivered on the citizen's channel, and never printed on the public page.
        assert [m.channel for m in sent] == ["sms"] and words in sent[0].body
        assert words not in with_code.get_data(as_text=True)
    else:
        assert sent == []  # a web citizen reads it on the tracking page, with the code
        assert words in with_code.get_data(as_text=True)


def test_the_code_must_be_right_to_read_the_messages(client, runtime):
    words = marker("wrong-code")
    with runtime.sessions.begin() as session:
        complaint, _ = new_case(session, "web")
        act(session, runtime, complaint, Action.REPLY, message_to_reporter=words)
        tracking_id = complaint.tracking_id
    wrong = track_with_code(client, tracking_id, "AAAA-BBBB-CCCC")
    assert wrong.status_code == 403 and words not in wrong.get_data(as_text=True)
    assert "Kode rahasia tidak cocok" in wrong.get_data(as_text=True)


def test_the_api_citizen_reads_their_messages_with_the_secret_only(client, runtime):
    words, note = marker("api-message"), marker("api-note")
    with runtime.sessions.begin() as session:
        complaint, code = new_case(session, "api")
        act(session, runtime, complaint, Action.VERIFY, note=note, message_to_reporter=words)
        tracking_id = complaint.tracking_id
    public = client.get(f"/api/v1/complaints/{tracking_id}").get_json()
    assert "messages_to_reporter" not in public and words not in json.dumps(public)
    assert all(set(event) == {"at", "kind", "status"} for event in public["events"])
    mine = client.get(f"/api/v1/complaints/{tracking_id}", headers={"Citizen-Secret": code})
    assert mine.status_code == 200
    assert [m["text"] for m in mine.get_json()["messages_to_reporter"]] == [words]
    assert note not in mine.get_data(as_text=True)
    wrong = client.get(
        f"/api/v1/complaints/{tracking_id}", headers={"Citizen-Secret": "AAAA-BBBB-CCCC"}
    )
    assert wrong.status_code == 403


def test_an_old_note_stays_internal(client, runtime):
    """Events written before the message field existed: their note is treated as internal."""
    words = marker("old-note")
    with runtime.sessions.begin() as session:
        complaint, code = new_case(session, "web")
        event = apply_action(
            session, complaint, Action.VERIFY, actor="op", now=datetime.now(UTC), note=words
        )
        event.public = True
        tracking_id = complaint.tracking_id
    assert_nowhere_public(client, tracking_id, words)
    assert words not in track_with_code(client, tracking_id, code).get_data(as_text=True)


# --- what the public surfaces do carry ----------------------------------------------------


def test_open311_status_notes_are_a_fixed_phrase_per_status(client, runtime):
    with runtime.sessions.begin() as session:
        complaint, _ = new_case(session, "web")
        act(session, runtime, complaint, Action.VERIFY, note=marker("o311"))
        act(session, runtime, complaint, Action.REPLY, message_to_reporter=marker("o311-m"))
        tracking_id = complaint.tracking_id
    (one,) = client.get(f"/open311/v2/requests/{tracking_id}.json").get_json()
    assert one["status_notes"] == STATUS_NOTES["verified"]
    assert one["description"] is None and one["agency_responsible"]
    assert one["service_code"] == "jalan" and one["requested_datetime"]
    assert set(STATUS_NOTES) == {
        "received", "verified", "dispatched", "in_progress", "resolved", "closed",
        "rejected", "archived", "bounced", "duplicate", "waiting_reporter",
    }  # fmt: skip


def test_the_tracking_page_shows_status_unit_dates_and_category(client, runtime):
    with runtime.sessions.begin() as session:
        complaint, _ = new_case(session, "web")
        act(session, runtime, complaint, Action.VERIFY, note=marker("facts"))
        tracking_id = complaint.tracking_id
    page = client.get(f"/track/{tracking_id}").get_data(as_text=True)
    assert "Terverifikasi" in page and "Dinas Pekerjaan Umum" in page
    assert "Jalan" in page  # the category
    assert "WIB" in page  # dates in local time


# --- the policy, said where citizens and operators read it --------------------------------

POLICY_ID = "Halaman publik hanya menampilkan status, unit, tanggal dan kategori"
POLICY_EN = "Public pages show only the status, unit, dates and category"


def test_form_thank_you_and_tracking_pages_state_the_policy(client, runtime):
    assert POLICY_ID in client.get("/").get_data(as_text=True)
    assert POLICY_EN in client.get("/?lang=en").get_data(as_text=True)
    with runtime.sessions.begin() as session:
        complaint, _ = new_case(session, "web")
        tracking_id = complaint.tracking_id
    assert POLICY_ID in client.get(f"/track/{tracking_id}?lang=id").get_data(as_text=True)
    from gateway.app import create_app  # the thank-you page, rendered as the form answers

    app = create_app(runtime=runtime)
    with app.test_request_context("/"):
        from flask import render_template

        done = render_template("done.html", tracking_id=tracking_id, shown="X", citizen_secret="C")
    assert POLICY_ID in done and "kode rahasia" in done


@pytest.mark.usefixtures("fast_hashing")
def test_the_console_labels_internal_notes_and_the_message_to_the_reporter(client, runtime):
    add_operator(runtime, "koord")
    login(client, "koord")
    words, note = marker("console-message"), marker("console-note")
    with runtime.sessions.begin() as session:
        complaint, _ = new_case(session, "sms")
        tracking_id = complaint.tracking_id
    page = client.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "Pesan untuk pelapor (dikirim ke pelapor; jangan tulis data pribadi)" in page
    assert "Catatan internal (tidak dikirim ke pelapor dan tidak tampil di publik)" in page
    assert 'name="message_to_reporter"' in page
    english = client.get(f"/console/cases/{tracking_id}?lang=en").get_data(as_text=True)
    assert "Message to the reporter (sent to the reporter; no personal data)" in english
    token = csrf(client, f"/console/cases/{tracking_id}")
    client.post(
        f"/console/cases/{tracking_id}/actions",
        data={
            "csrf_token": token,
            "action": "verify",
            "note": note,
            "message_to_reporter": words,
        },
    )
    with runtime.sessions() as session:
        bodies = [
            m.body
            for m in session.scalars(
                select(Message).where(Message.direction == "out", Message.intent != "ack")
            )
        ]
    assert any(words in body for body in bodies) and not any(note in body for body in bodies)
    case_page = client.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert words in case_page and note in case_page  # operators read both, labelled
    assert_nowhere_public(client, tracking_id, words)
    assert_nowhere_public(client, tracking_id, note)


def test_the_partner_api_takes_an_internal_note_and_a_message_to_the_reporter(client, runtime):
    from casestore import api_keys

    with runtime.sessions.begin() as session:
        key = api_keys.create_key(session, "pupr-app", unit_code="dinas-pupr").key
        complaint, _ = new_case(session, "sms")
        tracking_id = complaint.tracking_id
    words, note = marker("partner-message"), marker("partner-note")
    answer = client.post(
        f"/api/v1/cases/{tracking_id}/actions",
        json={"action": "reply", "note": note, "message_to_reporter": words},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 200, answer.get_json()
    (event,) = [e for e in answer.get_json()["events"] if e["kind"] == "reply"]
    assert event["note"] == note and event["message_to_reporter"] == words
    with runtime.sessions() as session:
        (sent,) = session.scalars(select(Message).where(Message.intent == "status_changed"))
        assert words in sent.body and note not in sent.body
    assert_nowhere_public(client, tracking_id, words)
    assert_nowhere_public(client, tracking_id, note)
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "message_to_reporter" in json.dumps(spec["components"]["schemas"])
