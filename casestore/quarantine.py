"""The quarantine, the coordinator's triage queue: records intake held back (rate limit, low
information, junk, an unsure verdict, a photo waiting for its text) until an operator
releases, rejects or marks them spam; nothing is dropped. Functions take the caller's
session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casestore.claims import insert_unless_exists
from casestore.models import Quarantine, utcnow
from casestore.vocabulary import HoldReason, Resolution
from normalizer.records import ComplaintRecord


def quarantine_record(
    session: Session,
    record: ComplaintRecord,
    reason: HoldReason | str,
    triage: dict[str, Any] | None = None,
) -> Quarantine:
    """Hold a record for an operator to release or reject.

    Keyed on the record's idempotency key: a provider retry of a held message returns the
    row already held instead of a second one.
    """
    key = record.idempotency_key
    held = session.scalar(select(Quarantine).where(Quarantine.idempotency_key == key))
    if held is not None:
        return held
    held = insert_unless_exists(
        session,
        Quarantine,
        ["idempotency_key"],
        {
            "idempotency_key": key,
            "channel": record.channel.value,
            "contact_urn": record.contact_urn,
            "reason": reason,
            "record": record.to_dict(),
            "triage": triage,
            # The message's own time, so windows (rate limit, a photo waiting for its text)
            # are counted on the clock the records carry, as the stored messages are.
            "created_at": record.received_at,
        },
    )
    if held is None:  # a concurrent delivery of the same message held it first
        held = session.scalars(select(Quarantine).where(Quarantine.idempotency_key == key)).one()
    return held


class QuarantineResolved(LookupError):
    """The held record is unknown, or an operator already released or rejected it."""


def _pending(session: Session, quarantine_id: int) -> Quarantine:
    # Locked on PostgreSQL: two operators pressing "release" at once apply the record once.
    held = session.get(Quarantine, quarantine_id, with_for_update=True)
    if held is None:
        raise QuarantineResolved(f"no quarantined record {quarantine_id}")
    if held.resolved_at is not None:
        raise QuarantineResolved(f"quarantined record {quarantine_id} was {held.resolution}")
    return held


def release_quarantined(session: Session, quarantine_id: int, operator: str) -> dict[str, Any]:
    """Mark a held record released and give back its dict form, to be stored as usual."""
    held = _pending(session, quarantine_id)
    held.resolution, held.resolved_by, held.resolved_at = Resolution.RELEASED, operator, utcnow()
    return dict(held.record)


def reject_quarantined(session: Session, quarantine_id: int, operator: str) -> Quarantine:
    """Mark a held record rejected; it stays in the table for the audit trail."""
    held = _pending(session, quarantine_id)
    held.resolution, held.resolved_by, held.resolved_at = Resolution.REJECTED, operator, utcnow()
    return held


def mark_spam(session: Session, quarantine_id: int, operator: str) -> Quarantine:
    """Reject a held record as spam: closed like a rejection, and a junk label for training."""
    held = _pending(session, quarantine_id)
    held.resolution, held.resolved_by, held.resolved_at = Resolution.SPAM, operator, utcnow()
    return held


def held_since(session: Session, contact_urn: str, channels: Sequence[str], since: datetime) -> int:
    """How many of this sender's messages on ``channels`` were held since ``since`` (they
    count towards the per-sender rate limit like stored ones)."""
    if not contact_urn:
        return 0
    return (
        session.scalar(
            select(func.count(Quarantine.id)).where(
                Quarantine.contact_urn == contact_urn,
                Quarantine.channel.in_(list(channels)),
                Quarantine.created_at >= since,
            )
        )
        or 0
    )


def waiting_media(
    session: Session, contact_urn: str, channel: str, since: datetime
) -> list[Quarantine]:
    """This sender's photos still waiting for their text, held since ``since``, oldest first."""
    if not contact_urn:
        return []
    return list(
        session.scalars(
            select(Quarantine)
            .where(
                Quarantine.contact_urn == contact_urn,
                Quarantine.channel == channel,
                Quarantine.reason == HoldReason.AWAITING_TEXT,
                Quarantine.resolved_at.is_(None),
                Quarantine.created_at >= since,
            )
            .order_by(Quarantine.created_at, Quarantine.id)
            .with_for_update()
        )
    )


def overdue_media(session: Session, before: datetime, limit: int = 200) -> list[int]:
    """Ids of photos that waited for a text since before ``before`` and got none."""
    return list(
        session.scalars(
            select(Quarantine.id)
            .where(
                Quarantine.reason == HoldReason.AWAITING_TEXT,
                Quarantine.resolved_at.is_(None),
                Quarantine.created_at < before,
            )
            .order_by(Quarantine.id)
            .limit(limit)
        )
    )


def mark_joined(held: Quarantine, operator: str = "system") -> None:
    """A waiting photo joined its sender's text or complaint (it is stored with that)."""
    held.resolution, held.resolved_by, held.resolved_at = Resolution.JOINED, operator, utcnow()


def take_pending(session: Session, quarantine_id: int, operator: str) -> dict[str, Any] | None:
    """Release a held record if it is still pending (the media sweep's variant of
    ``release_quarantined``: a photo that joined its text meanwhile is no error)."""
    held = session.get(Quarantine, quarantine_id, with_for_update=True)
    if held is None or held.resolved_at is not None:
        return None
    held.resolution, held.resolved_by, held.resolved_at = Resolution.RELEASED, operator, utcnow()
    return dict(held.record)
