"""The intake inbox and its drain jobs: batches, crashes at every step, set-aside records.

Real Redis, real database, real rq worker; the crashes are the steps a killed process would
not finish, taken one at a time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.registry import FailedJobRegistry
from sqlalchemy import event, func, select

from casestore.models import Complaint, Message
from dispatcher import dead_letters, drain, inbox, triage
from dispatcher.intake import batch as batch_path
from dispatcher.intake import new_complaint
from dispatcher.queues import INTAKE, queue
from dispatcher.submit import SEEN_TTL_SECONDS, Submitted, seen_key, submit
from dispatcher.worker import make_worker
from normalizer import normalize
from normalizer.records import Channel, InboundMessage

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
SHARD = 3


def sms(runtime, n: int, text: str | None = None, sender: str | None = None):
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="twilio",
        external_id=f"SM{n:032x}",
        sender=sender or f"tel:+62812{n:08d}",
        text=text or f"Jalan rusak dan berlubang di Kampung Bale nomor {n}, Lut Tawar",
        received_at=T0 + timedelta(seconds=n),
    )
    return normalize(inbound, runtime.rules)


def count(runtime, model, *where) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


OUT = Message.direction == "out"


def push(runtime, record, shard: int = SHARD, job: str = "drain-test") -> int:
    """What submit's script does, without the enqueue that follows it."""
    return inbox.push(
        runtime.redis,
        shard,
        seen_key(record.idempotency_key),
        record.to_dict(),
        seen_ttl=SEEN_TTL_SECONDS,
        drain_job_id=job,
    )


@pytest.fixture
def commits(runtime):
    seen = []
    engine = runtime.engine
    listener = lambda _conn: seen.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    yield seen
    event.remove(engine, "commit", listener)


def test_many_records_are_stored_in_few_transactions(runtime, commits):
    records = [sms(runtime, n) for n in range(120)]
    for record in records:
        assert submit(record, runtime.redis, runtime.spool) is Submitted.QUEUED
    assert len(inbox.waiting_records(runtime.redis)) == 120
    shards = {inbox.shard_of(r.contact_urn, r.idempotency_key) for r in records}
    assert queue(INTAKE, runtime.redis).count == len(shards)  # one drain job per shard
    make_worker(runtime, queues=[INTAKE]).work(burst=True, with_scheduler=False)
    assert count(runtime, Complaint) == 120
    assert count(runtime, Message, OUT) == 120  # the acks, queued for their notify jobs
    assert inbox.waiting_records(runtime.redis) == []
    # A transaction per shard (all came before the worker started), not one per message.
    assert len(commits) <= len(shards) + 1
    # Every drain lowered its flag and lock: the next message raises the flag anew.
    for shard in shards:
        keys = inbox.shard_keys(shard)
        assert not runtime.redis.exists(keys.active, keys.lock, keys.taken)


def test_a_batch_is_one_transaction(runtime, commits):
    from dispatcher import runtime as runtime_module

    runtime_module.install(runtime)
    records = [sms(runtime, n) for n in range(30)]
    outcome = drain.store_batch(runtime, [r.to_dict() for r in records])
    assert outcome.stored == 30 and outcome.set_aside == [] and len(outcome.outbound_ids) == 30
    assert len(commits) == 1


def test_a_provider_retry_is_one_record_in_the_inbox(runtime):
    record = sms(runtime, 1)
    assert push(runtime, record) == inbox.Pushed.NEEDS_DRAINER
    assert push(runtime, record) == inbox.Pushed.DUPLICATE
    assert push(runtime, sms(runtime, 2)) == inbox.Pushed.QUEUED  # the flag stands
    assert len(inbox.waiting_records(runtime.redis)) == 2


def test_a_web_process_killed_between_push_and_enqueue_loses_nothing(runtime, work):
    record = sms(runtime, 7)
    push(runtime, record, job="drain-never-enqueued")  # then the process died
    assert queue(INTAKE, runtime.redis).count == 0
    assert inbox.shards_unattended(runtime.redis) == [SHARD]
    work()  # the worker's maintenance sweep finds the shard and drains it
    assert count(runtime, Complaint) == 1
    assert inbox.shards_unattended(runtime.redis) == []


def test_a_drainer_killed_before_its_commit_leaves_the_batch_for_the_next(runtime, work):
    records = [sms(runtime, n, sender="tel:+6281200000001") for n in range(3)]
    records[1:] = [
        sms(runtime, 11, f"INFO {records[0].tracking_id} sudah seminggu", "tel:+6281200000001"),
        sms(runtime, 12, f"CEK {records[0].tracking_id}", "tel:+6281200000001"),
    ]
    for record in records:
        push(runtime, record)
    doomed = inbox.Drain(runtime.redis, SHARD).__enter__()
    assert [r["external_id"] for r in doomed.take()] == [r.external_id for r in records]
    runtime.redis.delete(inbox.shard_keys(SHARD).lock)  # its lock lapsed; it never committed
    assert len(inbox.waiting_records(runtime.redis)) == 3  # taken is still waiting
    work()
    assert count(runtime, Complaint) == 1
    with runtime.sessions() as session:
        intents = session.scalars(
            select(Message.intent).where(Message.direction == "out").order_by(Message.id)
        ).all()
    assert intents == ["ack", "follow_up_added", "status"]  # in the order they came


def test_a_drainer_killed_after_its_commit_changes_nothing_when_redone(runtime, work):
    from dispatcher import runtime as runtime_module

    runtime_module.install(runtime)
    records = [sms(runtime, n) for n in range(5)]
    for record in records:
        push(runtime, record)
    doomed = inbox.Drain(runtime.redis, SHARD).__enter__()
    batch = doomed.take()
    drain.store_batch(runtime, batch)  # committed; killed before done()
    runtime.redis.delete(inbox.shard_keys(SHARD).lock)
    work()
    assert count(runtime, Complaint) == 5
    assert count(runtime, Message) == 10  # five in, five acks: no second ack


def test_a_second_drain_job_on_a_held_shard_does_nothing(runtime):
    from dispatcher import runtime as runtime_module

    runtime_module.install(runtime)
    push(runtime, sms(runtime, 1))
    with inbox.Drain(runtime.redis, SHARD) as holder:
        assert holder.locked
        assert drain.drain_inbox(SHARD) == {"shard": SHARD, "busy": True}
    assert len(inbox.waiting_records(runtime.redis)) == 1


def test_a_long_drain_hands_the_shard_on(runtime, work, monkeypatch):
    monkeypatch.setattr(inbox, "SLICE_SECONDS", 0.0)  # one batch per drain job
    monkeypatch.setattr(inbox, "BATCH_SIZE", 4)
    for n in range(10):
        push(runtime, sms(runtime, n))
    drain_job = drain.sweep_inbox(runtime.redis)
    assert drain_job == [SHARD]
    work()
    assert count(runtime, Complaint) == 10
    assert not runtime.redis.exists(inbox.shard_keys(SHARD).active)


def test_a_record_that_cannot_be_read_goes_on_alone_to_the_failed_registry(runtime, work):
    good = sms(runtime, 1)
    push(runtime, good)
    keys = inbox.shard_keys(SHARD)
    runtime.redis.rpush(keys.inbox, '{"intent": "new", "text": "jalan rusak"}')
    runtime.redis.rpush(keys.inbox, "not json at all \x00")
    push(runtime, sms(runtime, 2))
    work()
    assert count(runtime, Complaint) == 2  # the readable ones, in spite of their neighbours
    failed = dead_letters.failed_jobs(runtime.redis)
    assert len(failed) == 2
    assert {f.function for f in failed} == {"dispatcher.jobs.store"}
    assert all(f.reason.startswith("malformed record") for f in failed)
    assert {"text": "jalan rusak", "intent": "new"} in [f.payload for f in failed]
    assert inbox.waiting_records(runtime.redis) == []


def test_a_record_that_breaks_the_store_is_isolated_and_kept(runtime, work, monkeypatch):
    # The bug sits in routing, which the batch path (dispatcher/intake/batch.py) and the
    # per-record one (new_complaint) both run: the batch fails, the records are stored one
    # by one, and the one that fails alone goes on as a store job of its own.
    real = triage.route_record
    broken = sms(runtime, 2)

    def route_record(record, rt, verdict=None):
        if record.external_id == broken.external_id:
            raise ValueError("a bug that only this record meets")
        return real(record, rt, verdict)

    for module in (batch_path, new_complaint):
        monkeypatch.setattr(module, "route_record", route_record)
    for n in (1, 2, 3):
        push(runtime, sms(runtime, n))
    work()
    assert count(runtime, Complaint) == 2
    (failed,) = FailedJobRegistry(INTAKE, connection=runtime.redis).get_job_ids()
    (letter,) = dead_letters.failed_jobs(runtime.redis)
    assert letter.id == failed and "a bug that only this record meets" in letter.reason
    assert letter.payload["external_id"] == broken.external_id

    for module in (batch_path, new_complaint):  # the fix is deployed
        monkeypatch.setattr(module, "route_record", real)
    assert dead_letters.replay(runtime.redis, failed) == dead_letters.Replayed.REQUEUED
    work()
    assert count(runtime, Complaint) == 3


def test_the_backlog_counts_records_not_drain_jobs(runtime):
    from dispatcher.backlog import backlog_snapshot

    for n in range(6):
        submit(sms(runtime, n), runtime.redis, runtime.spool)
    intake = backlog_snapshot(runtime).queue(INTAKE)
    assert intake.queued == 6
    assert intake.oldest_age_seconds >= (datetime.now(UTC) - T0).total_seconds() - 5
