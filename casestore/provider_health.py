"""One provider's health for the console: its last message in, its failed replies and the
share of its delivery reports that say "not delivered", over the last day.

The channel rows (casestore/stats.py) count a channel's messages whichever provider carried
them; with Kannel and Twilio both carrying SMS an operator also needs to see which of the
two is failing (an operator's SMSC rejecting, a Twilio account suspended).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casestore.models import Message
from casestore.vocabulary import DeliveryStatus, Direction

WINDOW = timedelta(hours=24)
_FAILED = (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED)
# Outcomes a delivery report (or a refusal) settled: the base of the failure rate.
_SETTLED = (*_FAILED, DeliveryStatus.DELIVERED, DeliveryStatus.READ)


@dataclass(frozen=True)
class ProviderHealth:
    provider: str
    last_received_at: datetime | None
    failed_day: int  # replies through it that failed or were not delivered, last 24 hours
    settled_day: int  # replies through it with a final outcome, last 24 hours
    reported_failed_day: int  # of those, reported failed by a DLR/status callback

    @property
    def dlr_failure_rate(self) -> float | None:
        """Failed share of the replies its reports settled (None: no report yet)."""
        reported = self.settled_day - (self.failed_day - self.reported_failed_day)
        if reported <= 0:
            return None
        return self.reported_failed_day / reported


def provider_health(session: Session, provider: str, now: datetime) -> ProviderHealth:
    """The provider's last inbound message and its replies' outcomes over the last day."""
    last = session.scalar(
        select(func.max(Message.received_at)).where(
            Message.direction == Direction.IN, Message.provider == provider
        )
    )
    since = now - WINDOW
    recent = (
        Message.direction == Direction.OUT,
        Message.provider == provider,
        Message.updated_at >= since,
    )
    counts = dict(
        session.execute(
            select(Message.status, func.count())
            .where(*recent, Message.status.in_(_SETTLED))
            .group_by(Message.status)
        ).all()
    )
    failed = sum(counts.get(status, 0) for status in _FAILED)
    # A reply the provider took (it has the provider's id) and that later failed was
    # reported failed; one refused at send time never got an id.
    reported_failed = session.scalar(
        select(func.count()).where(
            *recent, Message.status.in_(_FAILED), Message.external_id.is_not(None)
        )
    )
    return ProviderHealth(
        provider=provider,
        last_received_at=last,
        failed_day=failed,
        settled_day=sum(counts.values()),
        reported_failed_day=reported_failed or 0,
    )
