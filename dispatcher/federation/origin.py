"""As the peer that took a case: each of its status changes pushed back to its origin.

A push row is written in the change's own transaction (``queue_push``, called by
``dispatcher.casework``); the ``push`` job signs it with the origin's key and sends it,
retried with back-off while the origin is away; the federation sweep sends it again after
that (dispatcher/federation/pushes.py). A push the origin refuses (4xx) is recorded.
"""

from __future__ import annotations

import logging
import time

import redis
from rq import Retry

from adapters.federation import RemoteRefused, RemoteUnavailable
from adapters.federation.push import Push, send_push
from casestore import forwards
from casestore.db import Session
from casestore.models import Complaint, StatusEvent, utcnow
from dispatcher import runtime as runtime_module
from dispatcher.failures import retry_transient_only
from dispatcher.queues import NOTIFY, job_id, queue
from dispatcher.runtime import Runtime

log = logging.getLogger(__name__)

# The origin away for a while: pushes wait, polling there is the safety net meanwhile.
PUSH_RETRY = Retry(max=8, interval=[5, 30, 120, 600, 1800, 3600, 3600, 7200])


def queue_push(session: Session, complaint: Complaint, event: StatusEvent) -> int | None:
    """Inside a change's transaction: the push of ``event`` to the case's origin, if any."""
    return forwards.queue_push(session, complaint, event)


def enqueue(connection: redis.Redis, function: str, key: str, ids: list[int], what: str) -> bool:
    """Enqueue ``function(id)`` per id; False when Redis did not take them (the rows stay
    queued in the case store and the federation sweep enqueues them)."""
    try:
        for row_id in ids:
            queue(NOTIFY, connection).enqueue(
                function,
                row_id,
                job_id=job_id(key, str(row_id)),
                retry=PUSH_RETRY,
                result_ttl=3600,
                failure_ttl=30 * 24 * 3600,
                description=what,
            )
    except redis.RedisError as exc:
        log.warning("%s jobs not enqueued, the sweep will: %s", key, type(exc).__name__)
        return False
    return True


def enqueue_pushes(connection: redis.Redis, push_ids: list[int]) -> bool:
    return enqueue(
        connection,
        "dispatcher.federation.origin.push",
        "push",
        push_ids,
        "push a status change to the case's origin",
    )


@retry_transient_only
def push(push_id: int) -> str:
    """Send one queued push; returns its state afterwards."""
    rt = runtime_module.current()
    with rt.sessions() as session:
        row = forwards.push_by_id(session, push_id)
        if row is None or row.state != forwards.QUEUED:
            return row.state if row is not None else "missing"
        facts = forwards.push_facts(session, row)
    if facts.key_hash is None:
        return _push_failed(rt, push_id, "the origin's partner key is gone", refused=True)
    body = Push(
        origin_case_id=facts.origin_case_id,
        remote_id=facts.tracking_id,
        event_id=str(facts.event_id),
        status=facts.status,
        message=facts.message,
        at=facts.at.isoformat(),
    )
    try:
        send_push(facts.callback_url, facts.key_hash, body, time.time())
    except RemoteUnavailable as exc:
        _push_failed(rt, push_id, str(exc))
        raise
    except RemoteRefused as exc:
        return _push_failed(rt, push_id, str(exc), refused=True)
    with rt.sessions.begin() as session:
        row = forwards.push_by_id(session, push_id, lock=True)
        if row is not None and row.state == forwards.QUEUED:
            forwards.mark_push_sent(row, utcnow())
    return forwards.SENT


def _push_failed(rt: Runtime, push_id: int, error: str, *, refused: bool = False) -> str:
    with rt.sessions.begin() as session:
        row = forwards.push_by_id(session, push_id, lock=True)
        if row is not None:
            forwards.mark_push_failed(row, error, refused=refused)
    log.warning("push %d %s: %s", push_id, "refused" if refused else "not delivered", error)
    return forwards.REFUSED if refused else forwards.QUEUED
