"""submit(record): make an accepted message durable and queued before the provider hears OK.

The record goes into the intake inbox (dispatcher/inbox.py) with one atomic Redis script that
also claims its "seen" key, which answers provider retries for two days with DUPLICATE; the
shard's drain job stores it, in a batch, in the order the gateway received the contact's
messages. When Redis cannot take the record, it goes to the fsynced local spool instead, and
a drainer re-submits it, in order, once Redis answers again.

A record that cannot be stored with its batch (a bug, a record this version cannot read)
becomes a store job of its own here: rq retries it with backoff and keeps it, with its
reason, in the failed registry for `satupintu replay`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from enum import StrEnum
from typing import Any

import redis
from rq import Retry
from rq.job import Job

from dispatcher import inbox
from dispatcher.metrics import count_intake
from dispatcher.queues import INTAKE, job_id, queue
from dispatcher.spool import Spool
from normalizer.records import ComplaintRecord, MalformedRecord

log = logging.getLogger(__name__)

SEEN_TTL_SECONDS = 2 * 24 * 3600
STORE_RESULT_TTL = 3600
STORE_FAILURE_TTL = 30 * 24 * 3600
# Transient failures (database down, lock timeout, deadlock, killed worker) retry with backoff
# for nearly three hours in all: a database restart or a maintenance window passes unattended.
# After that the job waits in the failed registry for `satupintu replay`.
STORE_RETRY = Retry(max=12, interval=[1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 3600])
# A drain job waits out an outage of any length: its records are in Redis, not in the job.
DRAIN_RETRY = Retry(max=10_000, interval=[1, 2, 5, 10, 30, 60])


class Submitted(StrEnum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"
    SPOOLED = "spooled"


def seen_key(idempotency_key: str) -> str:
    return f"satupintu:seen:{idempotency_key}"


def store_job_id(idempotency_key: str) -> str:
    return job_id("store", idempotency_key)


def enqueue_store_job(connection: redis.Redis, payload: Any, key: str) -> Job:
    """One record as a store job of its own (one a batch could not store, or a replay)."""
    channel = payload.get("channel", "?") if isinstance(payload, dict) else "?"
    return queue(INTAKE, connection).enqueue(
        "dispatcher.jobs.store",
        payload,
        job_id=store_job_id(key),
        retry=STORE_RETRY,
        result_ttl=STORE_RESULT_TTL,
        failure_ttl=STORE_FAILURE_TTL,
        # Never the record itself: rq logs descriptions, and bodies stay out of logs.
        description=f"store {channel} message",
    )


DRAIN_JOB_PREFIX = "drain-"


def drain_job_id(shard: int) -> str:
    return f"{DRAIN_JOB_PREFIX}{shard}-{secrets.token_hex(8)}"


def enqueue_drain(connection: redis.Redis, shard: int, this_job_id: str) -> Job:
    """The drain job of a shard whose flag names ``this_job_id`` (a slow-lane shard's waits
    on the intake_low queue, dispatcher/inbox.py)."""
    return queue(inbox.queue_of(shard), connection).enqueue(
        "dispatcher.drain.drain_inbox",
        shard,
        job_id=this_job_id,
        retry=DRAIN_RETRY,
        result_ttl=60,
        failure_ttl=STORE_FAILURE_TTL,
        description=f"drain inbox shard {shard}",
    )


def _push(
    connection: redis.Redis,
    payload: dict[str, Any],
    key: str,
    contact_urn: str,
    sender_limit: tuple[int, int] | None = None,
) -> int:
    laned = inbox.push_laned(
        connection,
        contact_urn,
        key,
        seen_key(key),
        payload,
        seen_ttl=SEEN_TTL_SECONDS,
        drain_job_id=drain_job_id,
        limit=sender_limit,
    )
    pushed, shard, drainer = laned.pushed, laned.shard, laned.drain_job_id
    if pushed == inbox.Pushed.NEEDS_DRAINER:
        try:
            enqueue_drain(connection, shard, drainer)
        except redis.RedisError as exc:
            # The record is in Redis: the workers' inbox sweep sees the flag's job missing
            # and enqueues one. Spooling it as well would only store it late, not lose less.
            log.warning("drain job for shard %d not enqueued (%s)", shard, type(exc).__name__)
    return pushed


def enqueue_store(
    connection: redis.Redis,
    record: ComplaintRecord,
    sender_limit: tuple[int, int] | None = None,
) -> Submitted:
    """Put the record in the inbox once; DUPLICATE when this message was queued before.

    ``sender_limit`` (messages, seconds): a sender over it goes to the inbox's slow lane.
    """
    pushed = _push(
        connection, record.to_dict(), record.idempotency_key, record.contact_urn, sender_limit
    )
    return Submitted.DUPLICATE if pushed == inbox.Pushed.DUPLICATE else Submitted.QUEUED


def enqueue_spooled(connection: redis.Redis, payload: Any) -> Submitted:
    """Re-submit one spooled record; DUPLICATE when it reached the inbox before.

    The claim and the append are one script, so a claimed seen key means the record is in
    the inbox or stored (the script ran but its answer was lost, and the web spooled it).
    A payload this version cannot read becomes a store job of its own: it fails at once and
    waits in the failed registry, payload and reason kept, for an operator.
    """
    try:
        record = ComplaintRecord.from_dict(payload)
    except MalformedRecord:
        digest = hashlib.sha256(repr(payload).encode()).hexdigest()
        key = f"unreadable:{digest}"
        if Job.exists(store_job_id(key), connection=connection):
            return Submitted.DUPLICATE
        enqueue_store_job(connection, payload, key)
        return Submitted.QUEUED
    return enqueue_store(connection, record)


def submit(
    record: ComplaintRecord,
    connection: redis.Redis,
    spool: Spool,
    sender_limit: tuple[int, int] | None = None,
) -> Submitted:
    """Queue the record, or spool it when Redis fails; returns only once it is durable.

    ``sender_limit``: the per-sender limit, for the inbox's slow lane (webhooks pass it).
    """
    try:
        outcome = enqueue_store(connection, record, sender_limit)
    except redis.RedisError as exc:
        log.warning("redis unavailable (%s); spooling %s", type(exc).__name__, record.channel.value)
        spool.append(record.to_dict())
        outcome = Submitted.SPOOLED
    count_intake(record.channel.value, outcome.value)
    return outcome


def drain_spool(connection: redis.Redis, spool: Spool) -> int:
    """Re-submit spooled records to Redis in order; raises RedisError if it is still down.

    Returns how many records were handed over (0 when another process is draining).
    """
    return spool.drain(lambda payload: enqueue_spooled(connection, payload))
