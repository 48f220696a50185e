"""The outbox: a notify job per committed reply (``enqueue_notifications``), and the sweep,
a periodic job that queues notify jobs for replies nobody queued.

A store job commits a citizen's reply as a ``queued`` message, then enqueues its notify job.
When Redis fails between the two, the reply would wait forever; rq would retry the store job,
but that run finds the message already stored and has nothing to enqueue. Every minute this
sweep queues a notify job (once: the job id is the message's) for each reply still ``queued``
a minute after it was written. Notify jobs that exist already, waiting for a retry or in the
failed registry, are left as they are.
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


def enqueue_notifications(connection: redis.Redis, message_ids: list[int]) -> int:
    """Queue a notify job per outbound message (after the commit that created them).

    Once per message: the outbox sweep (dispatcher/outbox.py) may get there first when this
    enqueue was cut short, so messages whose job exists are skipped. Two round trips for
    any number of messages. Returns how many were queued now.
    """
    if not message_ids:
        return 0
    ids = {message_id: job_id("notify", str(message_id)) for message_id in message_ids}
    with connection.pipeline(transaction=False) as pipe:
        for this_job in ids.values():
            pipe.exists(Job.key_for(this_job))
        exists = pipe.execute()
    fresh = [(mid, jid) for (mid, jid), found in zip(ids.items(), exists, strict=True) if not found]
    if fresh:
        queue(NOTIFY, connection).enqueue_many(
            [
                Queue.prepare_data(
                    "dispatcher.jobs.notify",
                    args=(message_id,),
                    job_id=this_job,
                    retry=NOTIFY_RETRY,
                    result_ttl=3600,
                    failure_ttl=30 * 24 * 3600,
                    description="notify citizen",
                )
                for message_id, this_job in fresh
            ]
        )
    return len(fresh)


def sweep_outbox(now: datetime | None = None) -> int:
    """Queue notify jobs for replies left ``queued``; returns how many were queued."""
    rt = runtime_module.current()
    with rt.sessions() as session:
        stale = stale_queued_replies(session, (now or utcnow()) - GRACE)
    queued = enqueue_notifications(rt.redis, stale)
    if queued:
        log.warning("outbox: queued %d reply(ies) whose notify job was missing", queued)
    return queued
