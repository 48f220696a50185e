"""Status callbacks end to end: a reply sent through the fake Twilio API, then its receipts.

The status only moves forward whatever order receipts arrive in; failures keep their error
code; 21610 opts the contact out and nothing more is sent to them.
"""

from __future__ import annotations

import logging

import pytest
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import select

from casestore.models import Contact, Message
from dispatcher.delivery import apply_delivery
from dispatcher.queues import NOTIFY, queue

CITIZEN = "tel:+6281234567890"


def with_values(params, **values):
    return [(k, values.get(k, v)) for k, v in params]


def outbound(runtime) -> list[Message]:
    with runtime.sessions() as session:
        return list(
            session.scalars(select(Message).where(Message.direction == "out").order_by(Message.id))
        )


def acknowledged(twilio, runtime, work, fake_twilio) -> str:
    """Post a complaint, let the worker answer it; the ack's Twilio sid."""
    assert twilio.post(twilio.params("sms_basic")).status_code == 200
    work()
    (ack,) = fake_twilio.sent()
    return ack["sid"]


def receipt(twilio, sid: str, status: str, error_code: str | None = None):
    fixture = {
        "sent": "status_sent",
        "delivered": "status_delivered",
        "failed": "status_failed_21610",
        "undelivered": "status_undelivered_30003",
        "read": "status_read_whatsapp",
    }.get(status, "status_sent")
    params = with_values(
        twilio.params(fixture), MessageSid=sid, SmsSid=sid, MessageStatus=status, SmsStatus=status
    )
    params = [(k, v) for k, v in params if k != "ErrorCode"]
    if error_code:
        params.insert(0, ("ErrorCode", error_code))
    response = twilio.post(params, path=twilio.status_path)
    assert response.status_code == 204
    return response


@pytest.mark.parametrize(
    ("receipts", "status", "error_code"),
    [
        ([("sending", None), ("sent", None), ("delivered", None)], "delivered", None),
        (
            [("delivered", None), ("sent", None), ("queued", None), ("sending", None)],
            "delivered",
            None,
        ),
        ([("delivered", None), ("read", None), ("sent", None)], "read", None),
        ([("read", None), ("delivered", None)], "read", None),
        ([("undelivered", "30003"), ("sent", None)], "undelivered", "30003"),
        ([("failed", "30007"), ("delivered", None)], "failed", "30007"),
        ([("sent", None), ("accepted", None), ("scheduled", None)], "sent", None),
    ],
    ids=[
        "in order",
        "out of order",
        "read after delivered",
        "read first",
        "undelivered",
        "failed first",
        "earlier statuses",
    ],
)
def test_receipts_only_move_the_status_forward(
    twilio, runtime, work, fake_twilio, receipts, status, error_code
):
    sid = acknowledged(twilio, runtime, work, fake_twilio)
    (ack,) = outbound(runtime)
    assert (ack.status, ack.external_id) == ("sent", sid)
    for provider_status, code in receipts:
        receipt(twilio, sid, provider_status, code)
        work()  # each receipt applied before the next arrives: the worst order for us
    (ack,) = outbound(runtime)
    assert (ack.status, ack.error_code) == (status, error_code)


def test_receipts_queued_together_apply_in_any_order(twilio, runtime, work, fake_twilio):
    sid = acknowledged(twilio, runtime, work, fake_twilio)
    for provider_status in ("delivered", "sending", "sent"):
        receipt(twilio, sid, provider_status)
    receipt(twilio, sid, "delivered")  # Twilio repeats itself: one job for both
    assert queue(NOTIFY, runtime.redis).count == 3
    work()
    (ack,) = outbound(runtime)
    assert ack.status == "delivered"


def test_21610_opts_the_contact_out_and_nothing_more_is_sent(twilio, runtime, work, fake_twilio):
    sid = acknowledged(twilio, runtime, work, fake_twilio)
    receipt(twilio, sid, "failed", "21610")
    work()
    with runtime.sessions() as session:
        contact = session.scalars(select(Contact).where(Contact.urn == CITIZEN)).one()
        assert contact.opted_out and contact.opted_out_at is not None
    (ack,) = outbound(runtime)
    assert (ack.status, ack.error_code) == ("failed", "21610")
    assert twilio.post(twilio.params("sms_keyword_cek")).status_code == 200
    work()
    assert len(fake_twilio.sent()) == 1  # the CEK got no answer: the number unsubscribed


def test_21610_from_the_api_at_send_time_opts_out_too(twilio, runtime, work, fake_twilio):
    fake_twilio.fail_next(400, 21610)
    assert twilio.post(twilio.params("sms_basic")).status_code == 200
    work()
    (ack,) = outbound(runtime)
    assert (ack.status, ack.error_code) == ("failed", "21610")
    with runtime.sessions() as session:
        assert session.scalars(select(Contact)).one().opted_out


def test_a_5xx_at_send_time_is_retried_later(twilio, runtime, work, fake_twilio):
    fake_twilio.fail_next(500)
    assert twilio.post(twilio.params("sms_basic")).status_code == 200
    work()
    (ack,) = outbound(runtime)
    assert ack.status == "sending" and ack.error_code is None
    assert len(ScheduledJobRegistry(queue=queue(NOTIFY, runtime.redis))) == 1


def test_a_receipt_while_a_send_awaits_its_id_is_retried(twilio, runtime, work, fake_twilio):
    fake_twilio.fail_next(500)
    assert twilio.post(twilio.params("sms_basic")).status_code == 200
    work()
    (ack,) = outbound(runtime)
    assert ack.status == "sending" and ack.external_id is None  # its notify job retries later
    scheduled = ScheduledJobRegistry(queue=queue(NOTIFY, runtime.redis))
    assert len(scheduled) == 1
    unknown = "SM" + "f" * 32
    receipt(twilio, unknown, "delivered")
    work()
    assert len(scheduled) == 2  # the receipt waits for that send's commit, then tries again
    # With no retries left (or outside a worker) an unknown id is someone else's: ignored.
    report = {"external_id": unknown, "status": "delivered", "error_code": None}
    assert apply_delivery(report) == {"found": False}


def test_a_receipt_for_a_message_we_never_sent_is_logged_once_and_dropped(
    twilio, runtime, work, caplog
):
    caplog.set_level(logging.DEBUG)
    params = with_values(twilio.params("status_delivered"), MessageSid="SM" + "e" * 32)
    assert twilio.post(params, path=twilio.status_path).status_code == 204
    work()
    notify = queue(NOTIFY, runtime.redis)
    assert len(ScheduledJobRegistry(queue=notify)) == 0  # no retry
    assert len(FailedJobRegistry(queue=notify)) == 0
    assert notify.count == 0
    ignored = [r for r in caplog.records if "unknown outbound message" in r.getMessage()]
    assert len(ignored) == 1
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    (citizen,) = [v for k, v in params if k == "To"]
    assert citizen not in caplog.text
