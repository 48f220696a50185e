"""Exactly once at the edges: a job crashing mid-transaction, the same job twice at once,
replies whose notify job was never queued, and the spool drained by many processes."""

from __future__ import annotations

import multiprocessing
import resource
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rq.job import Job
from sqlalchemy import func, select

from casestore.models import Complaint, Message
from dispatcher import jobs
from dispatcher.inbox import waiting_records
from dispatcher.intake import store_record
from dispatcher.outbox import sweep_outbox
from dispatcher.queues import INTAKE, NOTIFY, job_id, queue
from dispatcher.spool import Spool
from dispatcher.submit import Submitted, drain_spool, enqueue_spooled, submit
from normalizer import normalize
from normalizer.records import Channel, InboundMessage


def sms_record(runtime, sid: str, text: str = "Jalan rusak di Kampung Bale, Lut Tawar"):
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="twilio",
        external_id=sid,
        sender="tel:+6281234567890",
        text=text,
        received_at=datetime(2026, 11, 28, 3, 0, tzinfo=UTC),
    )
    return normalize(inbound, runtime.rules)


def count(runtime, model, *where) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_crash_after_claiming_the_message_leaves_nothing_behind(runtime):
    # On SQLite a released SAVEPOINT used to commit on its own: the crash below then left
    # the message claimed without its complaint, and the retry took it for a duplicate.
    record = sms_record(runtime, "SM" + "c" * 32)
    with pytest.raises(RuntimeError), runtime.sessions.begin() as session:
        store_record(session, record, runtime)
        session.flush()
        raise RuntimeError("worker killed mid-transaction")
    assert count(runtime, Message) == 0 and count(runtime, Complaint) == 0
    jobs.store(record.to_dict())  # the retry
    assert count(runtime, Complaint) == 1


def test_the_same_job_running_twice_at_once_stores_once(runtime):
    record = sms_record(runtime, "SM" + "d" * 32)
    results: list[dict] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        try:
            results.append(jobs.store(record.to_dict()))
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert count(runtime, Complaint) == 1
    assert count(runtime, Message, Message.direction == "in") == 1
    assert count(runtime, Message, Message.direction == "out") == 1  # one acknowledgement
    assert sorted(r["created"] for r in results) == [False, True]
    assert {r["tracking_id"] for r in results} == {record.tracking_id}


def test_replies_whose_notify_job_was_never_queued_are_swept_once(runtime, work):
    record = sms_record(runtime, "SM" + "e" * 32)
    # The store job committed, then Redis failed before its notify job was enqueued.
    with runtime.sessions.begin() as session:
        outcome = store_record(session, record, runtime)
    (message_id,) = outcome.outbound_ids
    notify_job = job_id("notify", str(message_id))
    assert not Job.exists(notify_job, connection=runtime.redis)

    assert sweep_outbox() == 0  # too fresh: its own enqueue may still be on the way
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert sweep_outbox(now=later) == 1
    assert sweep_outbox(now=later) == 0  # once
    assert queue(NOTIFY, runtime.redis).count == 1
    assert jobs.enqueue_notifications(runtime.redis, [message_id]) == 0  # the store's own
    work()
    with runtime.sessions() as session:
        assert session.get(Message, message_id).status != "queued"
    assert sweep_outbox(now=later) == 0


def test_a_provider_retry_racing_the_original_is_answered_duplicate(runtime):
    record = sms_record(runtime, "SM" + "f" * 32)
    outcomes = [submit(record, runtime.redis, runtime.spool) for _ in range(3)]
    assert outcomes == [Submitted.QUEUED, Submitted.DUPLICATE, Submitted.DUPLICATE]
    assert len(waiting_records(runtime.redis)) == 1


def test_a_spooled_record_whose_push_reached_redis_is_stored_once(runtime, work):
    record = sms_record(runtime, "SM" + "1" * 32)
    # The push script ran, but its answer was lost (a timeout): the web spooled it as well.
    assert submit(record, runtime.redis, runtime.spool) is Submitted.QUEUED
    runtime.spool.append(record.to_dict())
    assert drain_spool(runtime.redis, runtime.spool) == 1
    assert enqueue_spooled(runtime.redis, record.to_dict()) is Submitted.DUPLICATE
    assert len(waiting_records(runtime.redis)) == 1
    work()
    assert count(runtime, Complaint) == 1


def test_a_spooled_record_that_never_reached_redis_is_queued_and_stored(runtime, work):
    record = sms_record(runtime, "SM" + "2" * 32)
    runtime.spool.append(record.to_dict())  # Redis was away when it came
    assert drain_spool(runtime.redis, runtime.spool) == 1
    assert submit(record, runtime.redis, runtime.spool) is Submitted.DUPLICATE  # a retry
    work()
    assert count(runtime, Complaint) == 1


def _drain_in_child(directory: str, redis_url: str, out) -> None:
    from dispatcher.queues import redis_connection

    out.put(drain_spool(redis_connection(redis_url), Spool(Path(directory))))


def test_many_drainers_hand_each_record_over_once(runtime, tmp_path):
    spool = Spool(tmp_path / "spool")
    records = [sms_record(runtime, f"SM{n:032d}", f"Sampah menumpuk nomor {n}") for n in range(60)]
    for record in records:
        spool.append(record.to_dict())
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    drainers = [
        context.Process(
            target=_drain_in_child,
            args=(str(tmp_path / "spool"), runtime.settings.resolved_redis_url(), out),
        )
        for _ in range(4)
    ]
    for process in drainers:
        process.start()
    for process in drainers:
        process.join(30)
    drained = [out.get(timeout=5) for _ in drainers]
    drained.append(drain_spool(runtime.redis, spool))
    assert sum(drained) == 60  # whoever got the lock did it; nobody handed one over twice
    assert len(waiting_records(runtime.redis)) + _deferred(runtime) == 60
    assert spool.stats().records == 0


def _deferred(runtime) -> int:
    from rq.registry import DeferredJobRegistry

    return DeferredJobRegistry(INTAKE, connection=runtime.redis).count


def test_a_full_disk_leaves_no_torn_line_for_the_next_record(tmp_path):
    spool = Spool(tmp_path)
    spool.append({"n": 1})
    segment = next(tmp_path.glob("*.jsonl"))
    size = segment.stat().st_size
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 10, hard))
    try:
        with pytest.raises(OSError):
            spool.append({"n": 2, "text": "x" * 100})  # only part of it fits
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    assert segment.stat().st_size == size  # the partial write was taken back
    spool.append({"n": 3})
    seen: list[dict] = []
    spool.drain(seen.append)
    assert seen == [{"n": 1}, {"n": 3}]
