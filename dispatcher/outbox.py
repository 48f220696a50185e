"""The outbox: notify jobs for committed replies (``enqueue_notifications``), and the sweep,
a periodic job that queues notify jobs for replies nobody queued.

A store job commits a citizen's reply as a ``queued`` message, then enqueues its notify job.
When Redis fails between the two, the reply would wait forever; rq would retry the store job,
but that run finds the message already stored and has nothing to enqueue. Every minute this
sweep queues a notify job (once: the job id is the message's) for each reply still ``queued``
a minute after it was written. Notify jobs that exist already, waiting for a retry or in the
failed registry, are left as they are.

Replies committed together (a drain batch's acknowledgements) go out in one ``notify_batch``
job rather than one job each: rq's per-job cost (enqueue, dequeue, registries, result) is
paid once per batch. Each reply keeps its own key: a claim ``satupintu:notify:claim:<id>``
names the batch job that will send it (set in the enqueue's own pipeline), so the sweep and a
second enqueue leave it to that job while the job exists. A reply that fails inside a batch
goes on alone (``hand_on``) as the ordinary ``notify-<id>`` job with rq's Retry, after the
first back-off; a reply already sent is skipped by the notify job's own status check.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import redis
from rq import Queue, Retry
from rq.job import Job

from casestore.models import utcnow
from casestore.outbox import stale_queued_replies
from dispatcher import runtime as runtime_module
from dispatcher.queues import NOTIFY, job_id, queue

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=60)
NOTIFY_RETRY = Retry(max=6, interval=[5, 30, 120, 600, 1800, 3600])
NOTIFY_RESULT_TTL = 3600
NOTIFY_FAILURE_TTL = 30 * 24 * 3600
CLAIM_PREFIX = "satupintu:notify:claim:"
# A claim outlives its batch job's failed-registry entry; the job deletes its claims when done.
CLAIM_TTL = NOTIFY_FAILURE_TTL + 3600


def notify_job_id(message_id: int) -> str:
    """The notify job of one reply (alone, or handed on from a batch)."""
    return job_id("notify", str(message_id))


def claim_key(message_id: int) -> str:
    return f"{CLAIM_PREFIX}{message_id}"


def enqueue_notifications(connection: redis.Redis, message_ids: list[int]) -> int:
    """Queue the notify job(s) for outbound messages (after the commit that created them).

    One reply: its own ``notify-<id>`` job. Several: one ``notify_batch`` job for all of
    them, each reply claimed for it. Once per message: the outbox sweep (or an earlier call)
    may have got there first when this enqueue was cut short, so messages whose job exists
    are skipped. Two round trips for any number of messages (three when some are claimed
    already). Returns how many were queued now.
    """
    if not message_ids:
        return 0
    ids = list(dict.fromkeys(message_ids))
    with connection.pipeline(transaction=False) as pipe:
        for message_id in ids:
            pipe.exists(Job.key_for(notify_job_id(message_id)))
            pipe.get(claim_key(message_id))
        answers = pipe.execute()
    claimed = {
        message_id: answers[2 * i + 1].decode()
        for i, message_id in enumerate(ids)
        if answers[2 * i + 1] is not None and not answers[2 * i]
    }
    live = _live_jobs(connection, set(claimed.values()))
    fresh = [
        message_id
        for i, message_id in enumerate(ids)
        if not answers[2 * i] and (message_id not in claimed or claimed[message_id] not in live)
    ]
    if not fresh:
        return 0
    notify_queue = queue(NOTIFY, connection)
    if len(fresh) == 1:
        (message_id,) = fresh
        notify_queue.enqueue_many([_single(message_id)])
        return 1
    batch_id = job_id("notify-batch", ",".join(map(str, fresh)))
    with connection.pipeline() as pipe:
        for message_id in fresh:
            pipe.set(claim_key(message_id), batch_id, ex=CLAIM_TTL)
        notify_queue.enqueue_many(
            [
                Queue.prepare_data(
                    "dispatcher.jobs.notify_batch",
                    args=(fresh,),
                    job_id=batch_id,
                    retry=NOTIFY_RETRY,
                    result_ttl=NOTIFY_RESULT_TTL,
                    failure_ttl=NOTIFY_FAILURE_TTL,
                    description=f"notify {len(fresh)} citizens",
                )
            ],
            pipeline=pipe,
        )
        pipe.execute()
    return len(fresh)


def _single(message_id: int):
    return Queue.prepare_data(
        "dispatcher.jobs.notify",
        args=(message_id,),
        job_id=notify_job_id(message_id),
        retry=NOTIFY_RETRY,
        result_ttl=NOTIFY_RESULT_TTL,
        failure_ttl=NOTIFY_FAILURE_TTL,
        description="notify citizen",
    )


def _live_jobs(connection: redis.Redis, job_ids: set[str]) -> set[str]:
    """Which of these jobs still exist (queued, running, scheduled, or failed)."""
    if not job_ids:
        return set()
    ordered = sorted(job_ids)
    with connection.pipeline(transaction=False) as pipe:
        for this_job in ordered:
            pipe.exists(Job.key_for(this_job))
        found = pipe.execute()
    return {this_job for this_job, exists in zip(ordered, found, strict=True) if exists}


def hand_on(connection: redis.Redis, message_id: int, *, now: bool = False) -> Job:
    """One reply of a batch goes on alone as its own notify job with rq's Retry.

    After a transient failure it waits the first back-off (rq's scheduler runs it) and has
    the rest of NOTIFY_RETRY; ``now``: it runs at once with all of it (a failure that is no
    provider's: the job fails alone and, if it must, lands in the failed registry).
    """
    notify_queue = queue(NOTIFY, connection)
    if now:
        return notify_queue.enqueue(
            "dispatcher.jobs.notify",
            message_id,
            job_id=notify_job_id(message_id),
            retry=NOTIFY_RETRY,
            result_ttl=NOTIFY_RESULT_TTL,
            failure_ttl=NOTIFY_FAILURE_TTL,
            description="notify citizen",
        )
    first, *rest = NOTIFY_RETRY.intervals
    retry = Retry(max=NOTIFY_RETRY.max - 1, interval=rest or [first])
    return notify_queue.enqueue_in(
        timedelta(seconds=first),
        "dispatcher.jobs.notify",
        message_id,
        job_id=notify_job_id(message_id),
        retry=retry,
        result_ttl=NOTIFY_RESULT_TTL,
        failure_ttl=NOTIFY_FAILURE_TTL,
        description="notify citizen again",
    )


def singles_waiting(connection: redis.Redis, message_ids: list[int]) -> set[int]:
    """The replies that have a notify job of their own (handed on by an earlier run)."""
    with connection.pipeline(transaction=False) as pipe:
        for message_id in message_ids:
            pipe.exists(Job.key_for(notify_job_id(message_id)))
        found = pipe.execute()
    return {message_id for message_id, exists in zip(message_ids, found, strict=True) if exists}


def release_claims(connection: redis.Redis, message_ids: list[int]) -> None:
    """A batch job is done with these replies (sent, skipped, or handed on): their claims
    last as long as the job's result, as a single notify job's key does."""
    if message_ids:
        with connection.pipeline(transaction=False) as pipe:
            for message_id in message_ids:
                pipe.expire(claim_key(message_id), NOTIFY_RESULT_TTL)
            pipe.execute()


def sweep_outbox(now: datetime | None = None) -> int:
    """Queue notify jobs for replies left ``queued``; returns how many were queued."""
    rt = runtime_module.current()
    with rt.sessions() as session:
        stale = stale_queued_replies(session, (now or utcnow()) - GRACE)
    queued = enqueue_notifications(rt.redis, stale)
    if queued:
        log.warning("outbox: queued %d reply(ies) whose notify job was missing", queued)
    return queued
