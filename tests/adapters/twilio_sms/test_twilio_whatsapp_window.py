"""WhatsApp's 24-hour window, crossed by moving the clock: free text inside, the approved
template outside (ContentSid + ContentVariables through the real twilio library), SMS to the
same phone without a template, and "not sendable" (on the case page) without either. Twilio's
63016 coming back anyway takes the same way; 63018 in a receipt sends again after a back-off.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from console_support import add_operator, login
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from casestore import clock
from casestore import complaints as store
from casestore.lifecycle import Action
from casestore.models import Complaint, Contact, Message
from dispatcher.casework import act_on_case, lifecycle_action
from dispatcher.delivery import RATE_LIMIT_BACKOFF
from dispatcher.queues import NOTIFY, queue

SID = "HX" + "b" * 32
CITIZEN = "+6281377788899"
BSUID = "ID.1349120865530274191"


@pytest.fixture
def templates(tmp_path):
    path = tmp_path / "whatsapp_templates.toml"
    path.write_text(
        f"""
[status_changed.id]
content_sid = "{SID}"
variables = {{ "1" = "tracking_id", "2" = "status", "3" = "track_url" }}
"""
    )
    return str(path)


@pytest.fixture
def later(monkeypatch):
    """Move the case store's clock forward by some hours."""

    def move(hours: float) -> None:
        moved = datetime.now(UTC) + timedelta(hours=hours)
        monkeypatch.setattr(clock, "now", lambda: moved)

    return move


@pytest.fixture
def whatsapp_case(twilio, runtime, work):
    """A WhatsApp citizen's new case, acknowledged; its tracking id."""

    def post(fixture: str = "whatsapp_text") -> str:
        assert twilio.post(twilio.params(fixture)).status_code == 200
        work()
        with runtime.sessions() as session:
            return session.scalars(select(Complaint.tracking_id)).one()

    return post


def dispatch(runtime, tracking_id: str) -> None:
    act_on_case(
        runtime,
        lambda session: store.complaint_by_tracking_id(session, tracking_id),
        lifecycle_action(Action.VERIFY, runtime, actor="koordinator"),
    )


def receipt(twilio, message: dict, fixture: str) -> int:
    """A signed status callback, as Twilio posts it, for the message the fake created."""
    sid = message["sid"]
    params = [(k, sid if k in {"MessageSid", "SmsSid"} else v) for k, v in twilio.params(fixture)]
    return twilio.post(params, path=twilio.status_path).status_code


def last_reply(runtime) -> Message:
    with runtime.sessions() as session:
        return session.scalars(
            select(Message).where(Message.direction == "out").order_by(Message.id.desc())
        ).first()


def test_inside_the_window_free_text_goes(whatsapp_case, runtime, work, fake_twilio, later):
    tracking_id = whatsapp_case()
    later(23)
    dispatch(runtime, tracking_id)
    work()
    ack, update = fake_twilio.sent()
    assert ack["to"] == update["to"] == f"whatsapp:{CITIZEN}"
    assert "Terverifikasi" in update["body"] and update["content_sid"] is None


def test_outside_the_window_the_approved_template_goes(
    whatsapp_case, runtime, work, fake_twilio, later, templates
):
    runtime.settings = runtime.settings.replace(whatsapp_templates_file=templates)
    fake_twilio.content_sids.add(SID)
    tracking_id = whatsapp_case()
    later(25)
    dispatch(runtime, tracking_id)
    work()
    update = fake_twilio.sent()[-1]
    assert update["to"] == f"whatsapp:{CITIZEN}" and update["body"] == ""
    assert update["content_sid"] == SID
    shown = re.sub(r"(.{5})(.{5})", r"\1-\2", tracking_id)
    assert update["content_variables"] == {
        "1": shown,
        "2": "Terverifikasi",
        "3": f"{runtime.public_url}/track/{tracking_id}",
    }
    request = fake_twilio.requests[-1]
    assert request.value("Body") is None and request.value("ContentSid") == SID
    message = last_reply(runtime)
    assert message.status == "sent" and message.raw["content_sid"] == SID


def test_no_template_falls_back_to_sms_to_the_same_phone(
    whatsapp_case, runtime, work, fake_twilio, later
):
    tracking_id = whatsapp_case()
    later(30)
    dispatch(runtime, tracking_id)
    work()
    update = fake_twilio.sent()[-1]
    assert update["to"] == CITIZEN and update["from"] == "1708"
    assert "Terverifikasi" in update["body"]
    message = last_reply(runtime)
    assert message.channel == "sms" and message.raw["fallback"] == "whatsapp_window"


def test_no_template_and_no_sms_is_recorded_not_sendable_on_the_case_page(
    whatsapp_case, client, runtime, work, fake_twilio, later
):
    runtime.settings = runtime.settings.replace(whatsapp_sms_fallback=False)
    tracking_id = whatsapp_case()
    later(48)
    dispatch(runtime, tracking_id)
    work()
    assert len(fake_twilio.sent()) == 1  # the acknowledgement only
    message = last_reply(runtime)
    assert message.status == "unsendable" and message.error_code == "wa_window_closed"
    add_operator(runtime, "koord")
    login(client, "koord")
    page = client.get(f"/console/cases/{tracking_id}")
    assert "jendela 24 jam WhatsApp" in page.get_data(as_text=True)


def test_a_user_id_without_a_phone_gets_no_sms(whatsapp_case, runtime, work, fake_twilio, later):
    tracking_id = whatsapp_case("whatsapp_bsuid_no_phone")
    ack = fake_twilio.sent()[0]
    assert ack["to"] == f"whatsapp:{BSUID}"
    with runtime.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.urn == f"whatsapp:{BSUID}" and contact.last_whatsapp_at is not None
    later(25)
    dispatch(runtime, tracking_id)
    work()
    assert len(fake_twilio.sent()) == 1
    assert last_reply(runtime).status == "unsendable"


def test_63016_from_the_api_takes_the_template_after_all(
    whatsapp_case, runtime, work, fake_twilio, templates
):
    runtime.settings = runtime.settings.replace(whatsapp_templates_file=templates)
    fake_twilio.content_sids.add(SID)
    tracking_id = whatsapp_case()
    fake_twilio.fail_next(400, 63016)  # WhatsApp closed the window earlier than we count
    dispatch(runtime, tracking_id)
    work()
    update = fake_twilio.sent()[-1]
    assert update["content_sid"] == SID
    assert last_reply(runtime).status == "sent"


def test_63016_in_a_receipt_sends_again_by_sms(whatsapp_case, twilio, runtime, work, fake_twilio):
    tracking_id = whatsapp_case()
    dispatch(runtime, tracking_id)
    work()
    free_text = fake_twilio.sent()[-1]
    assert free_text["to"] == f"whatsapp:{CITIZEN}"
    assert receipt(twilio, free_text, "status_failed_63016_whatsapp") == 204
    work()
    again = fake_twilio.sent()[-1]
    assert again["to"] == CITIZEN and again["body"] == free_text["body"]
    message = last_reply(runtime)
    assert message.channel == "sms" and message.status == "sent"


def test_63018_in_a_receipt_is_sent_again_after_a_back_off(
    whatsapp_case, twilio, runtime, work, fake_twilio
):
    whatsapp_case()
    ack = fake_twilio.sent()[0]
    assert receipt(twilio, ack, "status_failed_63018") == 204
    work()
    message = last_reply(runtime)
    assert message.status == "queued" and message.attempts == 1  # not failed for good
    registry = ScheduledJobRegistry(queue=queue(NOTIFY, runtime.redis))
    (scheduled,) = registry.get_job_ids()
    when = registry.get_scheduled_time(scheduled)
    wait = (when - datetime.now(UTC)).total_seconds()
    assert RATE_LIMIT_BACKOFF[0] - 5 < wait <= RATE_LIMIT_BACKOFF[0]
    # The scheduler's moment: the job runs, the reply goes again.
    queue(NOTIFY, runtime.redis).enqueue_job(queue(NOTIFY, runtime.redis).fetch_job(scheduled))
    work()
    assert len(fake_twilio.sent()) == 2
    assert last_reply(runtime).status == "sent"
