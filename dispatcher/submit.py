"""submit(record): make an accepted message durable and queued before the provider hears OK.

The record becomes an rq job on ``intake`` whose id derives from its idempotency key. A "seen"
key, claimed with SET NX, answers provider retries for two days without a second job. A
contact's records are chained with rq dependencies, so two workers never apply one citizen's
messages out of the order the gateway received them (a follow-up waits for its complaint,
MULAI for the STOP before it). When Redis cannot take the record, it goes to the fsynced
local spool instead, and a drainer re-submits it, in order, once Redis answers again.
"""

from __future__ import annotations

import hashlib
import logging
from enum import StrEnum
from typing import Any

import redis
from rq import Retry
from rq.job import Dependency, Job

from dispatcher.metrics import count_intake
from dispatcher.queues import INTAKE, job_id, queue
from dispatcher.spool import Spool
from normalizer.records import ComplaintRecord, MalformedRecord

log = logging.getLogger(__name__)

SEEN_TTL_SECONDS = 2 * 24 * 3600
# A claim whose job never reached Redis (Redis failed in between) lapses quickly, so that a
# provider's retry of a message we could not accept is accepted then.
CLAIM_TTL_SECONDS = 60
STORE_RESULT_TTL = 3600
STORE_FAILURE_TTL = 30 * 24 * 3600
# Transient failures (database down, lock timeout, deadlock, killed worker) retry with backoff
# for nearly three hours in all: a database restart or a maintenance window passes unattended.
# After that the job waits in the failed registry for `satupintu replay`.
STORE_RETRY = Retry(max=12, interval=[1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 3600])


class Submitted(StrEnum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"
    SPOOLED = "spooled"


def seen_key(idempotency_key: str) -> str:
    return f"satupintu:seen:{idempotency_key}"


def contact_chain_key(contact_urn: str) -> str:
    """Where the id of a contact's latest store job is kept (hashed: no numbers in Redis keys)."""
    digest = hashlib.sha256(contact_urn.encode()).hexdigest()[:32]
    return f"satupintu:contact-last:{digest}"


def store_job_id(idempotency_key: str) -> str:
    return job_id("store", idempotency_key)


def _enqueue(connection: redis.Redis, payload: dict[str, Any], key: str, contact_urn: str) -> Job:
    """The store job, after the contact's previous one (finished or failed) when there is one."""
    this_job = store_job_id(key)
    depends_on = None
    if contact_urn:
        previous = connection.set(
            contact_chain_key(contact_urn), this_job, ex=SEEN_TTL_SECONDS, get=True
        )
        if previous and previous.decode() != this_job:
            # allow_failure: a record an operator must look at does not hold up the next one.
            depends_on = Dependency(jobs=[previous.decode()], allow_failure=True)
    return queue(INTAKE, connection).enqueue(
        "dispatcher.jobs.store",
        payload,
        job_id=this_job,
        depends_on=depends_on,
        retry=STORE_RETRY,
        result_ttl=STORE_RESULT_TTL,
        failure_ttl=STORE_FAILURE_TTL,
        # Never the record itself: rq logs descriptions, and bodies stay out of logs.
        description=f"store {payload.get('channel', '?')} message",
    )


def enqueue_store(connection: redis.Redis, record: ComplaintRecord) -> Submitted:
    """Enqueue the store job once; DUPLICATE when this message was queued before."""
    key = record.idempotency_key
    if not connection.set(seen_key(key), "1", nx=True, ex=CLAIM_TTL_SECONDS):
        return Submitted.DUPLICATE
    _enqueue(connection, record.to_dict(), key, record.contact_urn)
    connection.expire(seen_key(key), SEEN_TTL_SECONDS)
    return Submitted.QUEUED


def enqueue_spooled(connection: redis.Redis, payload: Any) -> Submitted:
    """Re-submit one spooled record: it was acknowledged, so only an existing job stops it.

    Its seen key may already be claimed (Redis failed between the claim and the job), so it
    is not consulted. A payload this version cannot read still becomes a store job: it fails
    at once and waits in the failed registry, payload and reason kept, for an operator.
    """
    try:
        record = ComplaintRecord.from_dict(payload)
    except MalformedRecord:
        digest = hashlib.sha256(repr(payload).encode()).hexdigest()
        key, contact_urn = f"unreadable:{digest}", ""
    else:
        key, contact_urn = record.idempotency_key, record.contact_urn
    if Job.exists(store_job_id(key), connection=connection):
        return Submitted.DUPLICATE
    _enqueue(connection, payload, key, contact_urn)
    connection.set(seen_key(key), "1", ex=SEEN_TTL_SECONDS)
    return Submitted.QUEUED


def submit(record: ComplaintRecord, connection: redis.Redis, spool: Spool) -> Submitted:
    """Queue the record, or spool it when Redis fails; returns only once it is durable."""
    try:
        outcome = enqueue_store(connection, record)
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
