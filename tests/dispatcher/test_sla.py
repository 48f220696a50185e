"""The SLA sweep: one warning a working day before, one escalation after, auto-close after 10.

Clocks run in working days, so the case below, received the Monday before Christmas 2026,
is due only after Christmas Eve (cuti bersama), Christmas and the weekend.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from casestore import complaints as store
from casestore import contacts
from casestore.clock import add_working_days, working_days_between
from casestore.deadlines import overdue_complaints
from casestore.lifecycle import Action, Status, apply_action, start_clocks
from casestore.models import Complaint, Message, StatusEvent, utcnow
from dispatcher import schedule
from dispatcher.queues import MAINTENANCE, queue
from dispatcher.sla import sweep_deadlines
from normalizer.records import Channel
from normalizer.tracking import derive_tracking_id
from tests.case_records import complaint_record

WIB = ZoneInfo("Asia/Jakarta")
RECEIVED = datetime(2026, 12, 21, 9, 0, tzinfo=WIB)  # Monday
_n = iter(range(1, 10**6))


def new_case(runtime, received_at=RECEIVED, channel="sms") -> int:
    n = next(_n)
    with runtime.sessions.begin() as session:
        complaint = store.open_complaint(
            session,
            dataclasses.replace(
                complaint_record(f"sla:{n}", received_at), channel=Channel(channel)
            ),
            tracking_id=derive_tracking_id(f"sla:{n}", "test-secret"),
            contact=contacts.get_or_create_contact(session, f"tel:+6281280{n:06d}"),
            owner_unit="dinas-pupr",
        )
        start_clocks(complaint, runtime.settings.timezone)
        session.flush()
        return complaint.id


def sweep(runtime, at: datetime):
    with runtime.sessions.begin() as session:
        return sweep_deadlines(session, runtime, at.astimezone(UTC))


def events(runtime, complaint_id: int, kind: str) -> list[StatusEvent]:
    with runtime.sessions() as session:
        query = select(StatusEvent).where(
            StatusEvent.complaint_id == complaint_id, StatusEvent.kind == kind
        )
        return list(session.scalars(query))


def test_warn_once_then_escalate_once_across_christmas(runtime):
    case = new_case(runtime)
    due = datetime(2026, 12, 28, 9, 0, tzinfo=WIB)  # Tue, Wed, (Thu-Sun off), Mon
    with runtime.sessions() as session:
        assert session.get(Complaint, case).due_at == due
    assert sweep(runtime, datetime(2026, 12, 22, 17, 0, tzinfo=WIB)).warned == []
    warned = sweep(runtime, datetime(2026, 12, 23, 9, 5, tzinfo=WIB))  # one working day before
    assert len(warned.warned) == 1 and warned.escalated == []
    assert sweep(runtime, datetime(2026, 12, 23, 15, 0, tzinfo=WIB)).warned == []  # once
    # Christmas Eve and Christmas are not working days: nothing is late over the holiday.
    assert sweep(runtime, datetime(2026, 12, 27, 23, 0, tzinfo=WIB)).escalated == []
    late = datetime(2026, 12, 28, 9, 5, tzinfo=WIB)
    assert len(sweep(runtime, late).escalated) == 1
    assert sweep(runtime, late + timedelta(hours=3)).escalated == []  # once
    (warning,) = events(runtime, case, "sla_warning")
    (escalation,) = events(runtime, case, "escalated")
    assert not warning.public and not escalation.public and escalation.actor == "system"
    assert escalation.data["due_at"] == due.astimezone(UTC).isoformat()
    with runtime.sessions() as session:
        complaint = session.get(Complaint, case)
        # The unit keeps the case (LAPOR! practice); the coordinator sees it in the list.
        assert complaint.owner_unit == "dinas-pupr" and complaint.escalated_at is not None
        assert complaint in overdue_complaints(session, late)


def test_a_new_transition_gives_a_new_deadline_and_new_marks(runtime):
    case = new_case(runtime)
    late = datetime(2026, 12, 28, 10, 0, tzinfo=WIB)
    sweep(runtime, late)
    with runtime.sessions.begin() as session:
        complaint = session.get(Complaint, case)
        apply_action(session, complaint, Action.VERIFY, actor="c", now=late)
        apply_action(session, complaint, Action.DISPATCH, actor="c", now=late, unit="dinas-pupr")
        assert complaint.escalated_at is None
        assert complaint.due_at == add_working_days(late, 5)
        assert complaint not in overdue_complaints(session, late)
    # Five working days from Mon 28 Dec, over New Year's Day (and Isra Mi'raj if it falls
    # in that week): warned one working day before, escalated after.
    due = add_working_days(late, 5)
    warn = add_working_days(due, -1)
    assert sweep(runtime, warn - timedelta(minutes=1)).warned == []
    assert len(sweep(runtime, warn).warned) == 1
    assert sweep(runtime, due - timedelta(minutes=1)).escalated == []
    assert len(sweep(runtime, due).escalated) == 1
    assert len(events(runtime, case, "escalated")) == 2


def test_resolved_cases_close_after_ten_working_days_and_the_citizen_is_told(runtime):
    case = new_case(runtime)
    resolved_at = datetime(2026, 12, 22, 14, 0, tzinfo=WIB)
    with runtime.sessions.begin() as session:
        complaint = session.get(Complaint, case)
        for action, fields in [
            (Action.VERIFY, {}),
            (Action.DISPATCH, {"unit": "dinas-pupr"}),
            (Action.START, {}),
            (Action.RESOLVE, {"message_to_reporter": "Sudah ditambal"}),
        ]:
            apply_action(session, complaint, action, actor="u", now=resolved_at, **fields)
    closes = add_working_days(resolved_at, 10)
    assert working_days_between(resolved_at, closes) == 10
    assert closes - resolved_at > timedelta(days=16)  # Christmas, New Year and weekends
    assert sweep(runtime, closes - timedelta(minutes=1)).closed == []
    result = sweep(runtime, closes)
    assert len(result.closed) == 1 and result.escalated == [] and result.warned == []
    with runtime.sessions() as session:
        complaint = session.get(Complaint, case)
        assert complaint.status == Status.CLOSED and complaint.due_at is None
        (closing,) = [e for e in complaint.events if e.kind == "close"]
        assert closing.actor == "system"
        (message,) = session.scalars(select(Message).where(Message.id.in_(result.outbound_ids)))
        assert message.intent == "closed"


def test_finished_cases_are_left_alone(runtime):
    case = new_case(runtime)
    with runtime.sessions.begin() as session:
        complaint = session.get(Complaint, case)
        apply_action(session, complaint, Action.REJECT, actor="c", now=RECEIVED, reason="spam")
    result = sweep(runtime, datetime(2027, 6, 1, tzinfo=WIB))
    assert (result.closed, result.escalated, result.warned) == ([], [], [])


def test_the_scheduler_runs_the_sweep_on_a_real_worker(runtime, work):
    assert "dispatcher.sla.sweep" in {job.func for job in schedule.PERIODIC_JOBS}
    now = utcnow()
    late = new_case(runtime, received_at=add_working_days(now, -4))  # verify clock ran out
    fresh = new_case(runtime, received_at=now)
    names = schedule.enqueue_due(runtime.redis, runtime.settings)
    assert "sla-sweep" in names and queue(MAINTENANCE, runtime.redis).count >= 1
    work()
    assert len(events(runtime, late, "escalated")) == 1
    assert events(runtime, fresh, "escalated") == []


@pytest.mark.parametrize("status", [Status.DUPLICATE, Status.CLOSED, Status.ARCHIVED])
def test_no_deadline_once_finished(runtime, status):
    case = new_case(runtime)
    with runtime.sessions.begin() as session:
        complaint = session.get(Complaint, case)
        complaint.status = status
        complaint.due_at = complaint.warn_at = None
    assert sweep(runtime, datetime(2027, 6, 1, tzinfo=WIB)).escalated == []
