"""The inbox's slow lane: a sender over the per-sender limit waits behind real complaints.

Real Redis, real database, real rq worker: the flooder's records go to a slow-lane shard
whose drain job is on ``intake_low``; a worker takes ``intake`` first, so a new complaint
from someone else is stored before the flood; nothing of the flood is lost or doubled.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from casestore.models import Complaint, Message, Quarantine
from dispatcher import inbox
from dispatcher.queues import INTAKE, INTAKE_LOW, QUEUE_NAMES, queue
from dispatcher.submit import Submitted, submit
from dispatcher.worker import make_worker
from gateway.webhooks.routes import _sender_limit
from normalizer import normalize
from normalizer.records import Channel, InboundMessage

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
FLOODER = "tel:+6281399990000"
LIMIT = (3, 600)


def sms(runtime, n: int, sender: str, text: str | None = None):
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="twilio",
        external_id=f"SM{n:032x}",
        sender=sender,
        text=text or f"Jalan rusak dan berlubang di Kampung Bale nomor {n}, Lut Tawar",
        received_at=T0 + timedelta(seconds=n),
    )
    return normalize(inbound, runtime.rules)


def inbound_count(runtime) -> int:
    with runtime.sessions() as session:
        stored = session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        )
        return stored + session.scalar(select(func.count()).select_from(Quarantine))


def test_a_flooders_messages_go_to_the_slow_lane_and_a_real_complaint_goes_first(runtime):
    runtime.settings = runtime.settings.replace(sms_rate_limit="3/600")
    for n in range(12):
        record = sms(runtime, n, FLOODER)
        assert submit(record, runtime.redis, runtime.spool, LIMIT) is Submitted.QUEUED
    normal = inbox.shard_of(FLOODER, "")
    slow = inbox.low_shard_of(normal)
    lengths = {s: runtime.redis.llen(inbox.shard_keys(s).inbox) for s in (normal, slow)}
    assert lengths == {normal: 3, slow: 9}  # the limit's worth, then the slow lane
    assert queue(INTAKE_LOW, runtime.redis).count == 1  # the slow shard's drain job

    # A provider's retry of a flood message is still a duplicate, and counts nothing.
    again = sms(runtime, 5, FLOODER)
    assert submit(again, runtime.redis, runtime.spool, LIMIT) is Submitted.DUPLICATE

    citizen = sms(runtime, 100, "tel:+6281211112222", "Lampu jalan mati di depan SD Negeri 2")
    submit(citizen, runtime.redis, runtime.spool, LIMIT)
    worker = make_worker(runtime)
    assert [q.name for q in worker.queues] == list(QUEUE_NAMES)
    assert QUEUE_NAMES.index(INTAKE) < QUEUE_NAMES.index(INTAKE_LOW)

    # One job at a time: every intake drain job runs before the slow lane's.
    while queue(INTAKE, runtime.redis).count:
        worker.work(burst=True, max_jobs=1, with_scheduler=False)
    with runtime.sessions() as session:
        keys = set(session.scalars(select(Complaint.idempotency_key)))
    assert citizen.idempotency_key in keys  # stored while the flood still waits
    assert runtime.redis.llen(inbox.shard_keys(slow).inbox) == 9
    worker.work(burst=True, with_scheduler=False)
    assert inbox.depth(runtime.redis).records == 0
    assert inbound_count(runtime) == 13  # 12 of the flood (stored or held) and the citizen


def slow_lane(runtime) -> int:
    return sum(
        runtime.redis.llen(inbox.shard_keys(s).inbox)
        for s in range(inbox.INBOX_SHARDS, inbox.ALL_SHARDS)
    )


def test_an_opt_out_and_other_senders_stay_in_the_normal_lane(runtime):
    for n in range(5):
        submit(sms(runtime, n, f"tel:+62812000000{n}"), runtime.redis, runtime.spool, LIMIT)
    assert slow_lane(runtime) == 0 and queue(INTAKE_LOW, runtime.redis).count == 0
    for n in range(10, 14):
        submit(sms(runtime, n, FLOODER), runtime.redis, runtime.spool, LIMIT)
    assert slow_lane(runtime) == 1  # the fourth in the window
    # STOP always goes straight through (the webhook passes no limit for an opt-out).
    stop = sms(runtime, 20, FLOODER, "STOP")
    assert stop.intent.value == "opt_out"
    assert _sender_limit(stop, runtime) is None
    assert _sender_limit(sms(runtime, 21, FLOODER), runtime) == runtime.settings.sms_rate
    normal = runtime.redis.llen(inbox.shard_keys(inbox.shard_of(FLOODER, "")).inbox)
    submit(stop, runtime.redis, runtime.spool, _sender_limit(stop, runtime))
    assert slow_lane(runtime) == 1
    assert runtime.redis.llen(inbox.shard_keys(inbox.shard_of(FLOODER, "")).inbox) == normal + 1
