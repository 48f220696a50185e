"""The quarantine: records intake held back (rate limit, low information) until an operator
releases or rejects them; nothing is dropped. Functions take the caller's session and never
commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.claims import insert_unless_exists
from casestore.models import Quarantine, utcnow
from casestore.vocabulary import HoldReason, Resolution
from normalizer.records import ComplaintRecord


def quarantine_record(
    session: Session, record: ComplaintRecord, reason: HoldReason | str
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
