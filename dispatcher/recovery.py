"""Recovering from dead workers: their jobs run again now, not when rq's timers run out.

A worker killed mid-job (OOM, SIGKILL, a machine reboot) leaves its job in rq's started
registry, and rq calls it abandoned only once its heartbeat lapses (the job's timeout plus a
minute) at the next registry cleanup (every ten minutes by default). Our workers look sooner:
at start and at every maintenance round (dispatcher/worker.py) they hand every started job
whose worker is certainly gone to rq's own abandoned-job handling (``StartedJobRegistry.
cleanup``: retried while retries are left, else moved to the failed registry). Gone means:
the worker registered its death, its key expired, or it ran on this host under a pid that no
longer runs. A job that runs twice is harmless: every job is keyed on what it does.

A scheduler lock held by a dead scheduler on this host is released too, so that scheduled
retries resume at once rather than after the lock's minute-long lease.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable
from pathlib import Path

import redis
from rq import Queue, SimpleWorker
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.scripts import release_lock
from rq.serializers import JSONSerializer
from rq.utils import parse_composite_key

from dispatcher.queues import QUEUE_NAMES

log = logging.getLogger(__name__)

# Atomically: out of the intermediate queue (taken, never started) back to the queue's head.
# (A job popped by plain rq, outside any list, goes back too, unless it is queued again.)
GIVE_BACK = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 or not redis.call('LPOS', KEYS[2], ARGV[1]) then
    redis.call('LPUSH', KEYS[2], ARGV[1])
    return 1
end
return 0
"""
CLEANING_LOCK_SECONDS = 899  # what rq's Queue.acquire_maintenance_lock takes
STALE_AFTER_SECONDS = 60


def pid_running(pid: int) -> bool:
    """Whether ``pid`` is a live process on this host (a zombie is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # killed but not yet reaped by its parent: it runs no job
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _gone(connection: redis.Redis, key: str, hostname: str) -> bool:
    """Whether the worker or scheduler whose hash is at ``key`` is certainly not running."""
    data = connection.hgetall(key)
    if not data or b"death" in data:
        return True
    host = data.get(b"hostname", b"").decode()
    pid = int(data.get(b"pid", b"0") or 0)
    # Another host's pids mean nothing here; its key expiring is the sign for those.
    return host == hostname and pid > 0 and not pid_running(pid)


def requeue_abandoned(connection: redis.Redis, queue_names: Iterable[str] = QUEUE_NAMES) -> int:
    """Hand started jobs of dead workers to rq's abandoned-job handling; returns how many."""
    hostname = socket.gethostname()
    handled = 0
    for name in queue_names:
        queue = Queue(name, connection=connection, serializer=JSONSerializer)
        registry = StartedJobRegistry(name, connection=connection, serializer=JSONSerializer)
        abandoned: dict[bytes, str] = {}
        for entry in connection.zrange(registry.key, 0, -1):
            job_id, execution_id = parse_composite_key(entry.decode())
            try:
                execution = Execution.fetch(execution_id, job_id, connection)
            except ValueError:  # its record expired: rq's own cleanup sees to it
                continue
            if not execution.worker_name:
                continue
            worker_key = SimpleWorker.redis_worker_namespace_prefix + execution.worker_name
            if _gone(connection, worker_key, hostname):
                abandoned[entry] = job_id
        if not abandoned:
            continue
        # A worker that died after taking a job but before marking it started (rq does
        # that in two steps) never ran it: put it back at the head of its queue. rq's own
        # cleanup would only drop the entry and leave the job to its minute-long check of
        # the intermediate queue.
        job_ids = list(abandoned.values())
        untouched = [
            job_id
            for job_id, status in zip(job_ids, _statuses(connection, job_ids), strict=True)
            if status == JobStatus.QUEUED.value
        ]
        give_back = connection.register_script(GIVE_BACK)
        for job_id in untouched:
            give_back(keys=[queue.intermediate_queue_key, queue.key], args=[job_id])
        # Mark them expired (only those still there: xx) and let rq retry or fail them.
        connection.zadd(registry.key, dict.fromkeys(abandoned, 0), xx=True)
        registry.cleanup(timestamp=0)
        handled += len(abandoned)
        log.warning("%s: %d job(s) of dead workers handed back to rq", name, len(abandoned))
    return handled


def _statuses(connection: redis.Redis, job_ids: list[str]) -> list[str | None]:
    with connection.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hget(Job.key_for(job_id), "status")
        return [value.decode() if value else None for value in pipe.execute()]


def release_stale_cleaning_locks(
    connection: redis.Redis, queue_names: Iterable[str] = QUEUE_NAMES
) -> int:
    """Free rq's registry-cleaning locks that outlived any cleaning; returns how many.

    rq takes the lock for 899 s and releases it when done, which takes milliseconds. A worker
    killed (or a Redis restarted) in between leaves it, and no worker cleans the registries
    (abandoned, stuck and ready jobs) for the next quarter of an hour.
    """
    released = 0
    for name in queue_names:
        key = Queue(name, connection=connection).registry_cleaning_key
        ttl = connection.ttl(key)
        if 0 < ttl < CLEANING_LOCK_SECONDS - STALE_AFTER_SECONDS:
            released += connection.delete(key)
    if released:
        log.warning("released %d registry-cleaning lock(s) left by a dead worker", released)
    return released


def release_dead_scheduler_locks(
    connection: redis.Redis, queue_names: Iterable[str] = QUEUE_NAMES
) -> int:
    """Free scheduler locks whose holder died on this host; returns how many."""
    hostname = socket.gethostname()
    released = 0
    for name in queue_names:
        lock_key = RQScheduler.get_locking_key(name)
        holder = connection.get(lock_key)
        if not holder:
            continue
        scheduler_key = SCHEDULER_KEY_TEMPLATE % holder.decode()
        if connection.exists(scheduler_key) and _gone(connection, scheduler_key, hostname):
            released += int(release_lock(connection, lock_key, holder.decode()))
    return released
