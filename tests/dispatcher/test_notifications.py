"""Every transition reaches the citizen on their channel, unless STOP or privacy says no."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from casestore import complaints as store
from casestore import contacts
from casestore.lifecycle import Action, apply_action, start_clocks
from casestore.models import Message
from dispatcher.notifications import queue_status_notification
from normalizer.tracking import derive_tracking_id, format_tracking_id
from tests.case_records import complaint_record

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
_n = iter(range(1, 10**6))


@pytest.fixture
def session(runtime):
    with runtime.sessions() as session:
        yield session
        session.rollback()


def new_case(session, channel="sms", privacy="public", language="id", urn=None):
    n = next(_n)
    contact = contacts.get_or_create_contact(session, urn or f"tel:+6281270{n:06d}")
    complaint = store.open_complaint(
        session,
        complaint_record(f"{channel}:ext-{n}", NOW, privacy=privacy, language=language),
        tracking_id=derive_tracking_id(f"{channel}:ext-{n}", "test-secret"),
        contact=contact,
        owner_unit="dinas-pupr",
    )
    start_clocks(complaint)
    session.flush()
    return complaint


def act(session, runtime, complaint, action, **fields):
    event = apply_action(session, complaint, action, actor="op", now=NOW, **fields)
    ids = queue_status_notification(session, complaint, event, runtime)
    return [session.get(Message, i) for i in ids]


def test_each_status_change_is_told_on_the_original_channel(session, runtime):
    complaint = new_case(session)
    shown = format_tracking_id(complaint.tracking_id)
    (verified,) = act(session, runtime, complaint, Action.VERIFY)
    assert verified.channel == "sms" and verified.contact_id == complaint.contact_id
    assert verified.body == f"SatuPintu Aceh Tengah: Status aduan {shown} kini Terverifikasi."
    act(session, runtime, complaint, Action.DISPATCH, unit="dinas-pupr")
    act(session, runtime, complaint, Action.START)
    (resolved,) = act(
        session, runtime, complaint, Action.RESOLVE, message_to_reporter="Lubang sudah ditambal."
    )
    assert resolved.body.endswith("kini Selesai. Lubang sudah ditambal.")
    (closed,) = act(session, runtime, complaint, Action.CLOSE)
    assert closed.intent == "closed" and "telah ditutup" in closed.body
    assert [m.intent for m in session.scalars(select(Message))] == [
        "status_changed",
        "status_changed",
        "status_changed",
        "status_changed",
        "closed",
    ]


def test_an_operator_reply_is_sent_and_a_rejection_gives_its_reason(session, runtime):
    complaint = new_case(session)
    (reply,) = act(
        session,
        runtime,
        complaint,
        Action.REPLY,
        message_to_reporter="Petugas datang hari Kamis.",
        note="Sudah ditelepon Pak Budi 0812-1111-2222",
    )
    assert "Pak Budi" not in reply.body  # the internal note is never sent
    assert reply.body.endswith("kini Belum Terverifikasi. Petugas datang hari Kamis.")
    (rejected,) = act(session, runtime, complaint, Action.REJECT, reason="not_a_complaint")
    assert rejected.body.endswith("kini Ditolak. Bukan pengaduan pelayanan publik")


def test_english_speakers_are_told_in_english(session, runtime):
    complaint = new_case(session, language="en")
    (message,) = act(session, runtime, complaint, Action.VERIFY)
    assert "is now: Verified" in message.body


def test_a_bounce_tells_the_status_but_not_the_units_note(session, runtime):
    complaint = new_case(session)
    (message,) = act(
        session, runtime, complaint, Action.BOUNCE, reason="other", note="Bukan urusan kami, PLN"
    )
    assert "Dikembalikan ke koordinator" in message.body and "PLN" not in message.body


def test_confidential_cases_get_the_status_without_the_note(session, runtime):
    complaint = new_case(session, privacy="confidential")
    act(session, runtime, complaint, Action.VERIFY)
    act(session, runtime, complaint, Action.DISPATCH, unit="inspektorat")
    act(session, runtime, complaint, Action.START)
    (message,) = act(
        session, runtime, complaint, Action.RESOLVE, message_to_reporter="Pegawai X diperiksa"
    )
    assert message.body.endswith("kini Selesai.")


def test_confidential_cases_are_not_answered_in_public_tweets(session, runtime):
    complaint = new_case(session, channel="twitter", privacy="confidential", urn="twitter:42")
    assert act(session, runtime, complaint, Action.VERIFY) == []
    public = new_case(session, channel="twitter", urn="twitter:43")
    (tweet,) = act(session, runtime, public, Action.VERIFY)
    assert tweet.reply_to == public.idempotency_key.partition(":")[2]  # in the thread


@pytest.mark.parametrize("channel", ["web", "api"])
def test_web_and_api_citizens_read_the_tracking_page(session, runtime, channel):
    assert act(session, runtime, new_case(session, channel=channel), Action.VERIFY) == []


def test_opted_out_citizens_are_not_told(session, runtime):
    complaint = new_case(session)
    complaint.contact.opted_out = True
    assert act(session, runtime, complaint, Action.VERIFY) == []


def test_the_note_is_internal_and_the_message_to_the_reporter_is_sent(session, runtime):
    complaint = new_case(session)
    (verified,) = act(session, runtime, complaint, Action.VERIFY, note="Pelapor: Ibu Sari 0812")
    assert "Ibu Sari" not in verified.body and verified.body.endswith("kini Terverifikasi.")
    (dispatched,) = act(
        session,
        runtime,
        complaint,
        Action.DISPATCH,
        unit="dinas-pupr",
        message_to_reporter="Tim PUPR akan memeriksa lokasi.",
    )
    assert dispatched.body.endswith("Tim PUPR akan memeriksa lokasi.")


def test_internal_actions_and_repeats_send_nothing(session, runtime):
    complaint = new_case(session)
    assert act(session, runtime, complaint, Action.SET_PRIVACY, privacy="anonymous") == []
    event = apply_action(session, complaint, Action.VERIFY, actor="op", now=NOW)
    assert len(queue_status_notification(session, complaint, event, runtime)) == 1
    assert queue_status_notification(session, complaint, event, runtime) == []  # once
