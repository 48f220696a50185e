"""Waiting for the reporter (issue 20): "minta keterangan" sends the question on the citizen's
channel and pauses the owner's clocks; the citizen's answer (INFO, a plain reply, a photo)
resumes the case and moves its deadlines by the paused working days; a wait that runs out
goes on as the policy says. The history below is written out with its known answers: a
local holiday (Mon 21 Dec 2026), cuti bersama (Thu 24 Dec), Christmas (Fri 25 Dec), New
Year's Day and Isra Mi'raj (Tue 5 Jan 2027) all fall in the pause.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from casestore import complaints as store
from casestore.accountability import add_local_holiday
from casestore.clock import add_working_days
from casestore.deadlines import install_policy, sla_policy
from casestore.lifecycle import Action, Status
from casestore.models import Complaint, Message, StatusEvent
from casestore.queries import public_case
from casestore.scoreboard import Period, scoreboard
from dispatcher.casework import act_on_case, lifecycle_action
from dispatcher.intake import store_record
from dispatcher.sla import sweep_deadlines
from normalizer import normalize
from normalizer.records import Channel, InboundMessage

WIB = ZoneInfo("Asia/Jakarta")
T0 = datetime(2026, 12, 15, 9, 0, tzinfo=WIB)  # Tuesday
ASKED = datetime(2026, 12, 17, 13, 0, tzinfo=WIB)  # Thursday
ANSWERED = datetime(2026, 12, 29, 10, 0, tzinfo=WIB)  # Tuesday
LOCAL_HOLIDAY = date(2026, 12, 21)  # Monday
# Working days after Thu 17 Dec up to Tue 29 Dec: Fri 18, Tue 22, Wed 23, Mon 28, Tue 29
# (Mon 21 local, Thu 24 cuti bersama, Fri 25 Christmas, weekends): five.
PAUSED_TO_ANSWER = 5
# Ten working days from Thu 17 Dec: 18, 22, 23, 28, 29, 30, 31 Dec, 4, 6, 7 Jan (1 Jan New
# Year, 5 Jan Isra Mi'raj): the wait ends on Thursday 7 January 2027 at 13:00.
WAIT_ENDS = datetime(2027, 1, 7, 13, 0, tzinfo=WIB)
QUESTION = "Di desa mana tepatnya jalan itu, dan di depan bangunan apa?"
TEXT = "Jalan berlubang di Kampung Bale, Kec. Lut Tawar, sudah dua minggu"
SENDER = "tel:+6281290000077"
_n = iter(range(1, 10**6))


@pytest.fixture
def history(runtime):
    with runtime.sessions.begin() as session:
        add_local_holiday(session, LOCAL_HOLIDAY, "Libur daerah", "koordinator")
    yield runtime
    install_policy(None)


def deliver(runtime, text, *, at, sender=SENDER, channel=Channel.SMS, media=()):
    inbound = InboundMessage(
        channel=channel,
        provider="twilio",
        external_id=f"SM{next(_n):032d}",
        sender=sender,
        text=text,
        received_at=at.astimezone(UTC),
        media=tuple(media),
    )
    with runtime.sessions.begin() as session:
        return store_record(session, normalize(inbound, runtime.rules), runtime)


def act(runtime, tracking_id, action, at, **fields):
    def find(session):
        return store.complaint_by_tracking_id(session, tracking_id)

    change = lifecycle_action(action, runtime, actor="op", **fields)
    return act_on_case(runtime, find, change, now=at.astimezone(UTC))


def case(runtime, tracking_id) -> Complaint:
    with runtime.sessions() as session:
        complaint = store.complaint_by_tracking_id(session, tracking_id)
        session.expunge(complaint)
        return complaint


def kinds(runtime, tracking_id) -> list[str]:
    with runtime.sessions() as session:
        complaint = store.complaint_by_tracking_id(session, tracking_id)
        return [e.kind.value for e in complaint.events]


def event(runtime, tracking_id, kind) -> StatusEvent:
    with runtime.sessions() as session:
        complaint = store.complaint_by_tracking_id(session, tracking_id)
        (found,) = [e for e in complaint.events if e.kind == kind]
        session.expunge(found)
        return found


def sweep(runtime, at):
    with runtime.sessions.begin() as session:
        return sweep_deadlines(session, runtime, at.astimezone(UTC))


def in_progress_case(runtime) -> str:
    tracking_id = deliver(runtime, TEXT, at=T0).tracking_id
    act(runtime, tracking_id, Action.VERIFY, T0 + timedelta(hours=1))
    act(runtime, tracking_id, Action.DISPATCH, T0 + timedelta(hours=2), unit="dinas-pupr")
    act(runtime, tracking_id, Action.START, T0 + timedelta(hours=3))
    return tracking_id


def test_the_question_goes_to_the_citizen_and_their_info_resumes_the_paused_clock(history):
    runtime = history
    tracking_id = in_progress_case(runtime)
    before = case(runtime, tracking_id)
    closed = {LOCAL_HOLIDAY}
    assert before.hard_due_at == add_working_days(T0, 60, "Asia/Jakarta", closed)
    acted = act(runtime, tracking_id, Action.ASK_REPORTER, ASKED, message_to_reporter=QUESTION)
    waiting = case(runtime, tracking_id)
    assert waiting.status == Status.WAITING_REPORTER
    assert waiting.due_at == WAIT_ENDS.astimezone(UTC) and waiting.warn_at is None
    with runtime.sessions() as session:
        (question,) = session.scalars(select(Message).where(Message.id.in_(acted.outbound_ids)))
        assert question.intent == "info_requested" and question.channel == "sms"
        assert QUESTION in question.body and "INFO" in question.body
    ask = event(runtime, tracking_id, "ask_reporter")
    assert ask.public and ask.message_to_reporter == QUESTION and ask.data["paused"] is True
    with runtime.sessions() as session:  # the tracking page says the clock stands still
        assert public_case(session, tracking_id).clock_paused is True

    outcome = deliver(runtime, f"INFO {tracking_id} Di depan SD Negeri 3 Kenawat", at=ANSWERED)
    assert outcome.tracking_id == tracking_id and not outcome.created
    resumed = case(runtime, tracking_id)
    assert resumed.status == Status.IN_PROGRESS
    assert resumed.paused_working_days == PAUSED_TO_ANSWER
    moved = add_working_days(before.hard_due_at, PAUSED_TO_ANSWER, "Asia/Jakarta", closed)
    assert resumed.hard_due_at == moved and resumed.due_at == moved
    resume = event(runtime, tracking_id, "resume")
    assert resume.actor == "citizen" and resume.to_status == Status.IN_PROGRESS
    assert resume.data["paused_days"] == PAUSED_TO_ANSWER and resume.data["expired"] is False
    with runtime.sessions() as session:
        bodies = [
            m.intent for m in session.scalars(select(Message).where(Message.direction == "out"))
        ]
    # Thanked for the information once; no status message about the resumption.
    assert bodies.count("follow_up_added") == 1 and "status_changed" not in bodies[-1:]

    # Resolved the next day: eight working days from receipt, three of them the owner's.
    resolved_at = datetime(2026, 12, 30, 10, 0, tzinfo=WIB)
    act(runtime, tracking_id, Action.RESOLVE, resolved_at, message_to_reporter="Ditambal.")
    with runtime.sessions() as session:
        period = Period(
            "2026-12",
            datetime(2026, 12, 1, tzinfo=WIB).astimezone(UTC),
            datetime(2027, 1, 1, tzinfo=WIB).astimezone(UTC),
        )
        board = scoreboard(session, period, resolved_at.astimezone(UTC), "Asia/Jakarta")
    (unit,) = [row for row in board.units if row.key == "dinas-pupr"]
    assert unit.median_resolution == 8.0 - PAUSED_TO_ANSWER
    assert unit.on_time == 1 and unit.open_overdue == 0


def test_no_warning_or_escalation_while_waiting_and_an_expired_wait_goes_back(history):
    runtime = history
    tracking_id = deliver(runtime, TEXT, at=T0).tracking_id
    act(runtime, tracking_id, Action.VERIFY, T0 + timedelta(hours=1))
    dispatched = T0 + timedelta(hours=2)
    act(runtime, tracking_id, Action.DISPATCH, dispatched, unit="dinas-pupr")
    # Follow-up within five working days: 16, 17, 18, 22, 23 Dec (21 Dec local).
    follow_up_due = datetime(2026, 12, 23, 11, 0, tzinfo=WIB)
    assert case(runtime, tracking_id).due_at == follow_up_due.astimezone(UTC)
    act(runtime, tracking_id, Action.ASK_REPORTER, ASKED, message_to_reporter=QUESTION)
    # The old warning and deadline pass while the case waits: nobody is warned or escalated.
    for at in (follow_up_due - timedelta(days=1), follow_up_due + timedelta(hours=1)):
        result = sweep(runtime, at)
        assert result.warned == [] and result.escalated == [] and result.resumed == []
    assert sweep(runtime, WAIT_ENDS - timedelta(minutes=1)).resumed == []
    result = sweep(runtime, WAIT_ENDS)
    assert result.resumed == [tracking_id] and result.archived == []
    back = case(runtime, tracking_id)
    assert back.status == Status.DISPATCHED and back.paused_working_days == 10
    # Dec 23 11:00 + 10 working days: 28-31 Dec, 4, 6, 7, 8, 11, 12 Jan (1 and 5 Jan off).
    assert back.due_at == datetime(2027, 1, 12, 11, 0, tzinfo=WIB).astimezone(UTC)
    resume = event(runtime, tracking_id, "resume")
    assert resume.actor == "system" and resume.data["expired"] is True and resume.public
    assert "tidak menanggapi" in resume.note
    assert "sla_warning" not in kinds(runtime, tracking_id)
    assert "escalated" not in kinds(runtime, tracking_id)


def test_a_plain_reply_or_a_photo_answers_the_question(history):
    runtime = history
    first, second = in_progress_case(runtime), None
    act(runtime, first, Action.ASK_REPORTER, ASKED, message_to_reporter=QUESTION)
    outcome = deliver(runtime, "Di depan masjid Kampung Bale", at=ANSWERED)
    assert outcome.tracking_id == first and not outcome.created
    assert case(runtime, first).status == Status.IN_PROGRESS
    assert event(runtime, first, "resume").data["paused_days"] == PAUSED_TO_ANSWER
    # Once answered, the next plain message is the citizen's business again (a new case).
    later = deliver(runtime, "Lampu jalan mati di depan kantor camat Bebesen", at=ANSWERED)
    second = later.tracking_id
    assert second != first and later.created
    assert second is not None


def test_a_policy_that_does_not_pause_keeps_the_deadlines_and_may_archive(history):
    runtime = history
    version = sla_policy().versions[-1]
    terms = replace(version.terms, pause_while_waiting=False, on_wait_expired="archive")
    install_policy(replace(sla_policy(), versions=(replace(version, terms=terms),)))
    answered = in_progress_case(runtime)
    due = case(runtime, answered).due_at
    act(runtime, answered, Action.ASK_REPORTER, ASKED, message_to_reporter=QUESTION)
    assert event(runtime, answered, "ask_reporter").data["paused"] is False
    with runtime.sessions() as session:  # so the tracking page must not say it is paused
        assert public_case(session, answered).clock_paused is False
    deliver(runtime, f"INFO {answered} Di depan SD Negeri 3", at=ANSWERED)
    resumed = case(runtime, answered)
    assert resumed.status == Status.IN_PROGRESS and resumed.due_at == due
    assert resumed.paused_working_days == 0

    silent = deliver(runtime, TEXT + " (kedua)", sender="tel:+6281290000078", at=T0).tracking_id
    act(runtime, silent, Action.VERIFY, T0 + timedelta(hours=1))
    act(runtime, silent, Action.ASK_REPORTER, ASKED, message_to_reporter=QUESTION)
    result = sweep(runtime, WAIT_ENDS)
    assert result.archived == [silent]
    archived = case(runtime, silent)
    assert archived.status == Status.ARCHIVED
    assert event(runtime, silent, "archive").reason == "no_response"
