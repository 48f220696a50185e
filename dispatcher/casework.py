"""One way to act on a case: apply a lifecycle action, then tell the citizen.

``act_on_case`` is the whole of it for the API and the console: it opens the session, finds
the case, applies the action (casestore/lifecycle.py), queues the citizen's notification in
the same transaction, commits, and only then enqueues the notify jobs. ``apply_and_tell`` is
its middle, for the SLA sweep and intake, whose jobs own a transaction over many records
and enqueue after their own commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis

from casestore.db import Session
from casestore.lifecycle import Action, apply_action
from casestore.models import Complaint, StatusEvent, utcnow
from casestore.vocabulary import Status
from dispatcher.federation.handover import enqueue_forwards, hand_over
from dispatcher.federation.origin import enqueue_pushes, queue_push
from dispatcher.notifications import queue_status_notification
from dispatcher.outbox import enqueue_notifications
from dispatcher.rating import ask_for_rating
from dispatcher.runtime import Runtime

log = logging.getLogger(__name__)

Find = Callable[[Session], Complaint]  # the case, or raise the caller's "not found"
Change = Callable[[Session, Complaint, datetime], StatusEvent]  # one event to tell about


@dataclass
class Acted:
    """What acting on a case did: its event, the replies it queued, and whether their notify
    jobs are enqueued (False: Redis was away; the outbox sweep sends them later)."""

    event: StatusEvent
    outbound_ids: list[int] = field(default_factory=list)
    notified: bool = True
    forward_ids: list[int] = field(default_factory=list)  # cases handed to external units
    push_ids: list[int] = field(default_factory=list)  # changes pushed back to a case's origin
    shown: Any = None  # what the caller asked to read off the case before the commit


def apply_and_tell(
    session: Session,
    complaint: Complaint,
    action: Action | str,
    runtime: Runtime,
    *,
    actor: str,
    now: datetime,
    **fields: Any,
) -> Acted:
    """In the caller's transaction: apply ``action`` (with the lifecycle's ``note``,
    ``reason``, ``unit``, ``master``, ``privacy``) and queue the citizen's (and followers')
    messages about it. Raises TransitionError when the lifecycle refuses; the caller commits
    and then enqueues ``outbound_ids``."""
    # Jobs act for systems (an external unit's refusal must come back), not a unit choosing:
    # SATUPINTU_MAX_BOUNCES is for units' own bounces.
    change = lifecycle_action(action, runtime, actor=actor, bounce_limit=False, **fields)
    event = change(session, complaint, now)
    return told(session, complaint, event, runtime)


def told(session: Session, complaint: Complaint, event: StatusEvent, runtime: Runtime) -> Acted:
    """An event already written (a duplicate confirmed, say), with its messages queued (and,
    after a resolution, the citizen's rating question), and the forward queued when it
    dispatched the case outside the district."""
    forward_id = hand_over(session, complaint, event, runtime)
    ids = queue_status_notification(session, complaint, event, runtime)
    ids += ask_for_rating(session, complaint, event, runtime)  # after a resolution (issue 20)
    push_id = queue_push(session, complaint, event)  # a case a peer forwarded to us (issue 21)
    return Acted(
        event,
        ids,
        forward_ids=[] if forward_id is None else [forward_id],
        push_ids=[] if push_id is None else [push_id],
    )


def resume_if_waiting(
    session: Session, complaint: Complaint, runtime: Runtime, *, now: datetime
) -> list[int]:
    """The reporter answered (a follow-up on any channel, the tracking page, the API): a case
    waiting for them goes back to its owner, its clocks moved by the wait (issue 20). The
    ids of the messages it queued (none: the citizen is thanked by intake)."""
    if complaint.status != Status.WAITING_REPORTER:
        return []
    acted = apply_and_tell(session, complaint, Action.RESUME, runtime, actor="citizen", now=now)
    return acted.outbound_ids


def lifecycle_action(
    action: Action | str, runtime: Runtime, *, actor: str, bounce_limit: bool = True, **fields: Any
) -> Change:
    """The change ``act_on_case`` applies for a plain lifecycle action (a bounce held to
    SATUPINTU_MAX_BOUNCES unless ``bounce_limit`` is False)."""

    def change(session: Session, complaint: Complaint, now: datetime) -> StatusEvent:
        return apply_action(
            session,
            complaint,
            action,
            actor=actor,
            now=now,
            tz=runtime.settings.timezone,
            max_bounces=runtime.settings.max_bounces if bounce_limit else None,
            **fields,
        )

    return change


def act_on_case(
    runtime: Runtime,
    find: Find,
    change: Change,
    *,
    show: Callable[[Session, Complaint], Any] | None = None,
    now: datetime | None = None,
) -> Acted:
    """Find the case, apply ``change`` (usually ``lifecycle_action(...)``), queue the
    citizen's notification, commit, then enqueue it.

    ``show`` reads what the caller answers with off the case before the commit. Errors of
    ``find`` and ``change`` (TransitionError: the lifecycle refused) roll everything back.
    """
    now = now or utcnow()
    with runtime.sessions.begin() as session:
        complaint = find(session)
        acted = told(session, complaint, change(session, complaint, now), runtime)
        if show is not None:
            acted.shown = show(session, complaint)
    acted.notified = notify(runtime, acted.outbound_ids)
    if acted.forward_ids:
        enqueue_forwards(runtime.redis, acted.forward_ids)
    if acted.push_ids:
        enqueue_pushes(runtime.redis, acted.push_ids)
    return acted


def notify(runtime: Runtime, outbound_ids: list[int]) -> bool:
    """Enqueue the notify jobs of committed replies; False when Redis did not take them
    (they stay queued in the case store and the outbox sweep sends them)."""
    try:
        enqueue_notifications(runtime.redis, outbound_ids)
    except redis.RedisError as exc:
        log.warning("notify jobs not enqueued, the outbox sweep will: %s", type(exc).__name__)
        return False
    return True
