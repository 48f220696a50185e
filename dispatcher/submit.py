"""submit(record): make an accepted message durable and queued before the provider hears OK.

The record becomes an rq job on ``intake`` whose id derives from its idempotency key, enqueued
atomically with rq's ``unique`` flag; a "seen" key answers provider retries cheaply for two
days after. When Redis cannot take the record, it goes to the fsynced local spool instead.
"""

from __future__ import annotations

import logging
from enum import StrEnum

import redis
from rq import Retry
from rq.exceptions import DuplicateJobError

from dispatcher.queues import INTAKE, job_id, queue
from dispatcher.spool import Spool
from normalizer.records import ComplaintRecord

log = logging.getLogger(__name__)

SEEN_TTL_SECONDS = 2 * 24 * 3600
STORE_RESULT_TTL = 3600
# Transient failures (database down, deadlock) retry with backoff; about 25 minutes in all.
STORE_RETRY = Retry(max=8, interval=[1, 2, 5, 10, 30, 60, 300, 900])


class Submitted(StrEnum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"
    SPOOLED = "spooled"


def seen_key(idempotency_key: str) -> str:
    return f"satupintu:seen:{idempotency_key}"


def enqueue_store(connection: redis.Redis, record: ComplaintRecord) -> Submitted:
    """Enqueue the store job once; DUPLICATE when this message was queued before."""
    key = record.idempotency_key
    if connection.exists(seen_key(key)):
        return Submitted.DUPLICATE
    try:
        queue(INTAKE, connection).enqueue(
            "dispatcher.jobs.store",
            record.to_dict(),
            job_id=job_id("store", key),
            unique=True,
            retry=STORE_RETRY,
            result_ttl=STORE_RESULT_TTL,
            failure_ttl=30 * 24 * 3600,
            # Never the record itself: rq logs descriptions, and bodies stay out of logs.
            description=f"store {record.channel.value} message",
        )
    except DuplicateJobError:
        outcome = Submitted.DUPLICATE
    else:
        outcome = Submitted.QUEUED
    connection.set(seen_key(key), "1", ex=SEEN_TTL_SECONDS)
    return outcome


def submit(record: ComplaintRecord, connection: redis.Redis, spool: Spool) -> Submitted:
    """Queue the record, or spool it when Redis fails; returns only once it is durable."""
    try:
        return enqueue_store(connection, record)
    except redis.RedisError as exc:
        log.warning("redis unavailable (%s); spooling %s", type(exc).__name__, record.channel.value)
        spool.append(record.to_dict())
        return Submitted.SPOOLED


def drain_spool(connection: redis.Redis, spool: Spool) -> int:
    """Re-submit spooled records to Redis in order; raises RedisError if it is still down."""
    return spool.drain(
        lambda payload: enqueue_store(connection, ComplaintRecord.from_dict(payload))
    )
