"""Kannel end to end in one process: smsbox's request -> queue -> store -> reply through
sendsms (a local server speaking its wire format) -> the dlr-url -> the reply's status.

A real rq worker (burst) runs the jobs against the test's database and Redis. With Twilio
on too, a citizen is one contact whichever provider they write in on, and each reply goes
back through the provider their message came in on.
"""

from __future__ import annotations

import re

import pytest
from fakes.twilio_api import FakeTwilioApi, twilio_settings
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from casestore.models import Complaint, Contact, Message
from dispatcher.queues import NOTIFY, queue
from dispatcher.submit import seen_key

SHOWN_ID = re.compile(r"\b([0-9A-Z]{5})-([0-9A-Z]{5})\b")


def outbound(runtime) -> list[Message]:
    with runtime.sessions() as session:
        return list(
            session.scalars(select(Message).where(Message.direction == "out").order_by(Message.id))
        )


def count(runtime, model) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_an_sms_is_stored_answered_and_its_dlr_moves_the_reply_forward_only(
    kannel, load_request, client, runtime, work, fake_sendsms, dlr_call
):
    assert kannel.send(load_request("sms_get_gsm")).status_code == 200
    work()
    assert count(runtime, Complaint) == 1
    (ack,) = fake_sendsms.sent
    with runtime.sessions() as session:
        tracking_id = session.scalars(select(Complaint.tracking_id)).one()
    assert "".join(SHOWN_ID.search(ack.text).groups()) == tracking_id
    assert (ack.to, ack.sender) == ("+6281234567890", "1708")
    (reply,) = outbound(runtime)
    assert (reply.provider, reply.status) == ("kannel", "sent")

    for code in (8, 1):  # the SMSC took it, then the phone did
        assert client.get(dlr_call(ack.dlr_url, code)).status_code == 200
    work()
    assert outbound(runtime)[0].status == "delivered"
    # A late "buffered" or "failed" after delivered changes nothing.
    for code in (4, 2):
        assert client.get(dlr_call(ack.dlr_url, code)).status_code == 200
    work()
    assert outbound(runtime)[0].status == "delivered"


def test_a_retried_id_is_the_same_message(kannel, load_request, runtime, work, fake_sendsms):
    request = load_request("sms_get_gsm")
    for _ in range(2):
        assert kannel.send(request).status_code == 200
    work()
    # Past the two-day "seen" key a late retry reaches the store, which holds the line.
    runtime.redis.delete(seen_key("sms:" + request.field("id").decode()))
    assert kannel.send(request).status_code == 200
    work()
    assert count(runtime, Complaint) == 1
    assert len(fake_sendsms.sent) == 1


def test_a_refused_number_fails_the_reply_with_the_reason(
    kannel, load_request, runtime, work, fake_sendsms
):
    fake_sendsms.denied_prefixes = ("+62812",)
    kannel.send(load_request("sms_get_gsm"))
    work()
    (reply,) = outbound(runtime)
    assert (reply.status, reply.error_code) == ("failed", "number_denied")
    assert len(ScheduledJobRegistry(queue=queue(NOTIFY, runtime.redis))) == 0


def test_kannel_down_is_retried_later(kannel, load_request, runtime, work, fake_sendsms):
    fake_sendsms.fail_next(503, "Sending failed.")
    kannel.send(load_request("sms_get_gsm"))
    work()
    (reply,) = outbound(runtime)
    assert reply.status == "sending" and reply.error_code is None
    assert len(ScheduledJobRegistry(queue=queue(NOTIFY, runtime.redis))) == 1


def test_ucs2_in_and_out(kannel, load_request, runtime, work, fake_sendsms):
    text = "Jalan “Lebe Kader” di Takengon berlubang besar, bahaya 🙏"
    captured = load_request("sms_get_ucs2_emoji")
    body = text.encode("utf-16-be")
    query = [(k, body if k in {"bin", "text"} else v) for k, v in captured.query]
    assert kannel.send(captured.with_query(query)).status_code == 200
    work()
    with runtime.sessions() as session:
        assert session.scalars(select(Complaint.description)).one() == text
    assert len(fake_sendsms.sent) == 1


# --- both providers on: one citizen, each reply back the way it came --------------------


@pytest.fixture
def fake_twilio():
    with FakeTwilioApi("AC" + "5e3b" * 8, "twilio-test-auth-token-5e3b5e3b") as api:
        yield api


@pytest.fixture
def settings(settings, fake_twilio):
    """Kannel (the directory's settings) and Twilio at once."""
    return twilio_settings(settings, fake_twilio, settings.public_url)


def twilio_sms(client, settings, sid: str, body: str):
    params = [("MessageSid", sid), ("From", "+6281234567890"), ("To", "+15005550006")]
    params.append(("Body", body))
    url = settings.public_url + "/webhooks/twilio/sms"
    signature = RequestValidator(settings.twilio_auth_token).compute_signature(
        url, MultiDict(params)
    )
    return client.post(
        "/webhooks/twilio/sms", data=dict(params), headers={"X-Twilio-Signature": signature}
    )


def test_one_contact_and_each_reply_through_the_provider_it_came_in_on(
    kannel, load_request, client, settings, runtime, work, fake_sendsms, fake_twilio
):
    assert (
        twilio_sms(client, settings, "SM" + "a" * 32, "Air PDAM mati di Bebesen").status_code == 200
    )
    work()
    assert len(fake_twilio.sent()) == 1 and fake_sendsms.sent == []

    assert kannel.send(load_request("sms_get_gsm")).status_code == 200
    work()
    assert len(fake_twilio.sent()) == 1 and len(fake_sendsms.sent) == 1
    assert count(runtime, Contact) == 1  # the same citizen on both providers
    assert [m.provider for m in outbound(runtime)] == ["twilio", "kannel"]


# --- the same behaviour as Twilio SMS: keywords, follow-ups, floods, lifecycle -----------


def sms(load_request, n: int, text: str):
    """The captured get-url request with another id and text, as smsbox would send it."""
    captured = load_request("sms_get_gsm")
    values = {"id": f"f1ccb7f8-0000-4000-8000-{n:012d}".encode(), "text": text.encode()}
    values["bin"] = values["text"]
    return captured.with_query([(k, values.get(k, v)) for k, v in captured.query])


def shown_id(text: str) -> str:
    return "-".join(SHOWN_ID.search(text).groups())


def test_cek_info_and_a_lifecycle_notification_reach_the_citizen_through_kannel(
    kannel, load_request, runtime, work, fake_sendsms
):
    from casestore import complaints as store
    from casestore.lifecycle import Action
    from dispatcher.casework import act_on_case, lifecycle_action

    kannel.send(sms(load_request, 1, "Jalan rusak parah di Kampung Bale, Kec. Lut Tawar"))
    work()
    tracking = shown_id(fake_sendsms.sent[0].text)

    kannel.send(sms(load_request, 2, f"CEK {tracking}"))
    kannel.send(sms(load_request, 3, f"INFO {tracking} lubangnya makin besar, motor jatuh"))
    work()
    status, info = fake_sendsms.sent[1:3]
    assert f"Status aduan {tracking}" in status.text
    assert tracking in info.text
    assert count(runtime, Complaint) == 1  # INFO is a follow-up, not a new case

    plain = tracking.replace("-", "")
    act_on_case(
        runtime,
        lambda session: store.complaint_by_tracking_id(session, plain),
        lifecycle_action(Action.VERIFY, runtime, actor="koordinator"),
    )
    work()
    assert len(fake_sendsms.sent) == 4 and tracking in fake_sendsms.sent[3].text
    assert {m.provider for m in outbound(runtime)} == {"kannel"}


def test_a_flood_waits_in_quarantine_and_stop_goes_through(
    kannel, load_request, runtime, work, fake_sendsms
):
    from casestore.models import Quarantine

    runtime.settings = runtime.settings.replace(sms_rate_limit="2/600")
    topics = ["Lampu jalan mati di Bebesen", "Sampah menumpuk di pasar Paya Ilang"]
    topics += ["Jembatan gantung di Rusip Antara rusak", "Puskesmas Ketol tutup"]
    for n, topic in enumerate(topics):
        kannel.send(sms(load_request, 10 + n, topic))
        work()
    assert count(runtime, Complaint) == 2
    with runtime.sessions() as session:
        held = session.scalars(select(Quarantine.reason)).all()
    assert held == ["rate_limited", "rate_limited"]

    kannel.send(sms(load_request, 20, "STOP"))
    work()
    with runtime.sessions() as session:
        assert session.scalars(select(Contact.opted_out)).one() is True
