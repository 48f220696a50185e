"""Abuse controls an operator can see and undo: held messages and forged webhook requests.

Messages over the per-sender limit wait in the quarantine table (``dispatcher.intake`` holds
them, nothing is dropped); ``release`` stores one as if it had just arrived, ``reject``
closes it. Webhook requests whose signature did not match are counted per provider and
reason in one Redis hash, for the console and for a shadow-mode roll-out.
"""

from __future__ import annotations

import logging

import redis

from casestore.db import Session
from casestore.quarantine import mark_spam as mark_spam_quarantined
from casestore.quarantine import reject_quarantined, release_quarantined
from dispatcher.intake import StoreOutcome, store_record
from dispatcher.outbox import enqueue_notifications
from dispatcher.runtime import Runtime
from normalizer.records import ComplaintRecord

log = logging.getLogger(__name__)

SIGNATURE_FAILURES_KEY = "satupintu:webhook_signature_failures"


def count_signature_failure(connection: redis.Redis, provider: str, reason: str) -> None:
    """Count one request whose signature did not verify; never fails the request itself."""
    try:
        connection.hincrby(SIGNATURE_FAILURES_KEY, f"{provider}:{reason}", 1)
    except redis.RedisError as exc:
        log.warning("could not count a signature failure: %s", type(exc).__name__)


def signature_failures(connection: redis.Redis) -> dict[str, int]:
    """``{"twilio:invalid": 3, "twilio:missing": 1, ...}`` since the counter was created."""
    counts = connection.hgetall(SIGNATURE_FAILURES_KEY)
    return {field.decode(): int(value) for field, value in counts.items()}


def apply_release(
    session: Session, quarantine_id: int, runtime: Runtime, operator: str
) -> StoreOutcome:
    """Release a held record in the caller's transaction and store it past the limit.

    The caller enqueues ``outcome.outbound_ids`` after committing (see ``release``).
    """
    payload = release_quarantined(session, quarantine_id, operator)
    record = ComplaintRecord.from_dict(payload)
    return store_record(session, record, runtime, check_rate_limit=False)


def release(runtime: Runtime, quarantine_id: int, operator: str) -> StoreOutcome:
    """Release and store a held record, then queue the replies it calls for."""
    with runtime.sessions.begin() as session:
        outcome = apply_release(session, quarantine_id, runtime, operator)
    enqueue_notifications(runtime.redis, outcome.outbound_ids)
    return outcome


def reject(runtime: Runtime, quarantine_id: int, operator: str) -> None:
    """Close a held record without storing it; it stays listed for the audit trail."""
    with runtime.sessions.begin() as session:
        reject_quarantined(session, quarantine_id, operator)


def mark_spam(runtime: Runtime, quarantine_id: int, operator: str) -> None:
    """Close a held record as spam: like ``reject``, and a junk label for the next model."""
    with runtime.sessions.begin() as session:
        mark_spam_quarantined(session, quarantine_id, operator)
