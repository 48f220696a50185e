"""Delivery receipts: an outbound message's status, which only ever moves forward.

Providers report queued, sending, sent, then delivered, undelivered or failed, and read
after delivered; their callbacks arrive out of order, so a receipt that ranks below what is
stored changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from casestore.models import Message, utcnow

# Our outbound statuses by rank. Terminal outcomes share a rank: the first one reported
# stands. "suppressed" (never sent: opted out) is the notify job's, never a receipt's.
DELIVERY_RANK = {
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "read": 4,
}
FAILED_STATUSES = frozenset({"undelivered", "failed"})


@dataclass(frozen=True)
class DeliveryChange:
    message: Message
    changed: bool


def record_delivery(
    session: Session, *, external_id: str, status: str, error_code: str | None = None
) -> DeliveryChange | None:
    """Apply one receipt to the outbound message the provider knows as ``external_id``.

    None when no outbound message has that id (yet: the notify job that sent it may not have
    committed). A failure keeps its error code, even one that arrives after the status.
    """
    if status not in DELIVERY_RANK:
        raise ValueError(f"not a delivery status: {status!r}")
    # Locked on PostgreSQL so two receipts for one message apply one after the other.
    message = session.scalar(
        select(Message)
        .where(Message.direction == "out", Message.external_id == external_id)
        .with_for_update()
    )
    if message is None:
        return None
    current = DELIVERY_RANK.get(message.status, -1)
    changed = DELIVERY_RANK[status] > current
    if changed:
        message.status = status
        message.updated_at = utcnow()
    if error_code and status in FAILED_STATUSES and message.status in FAILED_STATUSES:
        message.error_code = error_code[:20]
    return DeliveryChange(message=message, changed=changed)


def sends_awaiting_their_id(session: Session, *, within: timedelta) -> bool:
    """Whether an outbound message went to its provider in the last ``within`` and has no
    provider id stored yet: a receipt for an unknown id may be that message's (retry it)."""
    since = utcnow() - within
    return bool(
        session.scalar(
            select(
                exists().where(
                    Message.direction == "out",
                    Message.status == "sending",
                    Message.external_id.is_(None),
                    Message.updated_at >= since,
                )
            )
        )
    )
