"""The outbox: outbound replies committed as ``queued`` that still wait for their notify job.

A store job commits its replies and then enqueues one notify job each; if Redis fails in
between, the rows are safe but nothing would send them. The outbox sweep finds such rows.
Functions take the caller's session and never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.models import Message
from casestore.vocabulary import DeliveryStatus, Direction


def stale_queued_replies(session: Session, created_before: datetime, limit: int = 500) -> list[int]:
    """Ids of outbound messages still ``queued`` that were created before ``created_before``."""
    return list(
        session.scalars(
            select(Message.id)
            .where(
                Message.direction == Direction.OUT,
                Message.status == DeliveryStatus.QUEUED,
                Message.created_at < created_before,
            )
            .order_by(Message.id)
            .limit(limit)
        )
    )
