"""The citizen's rating on SMS and WhatsApp (issue 20): asked once when the case is resolved,
a lone digit (or NILAI <digit> <comment>) rates it within the answer window, once; a low
rating is flagged; anything else stays what intake made of it before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from casestore import complaints as store
from casestore.accountability import low_ratings
from casestore.lifecycle import Action
from casestore.models import Complaint, Message, Rating, StatusEvent
from dispatcher.casework import act_on_case, lifecycle_action
from dispatcher.intake import store_record
from dispatcher.rating import parse_rating
from normalizer import normalize
from normalizer.records import Channel, InboundMessage

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB
TEXT = "Jalan berlubang di Kampung Bale, Kec. Lut Tawar, sudah dua minggu"
_n = iter(range(1, 10**6))


def deliver(runtime, text, *, sender="tel:+6281290000001", channel=Channel.SMS, at=T0):
    inbound = InboundMessage(
        channel=channel,
        provider="twilio",
        external_id=f"SM{next(_n):032d}",
        sender=sender,
        text=text,
        received_at=at,
    )
    record = normalize(inbound, runtime.rules)
    with runtime.sessions.begin() as session:
        return store_record(session, record, runtime)


def act(runtime, tracking_id, action, at, **fields):
    def find(session):
        return store.complaint_by_tracking_id(session, tracking_id)

    change = lifecycle_action(action, runtime, actor="op", **fields)
    return act_on_case(runtime, find, change, now=at)


def resolved_case(runtime, **kw) -> str:
    tracking_id = deliver(runtime, TEXT, **kw).tracking_id
    act(runtime, tracking_id, Action.VERIFY, T0 + timedelta(hours=1))
    act(runtime, tracking_id, Action.DISPATCH, T0 + timedelta(hours=2), unit="dinas-pupr")
    act(runtime, tracking_id, Action.START, T0 + timedelta(hours=3))
    act(
        runtime,
        tracking_id,
        Action.RESOLVE,
        T0 + timedelta(hours=4),
        message_to_reporter="Lubang sudah ditambal.",
    )
    return tracking_id


def outbound(runtime, intent):
    with runtime.sessions() as session:
        return list(
            session.scalars(
                select(Message).where(Message.direction == "out", Message.intent == intent)
            )
        )


def rating(runtime, tracking_id):
    with runtime.sessions() as session:
        complaint = store.complaint_by_tracking_id(session, tracking_id)
        return session.scalar(select(Rating).where(Rating.complaint_id == complaint.id))


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.WHATSAPP])
def test_resolution_asks_once_and_a_digit_rates_it(runtime, channel):
    sender = "tel:+6281290000001" if channel is Channel.SMS else "whatsapp:+6281290000001"
    tracking_id = resolved_case(runtime, channel=channel, sender=sender)
    (asked,) = outbound(runtime, "rating_ask")
    assert asked.channel == channel.value and "1 (sangat tidak puas)" in asked.body
    outcome = deliver(runtime, "4", channel=channel, sender=sender, at=T0 + timedelta(days=1))
    assert outcome.tracking_id == tracking_id and not outcome.created
    given = rating(runtime, tracking_id)
    assert (given.score, given.low, given.unit_code, given.channel) == (
        4,
        False,
        "dinas-pupr",
        channel.value,
    )
    (thanks,) = outbound(runtime, "rating_thanks")
    assert "Terima kasih atas penilaian" in thanks.body
    # Once per case: a second digit is not a rating any more; intake treats it as before.
    deliver(runtime, "2", channel=channel, sender=sender, at=T0 + timedelta(days=2))
    assert rating(runtime, tracking_id).score == 4
    assert not outbound(runtime, "rating_thanks_low")
    assert len(outbound(runtime, "rating_thanks")) == 1


def test_a_low_rating_with_a_comment_is_flagged_and_stays_internal(runtime):
    tracking_id = resolved_case(runtime)
    deliver(runtime, "nilai 1 lambat sekali, Pak Budi tidak datang", at=T0 + timedelta(days=1))
    given = rating(runtime, tracking_id)
    assert (given.score, given.low, given.comment) == (
        1,
        True,
        "lambat sekali, Pak Budi tidak datang",
    )
    (thanks,) = outbound(runtime, "rating_thanks_low")
    assert "Koordinator akan meninjau" in thanks.body and "Budi" not in thanks.body
    with runtime.sessions() as session:
        (flagged,) = low_ratings(session, since=T0)
        assert (flagged.tracking_id, flagged.score) == (tracking_id, 1)
        event = session.scalars(select(StatusEvent).where(StatusEvent.kind == "rated")).one()
        # Operators read the comment on the case's timeline, as an internal note.
        assert event.public is False and event.note == "lambat sekali, Pak Budi tidak datang"
        assert event.data == {"rating": 1, "low": True, "channel": "sms"}


def test_past_the_answer_window_a_digit_is_not_a_rating(runtime):
    tracking_id = resolved_case(runtime)
    late = T0 + timedelta(days=30)  # ten working days after the resolution have passed
    deliver(runtime, "5", at=late)
    assert rating(runtime, tracking_id) is None
    assert not outbound(runtime, "rating_thanks")


def test_a_digit_without_an_asked_resolved_case_is_intake_as_before(runtime):
    deliver(runtime, TEXT)  # an open case, not resolved
    deliver(runtime, "3", at=T0 + timedelta(hours=1))
    with runtime.sessions() as session:
        assert session.scalar(select(Rating)) is None
        assert session.scalars(select(Complaint)).all()  # nothing lost either way
    assert not outbound(runtime, "rating_ask")


def test_a_twitter_case_is_not_asked_in_public(runtime):
    resolved_case(runtime, channel=Channel.TWITTER, sender="twitter:12345")
    assert outbound(runtime, "status_changed")  # it was told of the resolution
    assert not outbound(runtime, "rating_ask")


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("4", (4, "")),
        (" 5. ", (5, "")),
        ("NILAI 2 lambat", (2, "lambat")),
        ("rate 3", (3, "")),
        ("3 lampu jalan mati di Bebesen", None),  # a complaint that starts with a number
        ("0", None),
        ("6", None),
        ("45", None),
        ("nilai", None),
        ("nilai 9 bagus", None),
        ("", None),
    ],
)
def test_what_counts_as_a_rating_reply(text, parsed):
    assert parse_rating(text) == parsed
