"""The outbox sweep: a periodic job that queues notify jobs for replies nobody queued.

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

from casestore.models import utcnow
from casestore.outbox import stale_queued_replies
from dispatcher import runtime as runtime_module
from dispatcher.jobs import enqueue_notifications

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=60)


def sweep_outbox(now: datetime | None = None) -> int:
    """Queue notify jobs for replies left ``queued``; returns how many were queued."""
    rt = runtime_module.current()
    with rt.sessions() as session:
        stale = stale_queued_replies(session, (now or utcnow()) - GRACE)
    queued = enqueue_notifications(rt.redis, stale)
    if queued:
        log.warning("outbox: queued %d reply(ies) whose notify job was missing", queued)
    return queued
