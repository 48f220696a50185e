"""Inside a dispatch's transaction: queue the forward when the new owner is external.

Called by ``dispatcher.casework`` for every applied change; only a dispatch to an external
unit writes anything. A unit that is switched off (no endpoint) or has no connector key
refuses the dispatch with a reason the operator reads, and the whole action rolls back.
"""

from __future__ import annotations

import logging

import redis
from rq import Retry

from casestore import forwards
from casestore.db import Session
from casestore.models import Complaint, StatusEvent
from casestore.refusals import Refusal, TransitionError
from casestore.vocabulary import Action
from config.external_units import connector_key, key_variable
from dispatcher.queues import NOTIFY, job_id, queue
from dispatcher.runtime import Runtime

log = logging.getLogger(__name__)

# A remote down for a day is retried through the day; after that the sweep re-enqueues it.
FORWARD_RETRY = Retry(max=8, interval=[10, 30, 120, 600, 1800, 3600, 3600, 7200])


def hand_over(
    session: Session, complaint: Complaint, event: StatusEvent, runtime: Runtime
) -> int | None:
    """The forward's id when ``event`` dispatched the case to an external unit, else None."""
    if event.kind != Action.DISPATCH or not event.to_unit:
        return None
    if not forwards.is_external(session, event.to_unit):
        return None
    unit = next((u for u in runtime.units if u.code == event.to_unit), None)
    if unit is None or unit.link is None or not unit.link.enabled:
        raise TransitionError(Refusal.EXTERNAL_OFF, unit=event.to_unit)
    if not connector_key(unit.code):
        raise TransitionError(
            Refusal.EXTERNAL_NO_KEY, unit=unit.code, variable=key_variable(unit.code)
        )
    return forwards.queue_forward(session, complaint, unit.code).id


def enqueue_forwards(connection: redis.Redis, forward_ids: list[int]) -> bool:
    """Enqueue the forward jobs of committed dispatches; False when Redis did not take them
    (they stay queued in the case store and the federation sweep sends them)."""
    try:
        for forward_id in forward_ids:
            queue(NOTIFY, connection).enqueue(
                "dispatcher.federation.jobs.forward",
                forward_id,
                job_id=job_id("forward", str(forward_id)),
                retry=FORWARD_RETRY,
                result_ttl=3600,
                failure_ttl=30 * 24 * 3600,
                description="forward a case to an external unit",
            )
    except redis.RedisError as exc:
        log.warning("forward jobs not enqueued, the sweep will: %s", type(exc).__name__)
        return False
    return True
