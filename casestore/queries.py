"""Reading complaints for people outside the case: the public tracking view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.models import Complaint, StatusEvent, Unit


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    kind: str
    status: str | None
    note: str


@dataclass(frozen=True)
class PublicCase:
    """What anyone holding a tracking id may see: no names, contacts or message bodies."""

    tracking_id: str
    status: str
    channel: str
    privacy: str
    unit_code: str
    unit_name: str
    unit_name_en: str
    category: str | None
    kecamatan_code: str | None
    received_at: datetime
    events: tuple[PublicEvent, ...]
    # The current deadline of whoever must act next (None once the case is finished).
    due_at: datetime | None = None


def public_case(session: Session, tracking_id: str) -> PublicCase | None:
    """The public view of one case, or None when the id is unknown."""
    row = session.execute(
        select(Complaint, Unit)
        .join(Unit, Unit.code == Complaint.owner_unit)
        .where(Complaint.tracking_id == tracking_id)
    ).first()
    if row is None:
        return None
    complaint, unit = row
    confidential = complaint.privacy == "confidential"
    events = session.scalars(
        select(StatusEvent)
        .where(StatusEvent.complaint_id == complaint.id, StatusEvent.public.is_(True))
        .order_by(StatusEvent.id)
    )
    return PublicCase(
        tracking_id=complaint.tracking_id,
        status=complaint.status,
        channel=complaint.channel,
        privacy=complaint.privacy,
        unit_code=unit.code,
        unit_name=unit.name,
        unit_name_en=unit.name_en,
        # A confidential case shows its status and nothing that could point at the citizen.
        category=None if confidential else complaint.category,
        kecamatan_code=None if confidential else complaint.kecamatan_code,
        received_at=complaint.received_at,
        due_at=complaint.due_at,
        events=tuple(
            PublicEvent(
                at=event.created_at,
                kind=event.kind,
                status=event.to_status,
                note="" if confidential else event.note,
            )
            for event in events
        ),
    )
