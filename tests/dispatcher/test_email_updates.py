"""Web, API and Open311 citizens hear back at the address they typed (issue 18): by email
through a real SMTP server (aiosmtpd, STARTTLS and AUTH), by SMS through the SMS channel
that is on (the local Twilio API), sent by real rq workers, never joined to anyone."""

from __future__ import annotations

import time

import pytest
from email_support import TEXT_EN, act, file_typed, work_with_scheduler
from fakes.twilio_api import FakeTwilioApi, twilio_settings
from rq import Retry
from sqlalchemy import select

from casestore import contacts
from casestore.lifecycle import Action
from casestore.models import AddressOptOut, Message, utcnow
from dispatcher import jobs, outbox
from normalizer.records import Channel
from normalizer.tracking import format_tracking_id

CITIZEN = "mailto:warga@contoh.id"
INTERNAL = "Catatan internal: pelapor kerabat kepala dinas"
TO_REPORTER = "Petugas PLN dijadwalkan memperbaiki lampu hari Kamis."


@pytest.fixture
def settings(settings, smtp):
    return settings.replace(
        smtp_url=smtp.url, mail_from="lapor@acehtengahkab.go.id", public_url="https://lapor.test"
    )


def messages(runtime, **where):
    with runtime.sessions() as session:
        query = select(Message).where(Message.direction == "out").order_by(Message.id)
        for name, value in where.items():
            query = query.where(getattr(Message, name) == value)
        return list(session.scalars(query))


def dispatched(runtime, tracking_id):
    act(runtime, tracking_id, Action.VERIFY)
    act(
        runtime,
        tracking_id,
        Action.DISPATCH,
        unit="dinas-pupr",
        note=INTERNAL,
        message_to_reporter=TO_REPORTER,
    )


def test_a_web_citizen_with_an_email_is_told_each_step_by_email(runtime, work, smtp):
    tracking_id = file_typed(runtime, CITIZEN)
    dispatched(runtime, tracking_id)
    work()
    ack, verified, sent = smtp.received
    shown = format_tracking_id(tracking_id)
    assert ack["To"] == verified["To"] == sent["To"] == "warga@contoh.id"
    assert ack["Subject"] == f"SatuPintu: Aduan {shown} diterima"
    assert verified["Subject"] == f"SatuPintu: Aduan {shown} - Terverifikasi"
    assert sent["Subject"] == f"SatuPintu: Aduan {shown} - Didisposisikan"
    plain = sent.get_body(("plain",)).get_content()
    rich = sent.get_body(("html",)).get_content()
    for body in (plain, rich):
        assert TO_REPORTER in body
        assert f"https://lapor.test/track/{tracking_id}" in body
        assert "Catatan internal" not in body and "kerabat" not in body  # the note is internal
    assert sent["List-Unsubscribe"].startswith("<https://lapor.test/unsubscribe/")
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stored = messages(runtime, channel="email")
    assert [m.status for m in stored] == ["sent", "sent", "sent"]
    assert {m.external_id for m in stored} == {m["Message-ID"] for m in smtp.received}
    assert all(m.contact_id is None and m.address == CITIZEN for m in stored)


def test_english_for_a_citizen_who_wrote_english(runtime, work, smtp):
    tracking_id = file_typed(runtime, CITIZEN, text=TEXT_EN)
    act(runtime, tracking_id, Action.VERIFY)
    work()
    ack, mail = smtp.received
    assert ack["Subject"].endswith(" received")
    assert mail["Subject"].startswith("SatuPintu: Complaint ") and mail["Subject"].endswith(
        "Verified"
    )
    assert mail.get_body(("plain",)).get_content().startswith("Dear reporter,")


def test_a_confidential_case_says_only_what_the_tracking_page_says(runtime, work, smtp):
    tracking_id = file_typed(runtime, CITIZEN, privacy="confidential")
    dispatched(runtime, tracking_id)
    work()
    for mail in smtp.received:
        for part in ("plain", "html"):
            body = mail.get_body((part,)).get_content()
            assert TO_REPORTER not in body and "Catatan internal" not in body
    assert len(smtp.received) == 3  # the acknowledgement, verified, dispatched


def test_the_unsubscribe_link_stops_every_later_update(runtime, work, smtp, client):
    tracking_id = file_typed(runtime, CITIZEN)
    act(runtime, tracking_id, Action.VERIFY)
    work()
    _ack, mail = smtp.received
    path = mail["List-Unsubscribe"].strip("<>").removeprefix("https://lapor.test")
    page = client.get(path)  # a link scanner following it changes nothing
    assert page.status_code == 200 and b"Ya, berhenti" in page.data
    assert b"warga@contoh.id" not in page.data
    one_click = client.post(path, data={"List-Unsubscribe": "One-Click"})  # RFC 8058
    assert one_click.status_code == 200 and b'data-unsubscribed="yes"' in one_click.data
    assert client.post(path).status_code == 200  # twice is still fine
    act(runtime, tracking_id, Action.DISPATCH, unit="dinas-pupr")
    work()
    assert len(smtp.received) == 2
    with runtime.sessions() as session:
        assert session.scalar(select(AddressOptOut.source)) == "unsubscribe"
    forged = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    assert client.post(forged).status_code == 404


def test_an_unsubscribe_after_queueing_still_stops_the_send(runtime, work, smtp, client):
    from adapters.email import unsubscribe_token

    tracking_id = file_typed(runtime, CITIZEN)
    act(runtime, tracking_id, Action.VERIFY)  # queued, not yet sent
    token = unsubscribe_token(runtime.settings.secret_key, CITIZEN)
    assert client.post(f"/unsubscribe/{token}").status_code == 200
    work()
    assert smtp.received == []  # neither the acknowledgement nor the update
    assert [m.status for m in messages(runtime, channel="email")] == ["suppressed"] * 2


def test_a_refused_mailbox_is_recorded_on_the_reply_and_sent_nothing_more(runtime, work, smtp):
    smtp.handler.refuse.add("hilang@contoh.id")
    tracking_id = file_typed(runtime, "mailto:hilang@contoh.id")
    work()  # the acknowledgement is refused
    (refused,) = messages(runtime, channel="email")
    assert (refused.status, refused.error_code) == ("failed", "smtp_550")
    act(runtime, tracking_id, Action.VERIFY)
    act(runtime, tracking_id, Action.DISPATCH, unit="dinas-pupr")
    assert len(messages(runtime, channel="email")) == 1  # not even queued: refused for good
    with runtime.sessions() as session:
        assert session.scalar(select(AddressOptOut.source)) == "refused"
    assert smtp.received == []


def test_the_smtp_server_down_during_a_burst_loses_nothing_and_doubles_nothing(
    runtime, work, smtp, monkeypatch
):
    # rq's own Retry, with a one-second back-off instead of five so the test waits less.
    monkeypatch.setattr(outbox, "NOTIFY_RETRY", Retry(max=6, interval=1))
    addresses = [f"mailto:warga{n}@contoh.id" for n in range(8)]
    cases = [file_typed(runtime, address) for address in addresses]
    work()  # the acknowledgements go out while the server is up
    assert len(smtp.received) == len(cases)
    smtp.handler.received.clear()
    acks = {m.id for m in messages(runtime, channel="email")}
    smtp.stop()  # down before the burst
    for tracking_id in cases:
        act(runtime, tracking_id, Action.VERIFY)
    work()
    assert smtp.received == []
    updates = [m for m in messages(runtime, channel="email") if m.id not in acks]
    assert {m.status for m in updates} == {"sending"}
    smtp.handler.down_after = 3  # back, takes three, then shuts down again (421)
    smtp.start()
    time.sleep(1.2)
    work_with_scheduler(runtime)
    assert len(smtp.received) == 3
    smtp.handler.down_after = None  # back for good
    for _ in range(10):
        time.sleep(1.2)
        work_with_scheduler(runtime)
        if len(smtp.received) == len(cases):
            break
    received = sorted(mail["To"] for mail in smtp.received)
    assert received == sorted(a.removeprefix("mailto:") for a in addresses)  # each one, once
    stored = [m for m in messages(runtime, channel="email") if m.id not in acks]
    assert {m.status for m in stored} == {"sent"}
    assert {m.external_id for m in stored} == {mail["Message-ID"] for mail in smtp.received}
    assert max(m.attempts for m in stored) >= 2
    for message in stored:  # a retried job after the send sends nothing again
        assert jobs.notify(message.id)["skipped"] is True
    assert len(smtp.received) == len(cases)


def test_without_smtp_an_email_citizen_is_sent_nothing(runtime, work, smtp):
    runtime.settings = runtime.settings.replace(smtp_url="")
    tracking_id = file_typed(runtime, CITIZEN)
    act(runtime, tracking_id, Action.VERIFY)
    work()
    assert messages(runtime) == [] and smtp.received == []


@pytest.fixture
def twilio():
    with FakeTwilioApi("AC" + "1" * 32, "token-" + "2" * 26) as api:
        yield api


def test_a_typed_phone_whose_number_texted_stop_is_sent_nothing(runtime, work, twilio):
    runtime.settings = twilio_settings(runtime.settings, twilio, "https://lapor.test")
    phone = "tel:+6281260000002"
    with runtime.sessions.begin() as session:  # that number texted STOP to the shortcode
        contact = contacts.get_or_create_contact(session, phone)
        contacts.opt_out_contact(contact, utcnow())
    tracking_id = file_typed(runtime, phone)
    act(runtime, tracking_id, Action.VERIFY)
    work()
    assert twilio.sent() == []
    assert messages(runtime, channel=Channel.SMS.value) == []


def test_without_an_sms_channel_a_typed_phone_is_sent_nothing(runtime, work, smtp):
    tracking_id = file_typed(runtime, "tel:+6281260000003")
    act(runtime, tracking_id, Action.VERIFY)
    work()
    assert messages(runtime) == []


def test_an_email_citizen_gets_an_acknowledgement_at_once_without_the_secret(
    runtime, work, smtp, client
):
    body = {
        "description": "Air PDAM tidak mengalir tiga hari di Kampung Bale.",
        "contact": "warga@contoh.id",
        "kecamatan": "11.04.17",
    }
    headers = {"Idempotency-Key": "api-key-ack-0123456789abcdef"}
    receipt = client.post("/api/v1/complaints", json=body, headers=headers).get_json()
    assert receipt["updates"] == "email"
    work()  # the drain stores it, the notify job sends the acknowledgement
    (ack,) = smtp.received
    tracking_id, secret = receipt["tracking_id"], receipt["citizen_secret"]
    shown = format_tracking_id(tracking_id)
    assert ack["Subject"] == f"SatuPintu: Aduan {shown} diterima"
    assert ack["List-Unsubscribe"].startswith("<https://lapor.test/unsubscribe/")
    assert ack["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for part in ("plain", "html"):
        text = ack.get_body((part,)).get_content()
        assert shown in text and f"https://lapor.test/track/{tracking_id}" in text
        assert "3 hari kerja" in text  # what happens next
        assert secret not in text and secret.replace("-", "") not in text
        assert "tidak pernah dikirim lewat email" in text  # and why it is not there
    (stored,) = messages(runtime, channel="email")
    assert (stored.intent, stored.status, stored.address) == ("ack_email", "sent", CITIZEN)
    # The envelope sender names this very reply, for a bounce that comes later (VERP).
    ((mail_from, rcpt),) = smtp.handler.envelopes
    assert rcpt == ["warga@contoh.id"]
    assert mail_from.startswith(f"bounce+r{stored.id}-")
    assert mail_from.endswith("@acehtengahkab.go.id")
