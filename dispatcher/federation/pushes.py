"""Federation both ways, as the origin: pushes received, the citizen's later information.

(The peer's side, pushing each change back, is dispatcher/federation/origin.py; this
module's ``sweep`` sends again what its retries did not.)

As the origin: a push that passed the webhook's signature check is ``receive``d once per
(unit, remote case, event) and moves our case exactly as polling does (``follow.apply_remote``),
so a push and a later poll of the same change tell the citizen once.

And: a follow-up our citizen sends to a case we forwarded is passed to the remote once
(``send_information``), or kept with us when the remote has no way to take it (Open311).
"""

from __future__ import annotations

import contextlib
import logging

import redis
from rq import Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from adapters.federation import RemoteCase, RemoteRefused, RemoteUnavailable
from adapters.federation.push import Push
from adapters.federation.satupintu import PEER_STATES
from casestore import forwards
from casestore.models import utcnow
from dispatcher import runtime as runtime_module
from dispatcher.failures import retry_transient_only
from dispatcher.federation.follow import apply_remote
from dispatcher.federation.origin import enqueue, enqueue_pushes
from dispatcher.federation.remotes import connector_of, token_for, unit_for
from dispatcher.queues import NOTIFY, job_id, queue
from dispatcher.runtime import Runtime

log = logging.getLogger(__name__)

# --- as the origin: a push received ---------------------------------------------------------


def enqueue_receipt(connection: redis.Redis, unit_code: str, pushed: Push) -> None:
    """Queue a verified push for ``receive``, once while it waits (a replay finds it
    queued; one that comes later finds its receipt); RedisError propagates (the peer
    retries)."""
    with contextlib.suppress(DuplicateJobError):
        queue(NOTIFY, connection).enqueue(
            "dispatcher.federation.pushes.receive",
            unit_code,
            pushed.as_json(),
            job_id=job_id("push-in", f"{unit_code}:{pushed.remote_id}:{pushed.event_id}"),
            retry=Retry(max=5, interval=[5, 30, 120, 600, 1800]),
            result_ttl=3600,
            failure_ttl=30 * 24 * 3600,
            description="a status change a peer pushed",
            unique=True,
        )


@retry_transient_only
def receive(unit_code: str, pushed: dict) -> bool:
    """Apply one verified push to our case, once; True when the case moved."""
    rt = runtime_module.current()
    state = PEER_STATES.get(pushed["status"], "open")
    with rt.sessions.begin() as session:
        if not forwards.claim_receipt(
            session, unit_code, pushed["remote_id"], pushed["event_id"], pushed["status"]
        ):
            return False  # this event came before
        row = forwards.forward_to(session, unit_code, pushed["remote_id"])
        forward_id = row.id if row is not None else None
    if forward_id is None:
        log.warning("push from %s for a case we did not forward", unit_code)
        return False
    answer = RemoteCase(
        remote_id=pushed["remote_id"],
        state=state,
        notes=pushed.get("message", "") if state != "in_progress" else "",
    )
    return apply_remote(rt, forward_id, answer, utcnow())


# --- as the origin: the citizen's later information ------------------------------------------


def collect_information(rt: Runtime) -> list[int]:
    """New follow-ups on forwarded cases: a row each, queued for a remote that takes
    information, kept with us for one that cannot. Returns the queued rows' ids."""
    queued: list[int] = []
    with rt.sessions.begin() as session:
        for forward_id, unit_code, message_id in forwards.new_information(session):
            try:
                takes = connector_of(unit_for(rt, unit_code)).takes_information
            except RemoteRefused:
                takes = False
            state = forwards.QUEUED if takes else forwards.KEPT
            info_id = forwards.claim_information(session, forward_id, message_id, state)
            if info_id is not None and takes:
                queued.append(info_id)
    return queued


def enqueue_information(connection: redis.Redis, info_ids: list[int]) -> bool:
    return enqueue(
        connection,
        "dispatcher.federation.pushes.send_information",
        "info",
        info_ids,
        "pass the citizen's information on to the remote",
    )


@retry_transient_only
def send_information(info_id: int) -> str:
    """Pass one follow-up to the remote, keyed so a retry is the same message."""
    rt = runtime_module.current()
    with rt.sessions() as session:
        info = forwards.information_by_id(session, info_id)
        if info is None or info.state != forwards.QUEUED:
            return info.state if info is not None else "missing"
        row = forwards.forward_by_id(session, info.forward_id)
        assert row is not None
        complaint = forwards.complaint_of(session, row)
        text = forwards.information_text(session, info)
        unit = unit_for(rt, row.unit_code)
        known = RemoteCase(remote_id=row.remote_id, secret=row.remote_secret)
        key = f"{token_for(complaint.tracking_id, unit.code)}-i{info.message_id}"[-64:]
    try:
        connector_of(unit).add_information(known, key, text)
    except RemoteUnavailable as exc:
        _information_failed(rt, info_id, str(exc))
        raise
    except RemoteRefused as exc:
        return _information_failed(rt, info_id, str(exc), refused=True)
    with rt.sessions.begin() as session:
        info = forwards.information_by_id(session, info_id, lock=True)
        if info is not None and info.state == forwards.QUEUED:
            forwards.mark_information_sent(info, utcnow())
    return forwards.SENT


def _information_failed(rt: Runtime, info_id: int, error: str, *, refused: bool = False) -> str:
    with rt.sessions.begin() as session:
        info = forwards.information_by_id(session, info_id, lock=True)
        if info is not None:
            forwards.mark_information_failed(info, error, refused=refused)
    log.warning("information %d not passed on: %s", info_id, error)
    return forwards.REFUSED if refused else forwards.QUEUED


def sweep(rt: Runtime) -> None:
    """From the federation sweep: send pushes and information still queued whose job is
    gone (Redis lost it, or its retries ran out), and collect new follow-ups to pass on."""
    with rt.sessions() as session:
        pushes = [row.id for row in forwards.pushes_in_state(session, forwards.QUEUED)]
        waiting = list(forwards.information_in_state(session, forwards.QUEUED))
    new = collect_information(rt)
    pushes = [i for i in pushes if not _pending(rt.redis, job_id("push", str(i)))]
    waiting = [i for i in waiting if not _pending(rt.redis, job_id("info", str(i)))]
    if pushes:
        enqueue_pushes(rt.redis, pushes)
    if waiting or new:
        enqueue_information(rt.redis, sorted(set(waiting) | set(new)))


def _pending(connection: redis.Redis, job: str) -> bool:
    """Whether rq still has the job waiting, running or scheduled for a retry."""
    try:
        status = Job.fetch(job, connection=connection).get_status(refresh=False)
    except (NoSuchJobError, redis.RedisError):
        return False
    return status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
