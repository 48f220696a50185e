"""A typed phone is confirmed before it hears more than its tracking id (issue 18).

A web, API or Open311 citizen who typed a phone gets ONE SMS: the tracking id and a code to
answer "YA <code>". Only an SMS from that very number, through the real Twilio webhook
(signed with the twilio library's validator) and a real rq worker, switches that case's
updates on for it; wrong, foreign, expired and repeated codes are refused; the number never
becomes the case's contact, and its STOP stops everything.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from email_support import act, file_typed
from fakes.twilio_api import FakeTwilioApi, twilio_settings
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from casestore.lifecycle import Action
from casestore.models import AddressConfirmation, Complaint, Contact, Message
from normalizer.confirmation import MAX_ATTEMPTS, confirmation_code
from normalizer.records import Channel
from normalizer.tracking import format_tracking_id

PUBLIC_URL = "https://lapor.test"
PHONE = "tel:+6281260000001"
OTHER_PHONE = "tel:+6281260000009"
TO_REPORTER = "Petugas PLN dijadwalkan memperbaiki lampu hari Kamis."
_sids = itertools.count(1)


@pytest.fixture
def twilio():
    with FakeTwilioApi("AC" + "1" * 32, "token-" + "2" * 26) as api:
        yield api


@pytest.fixture
def settings(settings, twilio):
    return twilio_settings(settings, twilio, PUBLIC_URL)


def now():
    return datetime.now(UTC)


def text_from(client, twilio, phone, body):
    """An SMS from ``phone`` to the shortcode, as Twilio posts it, signed."""
    params = [
        ("ToCountry", "ID"),
        ("SmsMessageSid", sid := f"SM{next(_sids):032x}"),
        ("NumMedia", "0"),
        ("MessageSid", sid),
        ("AccountSid", twilio.account_sid),
        ("From", phone.removeprefix("tel:")),
        ("To", "1708"),
        ("Body", body),
        ("NumSegments", "1"),
        ("ApiVersion", "2010-04-01"),
    ]
    url = PUBLIC_URL + "/webhooks/twilio/sms"
    signature = RequestValidator(twilio.auth_token).compute_signature(url, MultiDict(params))
    answer = client.post(
        "/webhooks/twilio/sms",
        data=MultiDict(params),
        headers={"X-Twilio-Signature": signature},
        base_url=PUBLIC_URL,
    )
    assert answer.status_code == 200, answer.data


def code_in(body):
    return re.search(r"\bYA (\d{4})\b", body).group(1)


def to(twilio, phone):
    return [m["body"] for m in twilio.sent() if m["to"] == phone.removeprefix("tel:")]


def dispatch(runtime, tracking_id):
    act(runtime, tracking_id, Action.VERIFY)
    act(
        runtime,
        tracking_id,
        Action.DISPATCH,
        unit="dinas-pupr",
        note="Catatan internal",
        message_to_reporter=TO_REPORTER,
    )


@pytest.mark.parametrize("channel", [Channel.WEB, Channel.API, Channel.OPEN311])
def test_a_typed_phone_gets_one_sms_with_its_code_and_nothing_more_until_it_answers(
    runtime, work, twilio, channel
):
    tracking_id = file_typed(runtime, PHONE, channel=channel, at=now())
    dispatch(runtime, tracking_id)
    work()
    (sms,) = to(twilio, PHONE)  # verified and dispatched stayed on the tracking page
    shown = format_tracking_id(tracking_id)
    code = code_in(sms)
    assert sms == (
        f"SatuPintu Aceh Tengah: Aduan {shown} diterima. Balas YA {code} untuk menerima "
        f"kabar aduan ini lewat SMS (berlaku 7 hari). Tanpa balasan, kabar hanya ada di "
        f"{PUBLIC_URL}/track/{tracking_id}"
    )
    with runtime.sessions() as session:
        (queued,) = session.scalars(select(Message).where(Message.direction == "out"))
        row = session.scalar(select(AddressConfirmation))
        assert code not in queued.body and "{code}" in queued.body  # filled in at the send
        assert code not in (row.code_hash, row.salt) and row.confirmed_at is None
        assert confirmation_code(runtime.settings.secret_key, row.salt) == code


def test_the_answer_from_that_number_switches_its_updates_on_and_nothing_else(
    runtime, work, twilio, client
):
    tracking_id = file_typed(runtime, PHONE, at=now())
    work()
    code = code_in(to(twilio, PHONE)[0])
    text_from(client, twilio, PHONE, f"ya {code}")
    work()
    shown = format_tracking_id(tracking_id)
    assert to(twilio, PHONE)[1] == (
        f"SatuPintu Aceh Tengah: Terima kasih. Kabar aduan {shown} akan dikirim ke nomor ini "
        "lewat SMS. Balas STOP untuk berhenti."
    )
    dispatch(runtime, tracking_id)
    work()
    verified, dispatched = to(twilio, PHONE)[2:]
    assert shown in verified and TO_REPORTER in dispatched
    assert "Catatan internal" not in dispatched
    with runtime.sessions() as session:
        complaint = session.scalar(select(Complaint))
        contact = session.scalar(select(Contact).where(Contact.urn == PHONE))
        answer = session.scalar(
            select(Message).where(Message.direction == "in", Message.channel == "sms")
        )
        # An address that may be sent updates, never the case's contact or its thread.
        assert complaint.contact_id is None and complaint.update_address == PHONE
        assert answer.complaint_id is None and answer.contact_id == contact.id
        confirmation_replies = session.scalars(
            select(Message).where(Message.contact_id == contact.id, Message.direction == "out")
        ).all()
        assert [m.complaint_id for m in confirmation_replies] == [None]


def test_stop_from_a_confirmed_number_stops_its_updates(runtime, work, twilio, client):
    tracking_id = file_typed(runtime, PHONE, at=now())
    work()
    text_from(client, twilio, PHONE, f"YA {code_in(to(twilio, PHONE)[0])}")
    work()
    text_from(client, twilio, PHONE, "STOP")
    work()
    before = len(to(twilio, PHONE))
    dispatch(runtime, tracking_id)
    work()
    assert len(to(twilio, PHONE)) == before


def test_wrong_codes_are_counted_and_then_locked(runtime, work, twilio, client):
    tracking_id = file_typed(runtime, PHONE, at=now())
    work()
    code = code_in(to(twilio, PHONE)[0])
    wrong = f"{(int(code) + 1) % 10000:04d}"
    text_from(client, twilio, PHONE, f"YA {wrong}")
    work()
    assert to(twilio, PHONE)[-1].endswith(f"Sisa percobaan: {MAX_ATTEMPTS - 1}.")
    for _ in range(MAX_ATTEMPTS - 1):
        text_from(client, twilio, PHONE, f"YA {wrong}")
        work()
    assert "Terlalu banyak kode salah" in to(twilio, PHONE)[-1]
    text_from(client, twilio, PHONE, f"YA {code}")  # the right one, too late
    work()
    assert "Terlalu banyak kode salah" in to(twilio, PHONE)[-1]
    sent = len(to(twilio, PHONE))
    dispatch(runtime, tracking_id)
    work()
    assert len(to(twilio, PHONE)) == sent  # still unconfirmed: the tracking page only


def test_a_code_for_someone_elses_case_confirms_nothing(runtime, work, twilio, client):
    theirs = file_typed(runtime, PHONE, at=now())
    work()
    their_code = code_in(to(twilio, PHONE)[0])
    # Another number whose own code differs (two random codes match 1 time in 10,000: then
    # the next number, so the test never depends on the draw).
    for last_digits in range(10, 20):
        mine_phone = f"tel:+62812600000{last_digits}"
        mine = file_typed(runtime, mine_phone, at=now())
        work()
        if code_in(to(twilio, mine_phone)[0]) != their_code:
            break
    text_from(client, twilio, mine_phone, f"YA {their_code}")
    work()
    assert "Kode tidak cocok" in to(twilio, mine_phone)[-1]
    dispatch(runtime, theirs)
    dispatch(runtime, mine)
    work()
    assert len(to(twilio, PHONE)) == 1 and len(to(twilio, mine_phone)) == 2
    with runtime.sessions() as session:
        confirmed = session.scalars(select(AddressConfirmation.confirmed_at)).all()
        assert confirmed == [None] * (1 + last_digits - 9)  # theirs and every number of mine


def test_an_expired_code_is_refused(runtime, work, twilio, client):
    tracking_id = file_typed(runtime, PHONE, at=now() - timedelta(days=8))
    work()
    text_from(client, twilio, PHONE, f"YA {code_in(to(twilio, PHONE)[0])}")
    work()
    assert "Kode sudah tidak berlaku (hanya 7 hari)" in to(twilio, PHONE)[-1]
    dispatch(runtime, tracking_id)
    work()
    assert len(to(twilio, PHONE)) == 2


def test_an_answer_from_a_number_with_no_code_waiting(runtime, work, twilio, client):
    text_from(client, twilio, OTHER_PHONE, "YA 1234")
    work()
    (answer,) = to(twilio, OTHER_PHONE)
    assert "Tidak ada kode yang menunggu jawaban dari nomor ini" in answer
    with runtime.sessions() as session:
        assert session.scalar(select(Complaint)) is None  # not taken for a complaint


def test_a_typed_phone_whose_number_texted_stop_is_not_even_asked(runtime, work, twilio, client):
    text_from(client, twilio, PHONE, "STOP")
    work()
    file_typed(runtime, PHONE, at=now())
    work()
    assert len(to(twilio, PHONE)) == 1  # only the answer to STOP
    with runtime.sessions() as session:
        assert session.scalar(select(AddressConfirmation)) is None


def test_an_sms_reply_at_intake_fits_two_sms_in_both_languages(runtime):
    from normalizer.replies import render_reply
    from normalizer.segments import count_segments

    values = {
        "tracking_id": "ABCDE-12345",
        "track_url": "https://lapor.acehtengahkab.go.id/track/ABCDE12345",
        "code": "{code}",
        "days": "7",
        "attempts_left": "4",
    }
    names = ["confirm_phone", "confirmed", "confirm_wrong", "confirm_locked"]
    names += ["confirm_expired", "confirm_none"]
    for lang in ("id", "en"):
        for name in names:
            text = render_reply(runtime.replies, name, lang, **values)
            assert count_segments(text).segments <= 2, (lang, name)
            assert "..." not in text  # fitted as written, nothing shortened


def test_the_case_page_says_whether_the_typed_phone_answered_its_code(
    app, runtime, work, twilio, client
):
    """The coordinator reads on the case page whether updates reach the typed phone yet."""
    from console_support import add_operator, login

    waiting = file_typed(runtime, PHONE, at=now())
    expired = file_typed(runtime, OTHER_PHONE, at=now() - timedelta(days=8))
    work()
    add_operator(runtime, "koord")
    console = app.test_client()
    login(console, "koord")

    def note_of(tracking_id):
        page = console.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
        found = re.search(r'class="phone-code">([^<]+)<', page)
        return found.group(1) if found else None

    assert note_of(waiting).startswith("Menunggu nomor ini menjawab kode")
    assert note_of(expired).startswith("Kode tidak dijawab dan sudah kedaluwarsa")
    text_from(client, twilio, PHONE, f"YA {code_in(to(twilio, PHONE)[0])}")
    work()
    assert note_of(waiting).startswith("Nomor ini sudah menjawab kode")
    # An email typed instead has no code to answer: nothing is said.
    emailed = file_typed(runtime, "mailto:warga@example.org", at=now())
    work()
    assert note_of(emailed) is None
