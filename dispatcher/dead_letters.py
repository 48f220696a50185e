"""Dead letters: jobs in rq's failed registries, why they failed, and running them again.

A failed store job keeps its argument, the complaint record with the provider's raw payload,
for thirty days; ``FailedJob.payload`` is that record. ``replay`` puts a failed job back on
its queue with a fresh retry budget (after a fix, the transient kind deserves one again);
a job that fails again returns to the registry with its new reason. Replaying is safe
however often it is done: every job is idempotent (the store job is keyed on the message).
`satupintu replay` and the operator console both use this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import redis
from rq import Retry
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from dispatcher.failures import REASON_KEY, failure_reason
from dispatcher.outbox import NOTIFY_RETRY
from dispatcher.queues import QUEUE_NAMES
from dispatcher.submit import STORE_RETRY

# The retry budget a replayed job starts with again, by job function.
RETRY_POLICIES: dict[str, Retry] = {
    "dispatcher.jobs.store": STORE_RETRY,
    "dispatcher.jobs.notify": NOTIFY_RETRY,
    "dispatcher.jobs.notify_batch": NOTIFY_RETRY,
}


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    function: str
    description: str
    reason: str
    failed_at: datetime | None
    enqueued_at: datetime | None
    payload: Any  # the job's first argument: for a store job, the record as submitted


class Replayed(StrEnum):
    REQUEUED = "requeued"
    NOT_FAILED = "not_failed"  # gone, or no longer in a failed registry (replayed already)


def _registry(connection: redis.Redis, name: str) -> FailedJobRegistry:
    return FailedJobRegistry(name, connection=connection, serializer=JSONSerializer)


def _describe(job: Job, queue_name: str) -> FailedJob:
    try:
        args = job.args
    except Exception:  # an argument this version cannot decode is still a dead letter
        args = ()
    return FailedJob(
        id=job.id,
        queue=queue_name,
        function=job.func_name or "",
        description=job.description or "",
        reason=failure_reason(job),
        failed_at=job.ended_at,
        enqueued_at=job.enqueued_at,
        payload=args[0] if args else None,
    )


def failed_jobs(
    connection: redis.Redis,
    *,
    queues: Iterable[str] = QUEUE_NAMES,
    since: datetime | None = None,
    reason: str | None = None,
    limit: int | None = None,
) -> list[FailedJob]:
    """Failed jobs, newest first, optionally only those failed since ``since`` whose reason
    contains ``reason`` (case-insensitive)."""
    found = []
    for name in queues:
        ids = _registry(connection, name).get_job_ids()
        for job in Job.fetch_many(ids, connection=connection, serializer=JSONSerializer):
            if job is None:
                continue
            failed = _describe(job, name)
            if since is not None and (failed.failed_at is None or failed.failed_at < since):
                continue
            if reason and reason.lower() not in failed.reason.lower():
                continue
            found.append(failed)
    found.sort(key=lambda f: f.failed_at.timestamp() if f.failed_at else 0.0, reverse=True)
    return found[:limit] if limit is not None else found


def failed_job(connection: redis.Redis, job_id: str) -> FailedJob | None:
    """One failed job by id, or None if it is not (or no longer) in a failed registry."""
    try:
        job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    except NoSuchJobError:
        return None
    if not job.origin or job.id not in _registry(connection, job.origin):
        return None
    return _describe(job, job.origin)


def replay(connection: redis.Redis, job_id: str) -> Replayed:
    """Put one failed job back on its queue, with a fresh retry budget."""
    try:
        job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    except NoSuchJobError:
        return Replayed.NOT_FAILED
    registry = _registry(connection, job.origin)
    policy = RETRY_POLICIES.get(job.func_name or "")
    if policy is not None:
        job.retries_left = policy.max
        job.retry_intervals = policy.intervals
    job.meta.pop(REASON_KEY, None)
    try:
        registry.requeue(job)  # removes it from the registry and enqueues it, job saved
    except InvalidJobOperation:  # not in the registry: someone replayed it first
        return Replayed.NOT_FAILED
    return Replayed.REQUEUED


def discard(connection: redis.Redis, job_id: str) -> bool:
    """Delete one failed job and its payload for good; False if it is not a failed job.

    For what no fix will ever make storable (a record from a broken client, a test message):
    an operator's decision, which the caller logs with who made it.
    """
    failed = failed_job(connection, job_id)
    if failed is None:
        return False
    return bool(_registry(connection, failed.queue).remove(job_id, delete_job=True))
