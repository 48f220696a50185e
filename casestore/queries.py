"""Reading complaints for people outside the case: the public tracking view, and the messages
to the reporter a web or API citizen reads with their secret code.

The public view carries status, unit, dates and category only: never an operator's note,
never a message to the reporter, never the citizen's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.models import Complaint, StatusEvent, Unit
from casestore.vocabulary import Action, Status

# Citizens of these channels are sent their messages there (their contact is a proven
# identity): the tracking page never prints them, code or no code.
DELIVERED_ON_CHANNEL = frozenset({"sms", "whatsapp", "twitter"})


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    kind: str
    status: str | None


@dataclass(frozen=True)
class ReporterMessage:
    """One message an operator wrote to the reporter (a reply, a resolution, ...)."""

    at: datetime
    kind: str
    status: str | None
    text: str


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
    # Waiting for the reporter: whether the case's SLA policy stops the owner's clock meanwhile.
    clock_paused: bool = False


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
    events = session.execute(
        select(StatusEvent.created_at, StatusEvent.kind, StatusEvent.to_status)
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
        events=tuple(PublicEvent(at=at, kind=kind, status=status) for at, kind, status in events),
        clock_paused=_clock_paused(session, complaint),
    )


def _clock_paused(session: Session, complaint: Complaint) -> bool:
    """Whether the wait for the reporter stopped the owner's clock (the ask's event says)."""
    if complaint.status != Status.WAITING_REPORTER:
        return False
    data = session.scalar(
        select(StatusEvent.data)
        .where(
            StatusEvent.complaint_id == complaint.id,
            StatusEvent.kind == Action.ASK_REPORTER.value,
        )
        .order_by(StatusEvent.id.desc())
        .limit(1)
    )
    return bool((data or {}).get("paused", True))


def reporter_messages(session: Session, tracking_id: str) -> list[ReporterMessage]:
    """The messages to the reporter of a case, oldest first, for its proven web/API citizen.

    The caller has checked the secret code. Empty for SMS, WhatsApp and X cases: those
    citizens got each message on their channel, and a tracking page is no place to repeat it.
    """
    complaint = session.scalar(select(Complaint).where(Complaint.tracking_id == tracking_id))
    if complaint is None or complaint.channel in DELIVERED_ON_CHANNEL:
        return []
    rows = session.execute(
        select(
            StatusEvent.created_at,
            StatusEvent.kind,
            StatusEvent.to_status,
            StatusEvent.message_to_reporter,
        )
        .where(
            StatusEvent.complaint_id == complaint.id,
            StatusEvent.public.is_(True),
            StatusEvent.message_to_reporter != "",
        )
        .order_by(StatusEvent.id)
    )
    return [ReporterMessage(at, kind, status, text) for at, kind, status, text in rows]
