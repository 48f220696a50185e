"""backlog_snapshot(): what operators read about waiting work, with Redis up and down."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from dispatcher.backlog import backlog_snapshot
from dispatcher.queues import INTAKE, NOTIFY, queue
from dispatcher.runtime import Runtime
from dispatcher.submit import submit
from dispatcher.worker import make_worker
from normalizer import normalize
from normalizer.records import Channel, InboundMessage


def sms(runtime, sid: str, text: str, sender: str = "tel:+6281234567890"):
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="twilio",
        external_id=sid,
        sender=sender,
        text=text,
        received_at=datetime(2026, 11, 28, 3, 0, tzinfo=UTC),
    )
    return normalize(inbound, runtime.rules)


def test_an_idle_gateway_has_no_backlog(runtime):
    snapshot = backlog_snapshot(runtime)
    assert snapshot.redis_ok and snapshot.waiting == 0 and snapshot.failed == 0
    assert [q.name for q in snapshot.queues][:2] == [INTAKE, NOTIFY]
    assert snapshot.oldest_age_seconds is None
    assert snapshot.spool.records == 0


def test_queued_deferred_failed_spooled_and_workers_are_counted(runtime):
    complaint = sms(runtime, "SM" + "a" * 32, "Jalan rusak di Kampung Bale, Lut Tawar")
    submit(complaint, runtime.redis, runtime.spool)
    submit(
        sms(runtime, "SM" + "b" * 32, f"CEK {complaint.tracking_id}"), runtime.redis, runtime.spool
    )
    submit(
        sms(runtime, "SM" + "c" * 32, "Lampu mati di Bebesen", sender="tel:+6281300000000"),
        runtime.redis,
        runtime.spool,
    )
    spooled = sms(runtime, "SM" + "d" * 32, "Air mati di Takengon", sender="tel:+6281400000000")
    runtime.spool.append(spooled.to_dict())  # Redis was away for this one
    time.sleep(1.1)
    worker = make_worker(runtime)
    worker.register_birth()
    try:
        snapshot = backlog_snapshot(runtime)
    finally:
        worker.register_death()
    intake = snapshot.queue(INTAKE)
    assert intake.queued == 3  # messages in the inbox, not the drain jobs that store them
    # Received at 03:00 UTC that day: the oldest has waited since then.
    assert (
        intake.oldest_age_seconds
        >= time.time() - datetime(2026, 11, 28, 3, tzinfo=UTC).timestamp() - 1
    )
    assert snapshot.spool.records == 1 and snapshot.spool.oldest_age_seconds >= 1.0
    assert snapshot.waiting == 4
    assert snapshot.workers_alive == 1
    assert snapshot.workers[0].queues[0] == INTAKE

    queue(NOTIFY, runtime.redis).enqueue("dispatcher.jobs.notify", 10**9)  # no such message
    make_worker(runtime).work(burst=True, with_scheduler=False)
    after = backlog_snapshot(runtime)
    assert after.queue(NOTIFY).failed == 1 and after.failed == 1
    assert after.queue(INTAKE).queued == 0 and after.queue(INTAKE).deferred == 0
    assert after.spool.records == 0  # the worker drained it on its way
    assert after.waiting == 0


def test_without_redis_the_spool_is_still_reported(runtime, tmp_path):
    away = Runtime(runtime.settings.replace(redis_url=f"unix://{tmp_path}/nobody.sock"))
    away.spool.append({"waiting": "for redis"})
    snapshot = backlog_snapshot(away)
    assert not snapshot.redis_ok and snapshot.redis_error
    assert snapshot.spool.records == 1 and snapshot.waiting == 1
