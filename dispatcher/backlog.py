"""What is waiting and where: per-queue depth and age, rq's registries, workers and the spool.

``backlog_snapshot(runtime)`` is what operators read (`satupintu status`, /readyz, /metrics,
the console's intake monitor). It reads counters (a few Redis round trips; of the payloads
only the oldest record of each inbox shard, for its age; nothing from the case store) and
never changes anything: rq's registry cleanup is the workers' job. When Redis does not
answer, the snapshot still carries the spool, which is where acknowledged messages wait
then, and says why Redis is missing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from rq import Queue, Worker
from rq.job import Job
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.utils import utcparse

from dispatcher import inbox
from dispatcher.queues import INTAKE, QUEUE_NAMES
from dispatcher.runtime import Runtime
from dispatcher.spool import SpoolStats
from dispatcher.submit import DRAIN_JOB_PREFIX


@dataclass(frozen=True)
class QueueBacklog:
    """One rq queue: jobs waiting to run, running, and waiting for something else."""

    name: str
    queued: int  # waiting for a worker (intake: records in the inbox, plus store jobs)
    oldest_age_seconds: float | None  # how long the job at the head has waited
    started: int  # running now (or abandoned by a dead worker, until recovered)
    scheduled: int  # waiting for a retry after a transient failure
    deferred: int  # waiting for an earlier message of the same contact
    failed: int  # dead letters: `satupintu replay`

    @property
    def waiting(self) -> int:
        return self.queued + self.scheduled + self.deferred


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    hostname: str
    pid: int | None
    state: str  # idle | busy | suspended | ...
    queues: tuple[str, ...]
    last_heartbeat_age_seconds: float | None


@dataclass(frozen=True)
class Backlog:
    at: datetime
    queues: tuple[QueueBacklog, ...]
    workers: tuple[WorkerInfo, ...]
    spool: SpoolStats
    redis_error: str | None = None  # None when Redis answered

    @property
    def redis_ok(self) -> bool:
        return self.redis_error is None

    @property
    def workers_alive(self) -> int:
        return len(self.workers)

    @property
    def failed(self) -> int:
        return sum(q.failed for q in self.queues)

    @property
    def waiting(self) -> int:
        """Everything acknowledged and not yet done: queued, retrying, deferred, spooled."""
        return sum(q.waiting + q.started for q in self.queues) + self.spool.records

    @property
    def oldest_age_seconds(self) -> float | None:
        ages = [q.oldest_age_seconds for q in self.queues if q.oldest_age_seconds is not None]
        if self.spool.oldest_age_seconds is not None:
            ages.append(self.spool.oldest_age_seconds)
        return max(ages) if ages else None

    def queue(self, name: str) -> QueueBacklog | None:
        return next((q for q in self.queues if q.name == name), None)


def _queue_backlogs(connection: redis.Redis, now: float) -> tuple[QueueBacklog, ...]:
    fields = 6  # queue length, head job id, then the four registries' sizes
    with connection.pipeline(transaction=False) as pipe:
        for name in QUEUE_NAMES:
            queue_key = Queue.redis_queue_namespace_prefix + name
            pipe.llen(queue_key)
            pipe.lindex(queue_key, 0)
            for registry_class in (
                StartedJobRegistry,
                ScheduledJobRegistry,
                DeferredJobRegistry,
                FailedJobRegistry,
            ):
                pipe.zcard(registry_class(name, connection=connection).key)
        counts = pipe.execute()
    rows = [counts[i : i + fields] for i in range(0, len(counts), fields)]
    heads = [row[1].decode() for row in rows if row[1]]
    with connection.pipeline(transaction=False) as pipe:
        for head in heads:
            pipe.hget(Job.redis_job_namespace_prefix + head, "enqueued_at")
        enqueued_at = dict(zip(heads, pipe.execute(), strict=True))
    waiting_records = inbox.depth(connection)
    result = []
    for name, (queued, head, started, scheduled, deferred, failed) in zip(
        QUEUE_NAMES, rows, strict=True
    ):
        stamp = enqueued_at.get(head.decode()) if head else None
        age = max(0.0, now - utcparse(stamp.decode()).timestamp()) if stamp else None
        if name == INTAKE:
            # Messages wait in the inbox; the drain jobs that store them are no messages.
            queued += waiting_records.records - _drain_jobs_queued(connection)
            oldest = waiting_records.oldest_received_at
            if oldest is not None:
                age = max(age or 0.0, now - oldest.timestamp())
        result.append(
            QueueBacklog(
                name=name,
                queued=queued,
                oldest_age_seconds=age,
                started=started,
                scheduled=scheduled,
                deferred=deferred,
                failed=failed,
            )
        )
    return tuple(result)


def _drain_jobs_queued(connection: redis.Redis) -> int:
    """Drain jobs on the intake queue (a few per shard at most; the scan stops at 500)."""
    queued = connection.lrange(Queue.redis_queue_namespace_prefix + INTAKE, 0, 499)
    return sum(1 for job_id in queued if job_id.startswith(DRAIN_JOB_PREFIX.encode()))


def _workers(connection: redis.Redis, now: float) -> tuple[WorkerInfo, ...]:
    found = []
    for worker in Worker.all(connection=connection):
        heartbeat = worker.last_heartbeat
        age = None if heartbeat is None else max(0.0, now - heartbeat.timestamp())
        if age is not None and age > worker.worker_ttl + 60:
            continue  # its key outlived it: no heartbeat for longer than rq allows
        found.append(
            WorkerInfo(
                name=worker.name,
                hostname=worker.hostname or "",
                pid=worker.pid,
                state=str(worker.get_state()),
                queues=tuple(worker.queue_names()),
                last_heartbeat_age_seconds=age,
            )
        )
    return tuple(sorted(found, key=lambda w: w.name))


def backlog_snapshot(runtime: Runtime) -> Backlog:
    """The intake's backlog as of now; never raises for an unreachable Redis."""
    now = time.time()
    spool = runtime.spool.stats()
    at = datetime.fromtimestamp(now, UTC)
    try:
        queues = _queue_backlogs(runtime.redis, now)
        workers = _workers(runtime.redis, now)
    except redis.RedisError as exc:
        return Backlog(at=at, queues=(), workers=(), spool=spool, redis_error=type(exc).__name__)
    return Backlog(at=at, queues=queues, workers=workers, spool=spool)
