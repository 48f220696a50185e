"""Periodic jobs: sweeps, clocks and polls, enqueued on time by any number of schedulers.

Each run of a periodic job gets the job id ``periodic-<name>-<slot>`` (slot = the interval
number since the epoch) and is enqueued with rq's atomic ``unique`` flag, so two schedulers
running at once (two `satupintu up`, or a spare scheduler for failover) enqueue it once.

Why not rq's CronScheduler: it enqueues through a Queue with rq's default pickle serializer,
and every queue here is JSON-only (records travel as JSON, never pickles), so its jobs could
not be read by our workers.

To add a periodic job: add a ``PeriodicJob`` line to ``PERIODIC_JOBS`` below (the one list
of them); the function must be importable, take no arguments, and be safe to run twice.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from rq.exceptions import DuplicateJobError

from dispatcher.queues import MAINTENANCE, queue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func: str  # dotted path of a module-level function taking no arguments
    every_seconds: int
    timeout: int = 300
    # Setting that turns the job on; None means always on.
    enabled: Callable[[object], bool] | None = None
    # A Settings field (seconds) that replaces every_seconds, for intervals operators tune.
    every_setting: str | None = None

    def interval(self, settings: object) -> int:
        if self.every_setting is None:
            return self.every_seconds
        return int(getattr(settings, self.every_setting, 0) or self.every_seconds)


# Every periodic job, in one place.
PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob(
        "twitter-poll",
        "dispatcher.twitter_poll.poll_mentions",
        every_seconds=60,
        every_setting="twitter_poll_seconds",
        enabled=lambda settings: settings.twitter_polling,
    ),
    # Replies whose notify job was never enqueued (Redis failed after the commit).
    PeriodicJob("outbox-sweep", "dispatcher.outbox.sweep_outbox", every_seconds=60),
    # LAPOR! clocks: warn a day before a deadline, escalate after it, close unanswered cases.
    PeriodicJob("sla-sweep", "dispatcher.sla.sweep", every_seconds=300),
    # Cases handed outside the district: send what is still queued, follow what was sent.
    PeriodicJob(
        "federation-sweep",
        "dispatcher.federation.jobs.sweep",
        every_seconds=300,
        every_setting="federation_poll_seconds",
    ),
    # A photo that waited for its text in vain becomes a case that asks what it shows.
    PeriodicJob(
        "media-sweep", "dispatcher.intake.media_sweep.sweep_waiting_media", every_seconds=60
    ),
    # Operators' email alerts (issue 18): new events into alerts, and the morning digest.
    PeriodicJob("operator-alerts", "dispatcher.operator_alerts.scan_alerts", every_seconds=60),
    PeriodicJob("operator-digest", "dispatcher.operator_alerts.send_digests", every_seconds=600),
]


def enqueue_due(connection: redis.Redis, settings: object, now: float | None = None) -> list[str]:
    """Enqueue every periodic job whose current slot has not been enqueued yet."""
    now = time.time() if now is None else now
    enqueued = []
    maintenance = queue(MAINTENANCE, connection)
    for job in PERIODIC_JOBS:
        if job.enabled is not None and not job.enabled(settings):
            continue
        every = job.interval(settings)
        slot = int(now // every)
        try:
            maintenance.enqueue(
                "dispatcher.schedule.run_periodic",
                job.func,
                job_id=f"periodic-{job.name}-{slot}",
                unique=True,
                job_timeout=job.timeout,
                result_ttl=max(every * 2, 600),
                ttl=every,  # a run that waited a whole interval is superseded
                description=f"periodic {job.name}",
            )
        except DuplicateJobError:
            continue
        enqueued.append(job.name)
    return enqueued


def run_periodic(func: str) -> Any:
    """Run one periodic job. A transient failure (the database or Redis away, a provider
    timing out) is logged and passed over: the next slot runs the job again, so it is no
    dead letter for an operator. Any other failure fails the job as usual."""
    from dispatcher.failures import is_transient, reason_of

    module, _, name = func.rpartition(".")
    try:
        result = getattr(importlib.import_module(module), name)()
    except Exception as exc:
        if not is_transient(exc):
            raise
        log.warning("periodic %s passed over this time: %s", name, reason_of(exc))
        return {"passed_over": reason_of(exc)}
    # Idle is silent at INFO; a count of things done (replies re-queued) is worth a line.
    if isinstance(result, int) and not isinstance(result, bool) and result:
        log.info("periodic %s: %d", name, result)
    return result


def run_scheduler(connection: redis.Redis, settings: object, tick: float = 1.0) -> None:
    """`satupintu scheduler`: enqueue periodic jobs until interrupted."""
    log.info("scheduler started with %d periodic jobs", len(PERIODIC_JOBS))  # once, at start
    while True:
        try:
            enqueue_due(connection, settings)
        except redis.RedisError as exc:  # Redis restarting: the next tick tries again
            log.warning("scheduler: redis unavailable (%s)", type(exc).__name__)
        time.sleep(tick)
