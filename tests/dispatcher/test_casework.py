"""act_on_case: the action and the citizen's message commit together, the notify job is
enqueued only after the commit, and a refused action leaves nothing behind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from rq.job import Job
from sqlalchemy import func, select

from casestore import complaints as store
from casestore import contacts
from casestore.lifecycle import Action, Status, TransitionError, start_clocks
from casestore.models import Message, StatusEvent
from dispatcher.casework import act_on_case, lifecycle_action
from dispatcher.queues import job_id
from normalizer.tracking import derive_tracking_id
from tests.case_records import complaint_record

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def open_case(runtime, n: int) -> str:
    with runtime.sessions.begin() as session:
        complaint = store.open_complaint(
            session,
            complaint_record(f"sms:casework-{n}", NOW),
            tracking_id=derive_tracking_id(f"sms:casework-{n}", "test-secret"),
            contact=contacts.get_or_create_contact(session, f"tel:+62812555{n:05d}"),
            owner_unit="dinas-pupr",
        )
        start_clocks(complaint)
    return complaint.tracking_id


def finder(tracking_id):
    return lambda session: store.complaint_by_tracking_id(session, tracking_id)


def test_the_action_commits_then_the_notify_job_is_enqueued(runtime):
    tracking_id = open_case(runtime, 1)
    change = lifecycle_action(Action.VERIFY, runtime, actor="op")
    acted = act_on_case(runtime, finder(tracking_id), change, show=lambda _s, c: c.status, now=NOW)
    assert acted.shown == Status.VERIFIED and acted.notified
    assert len(acted.outbound_ids) == 1
    assert Job.exists(job_id("notify", str(acted.outbound_ids[0])), connection=runtime.redis)
    with runtime.sessions() as session:
        message = session.get(Message, acted.outbound_ids[0])
        assert message.intent == "status_changed" and message.status == "queued"


def test_a_refused_action_leaves_nothing(runtime):
    tracking_id = open_case(runtime, 2)
    change = lifecycle_action(Action.RESOLVE, runtime, actor="op", note="Selesai")
    with pytest.raises(TransitionError):
        act_on_case(runtime, finder(tracking_id), change, now=NOW)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count(StatusEvent.id))) == 0
        assert session.scalar(select(func.count(Message.id))) == 0


def test_without_redis_the_message_stays_queued_for_the_outbox_sweep(runtime, monkeypatch):
    tracking_id = open_case(runtime, 3)

    def refuse(*_args, **_kwargs):
        raise redis.ConnectionError("Redis is away")

    monkeypatch.setattr(runtime.redis, "pipeline", refuse)
    change = lifecycle_action(Action.VERIFY, runtime, actor="op")
    acted = act_on_case(runtime, finder(tracking_id), change, now=NOW)
    assert not acted.notified
    with runtime.sessions() as session:
        assert session.get(Message, acted.outbound_ids[0]).status == "queued"
        assert store.complaint_by_tracking_id(session, tracking_id).status == Status.VERIFIED
