"""The drain job: store an inbox shard's records, a batch per transaction.

One transaction for up to ``inbox.BATCH_SIZE`` records, so the commit, the session and the rq
job are paid once per batch instead of once per message; the new complaints among them are
written set-wise (dispatcher/intake/batch.py), the rest one by one. What a batch may not cost is a
message: when one record fails in a way waiting cannot fix (a bug, a record this version
cannot read), the batch is stored again with a savepoint around each record, and the record
that fails goes on as a store job of its own (dispatcher/submit.py), with rq's retries and a
place, with its reason, in the failed registry, just as if it had never been batched. An
outage (the database or Redis away) fails the whole batch: it stays in the shard's taken
list and rq's Retry runs the drain job again.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import redis

from casestore.db import is_insert_race
from dispatcher import inbox
from dispatcher import runtime as runtime_module
from dispatcher.failures import is_transient, reason_of, retry_transient_only
from dispatcher.intake import store_record
from dispatcher.intake.batch import store_records
from dispatcher.media import enqueue_media_of
from dispatcher.metrics import count_stored
from dispatcher.outbox import enqueue_notifications
from dispatcher.runtime import Runtime
from dispatcher.submit import drain_job_id, enqueue_drain, enqueue_store_job
from normalizer.records import ComplaintRecord, MalformedRecord

log = logging.getLogger(__name__)


@dataclass
class BatchOutcome:
    stored: int = 0
    outbound_ids: list[int] = field(default_factory=list)
    set_aside: list[tuple[Any, str]] = field(default_factory=list)  # (payload, reason)


def is_outage(exc: BaseException) -> bool:
    """A failure of the whole batch (the database or Redis away, a lock), not of one record.

    A lost insert race (IntegrityError) is transient for a single job, but inside a batch it
    belongs to one record: that record is retried on its own.
    """
    return is_transient(exc) and not is_insert_race(exc)


def store_batch(rt: Runtime, payloads: list[Any]) -> BatchOutcome:
    """Store the records in one transaction; the ones that fail alone are set aside."""
    outcome = BatchOutcome()
    records = []
    for payload in payloads:
        try:
            records.append((payload, ComplaintRecord.from_dict(payload)))
        except (MalformedRecord, TypeError, AttributeError) as exc:
            outcome.set_aside.append((payload, f"malformed record: {exc}"))
    try:
        with rt.sessions.begin() as session:
            stored = store_records(session, [record for _payload, record in records], rt)
        outcome.outbound_ids.extend(stored.outbound_ids)
        outcome.stored = len(records)
    except Exception as exc:
        if is_outage(exc):
            raise
        log.warning("a batch failed (%s); storing its records one by one", reason_of(exc))
        outcome.outbound_ids.clear()
        _store_isolated(rt, records, outcome)
    return outcome


def _store_isolated(rt: Runtime, records: list, outcome: BatchOutcome) -> None:
    with rt.sessions.begin() as session:
        for payload, record in records:
            try:
                with session.begin_nested():
                    result = store_record(session, record, rt)
            except Exception as exc:
                if is_outage(exc):
                    raise
                outcome.set_aside.append((payload, reason_of(exc)))
                continue
            outcome.stored += 1
            outcome.outbound_ids.extend(result.outbound_ids)


def _set_aside_key(payload: Any) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("idempotency_key"), str):
        return payload["idempotency_key"]
    return "unreadable:" + hashlib.sha256(repr(payload).encode()).hexdigest()


@retry_transient_only
def drain_inbox(shard: int) -> dict[str, Any]:
    """Store what waits in one inbox shard, until it is empty or this job's slice is over."""
    rt = runtime_module.current()
    stored = set_aside = batches = 0
    with inbox.Drain(rt.redis, shard) as drain:
        if not drain.locked:  # another drainer holds the shard and stores what this one would
            return {"shard": shard, "busy": True}
        for batch in drain.batches():
            outcome = store_batch(rt, batch)
            # After the commit: a drainer that dies here leaves the batch taken; the next
            # stores it again, which changes nothing, and the outbox sweep sends the replies.
            for payload, reason in outcome.set_aside:
                log.warning("shard %d: a record goes on alone: %s", shard, reason)
                enqueue_store_job(rt.redis, payload, _set_aside_key(payload))
            drain.done()
            enqueue_notifications(rt.redis, outcome.outbound_ids)
            aside = {id(payload) for payload, _ in outcome.set_aside}  # their store job will
            enqueue_media_of(rt.redis, [p for p in batch if id(p) not in aside])
            count_stored(outcome.stored, len(outcome.set_aside))
            stored += outcome.stored
            set_aside += len(outcome.set_aside)
            batches += 1
        handed_on = drain.locked  # the slice ended with records left
    if handed_on:
        # Behind the other shards' jobs, so no shard waits for a busy one; the lock is free.
        next_job = drain_job_id(shard)
        inbox.set_flag(rt.redis, shard, next_job)
        enqueue_drain(rt.redis, shard, next_job)
    return {"shard": shard, "stored": stored, "set_aside": set_aside, "batches": batches}


def sweep_inbox(connection: redis.Redis | None = None) -> list[int]:
    """Enqueue a drain job for every shard holding records that no drain job will take."""
    connection = connection or runtime_module.current().redis
    shards = inbox.shards_unattended(connection)
    for shard in shards:
        next_job = drain_job_id(shard)
        inbox.set_flag(connection, shard, next_job)
        enqueue_drain(connection, shard, next_job)
    if shards:
        log.info("inbox: drain jobs enqueued for shards %s", shards)
    return shards
