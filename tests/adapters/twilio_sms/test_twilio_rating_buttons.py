"""The rating question on WhatsApp with quick-reply buttons (issue 20): with a
``twilio/quick-reply`` Content Template configured for ``rating_ask`` it goes as ContentSid +
ContentVariables through the real twilio library, inside the 24-hour window too; the pressed
button comes back as Twilio posts it (MessageType=button, ButtonText, ButtonPayload) and is
read like the digit; without a template the question goes as its digit text.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from casestore import complaints as store
from casestore.lifecycle import Action
from casestore.models import Complaint, Message, Rating
from config.whatsapp import load_whatsapp_templates
from dispatcher.casework import act_on_case, lifecycle_action

SID = "HX" + "c" * 32
CITIZEN = "+6281377788899"


@pytest.fixture
def rating_template(tmp_path):
    path = tmp_path / "whatsapp_templates.toml"
    path.write_text(
        f"""
[rating_ask.id]
content_sid = "{SID}"
variables = {{ "1" = "tracking_id" }}
quick_replies = ["NILAI 1", "NILAI 2", "NILAI 3", "NILAI 4", "NILAI 5"]
"""
    )
    return str(path)


def resolved(twilio, runtime, work) -> str:
    """A WhatsApp citizen's case, resolved within the hour: the window is open."""
    assert twilio.post(twilio.params("whatsapp_text")).status_code == 200
    work()
    with runtime.sessions() as session:
        tracking_id = session.scalars(select(Complaint.tracking_id)).one()
    steps = [
        (Action.VERIFY, {}),
        (Action.DISPATCH, {"unit": "pdam"}),
        (Action.START, {}),
        (Action.RESOLVE, {"message_to_reporter": "Pipa sudah diperbaiki, air mengalir lagi."}),
    ]
    for action, fields in steps:
        act_on_case(
            runtime,
            lambda session: store.complaint_by_tracking_id(session, tracking_id),
            lifecycle_action(action, runtime, actor="petugas", **fields),
        )
    work()
    return tracking_id


def rating_of(runtime, tracking_id) -> Rating | None:
    with runtime.sessions() as session:
        complaint = store.complaint_by_tracking_id(session, tracking_id)
        return session.scalar(select(Rating).where(Rating.complaint_id == complaint.id))


def test_the_question_goes_with_buttons_and_a_press_rates_the_case(
    twilio, runtime, work, fake_twilio, rating_template
):
    runtime.settings = runtime.settings.replace(whatsapp_templates_file=rating_template)
    fake_twilio.content_sids.add(SID)
    tracking_id = resolved(twilio, runtime, work)
    sent = fake_twilio.sent()
    resolution, question = sent[-2], sent[-1]
    assert "Pipa sudah diperbaiki" in resolution["body"] and resolution["content_sid"] is None
    # Inside the window, yet the template: its buttons are the point.
    assert question["to"] == f"whatsapp:{CITIZEN}" and question["content_sid"] == SID
    shown = re.sub(r"(.{5})(.{5})", r"\1-\2", tracking_id)
    assert question["content_variables"] == {"1": shown}
    assert fake_twilio.requests[-1].value("Body") is None
    with runtime.sessions() as session:
        asked = session.scalars(select(Message).where(Message.intent == "rating_ask")).one()
        assert asked.raw["content_sid"] == SID and asked.status == "sent"

    press = twilio.params("whatsapp_button_rating")
    assert dict(press)["MessageType"] == "button" and dict(press)["ButtonPayload"] == "NILAI 4"
    assert twilio.post(press).status_code == 200
    work()
    given = rating_of(runtime, tracking_id)
    assert (given.score, given.channel, given.comment, given.low) == (4, "whatsapp", "", False)
    thanks = fake_twilio.sent()[-1]
    assert "Terima kasih atas penilaian" in thanks["body"]
    # A provider retry of the same press changes nothing.
    assert twilio.post(press).status_code == 200
    work()
    with runtime.sessions() as session:
        assert len(session.scalars(select(Rating)).all()) == 1


def test_without_a_template_the_question_is_the_digit_text(twilio, runtime, work, fake_twilio):
    tracking_id = resolved(twilio, runtime, work)
    question = fake_twilio.sent()[-1]
    assert question["content_sid"] is None and "Balas satu angka" in question["body"]
    # The button's label alone ("4 Puas" typed) is no rating; the digit is.
    params = [(k, "4" if k in ("Body",) else v) for k, v in twilio.params("whatsapp_text")]
    params = [(k, "SM" + "d" * 32 if k in ("MessageSid", "SmsSid", "SmsMessageSid") else v)
              for k, v in params]  # fmt: skip
    assert twilio.post(params).status_code == 200
    work()
    assert rating_of(runtime, tracking_id).score == 4


def test_the_shipped_file_describes_the_buttons_but_approves_nothing():
    # No SID ships: until a district pastes its approved one, the digit text goes.
    assert load_whatsapp_templates() == {}
