"""What a typed address may be sent, and what a unit has read: issue 18's case-store side.

A web/API/Open311 citizen's typed address (``Complaint.update_address``) is sent to, never
joined: its replies are outbound messages with an ``address`` and no contact. Before a send
the address is checked against the opt-outs: its own one-click unsubscribe or a provider's
refusal (``address_opt_outs``), and for a phone whether that number texted STOP (a yes or
no about the number, never its contact). A unit's last look at a case (``case_reads``)
makes citizen activity after it unread. Functions take the caller's session, never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from casestore.claims import insert_unless_exists
from casestore.models import (
    AddressOptOut,
    CaseRead,
    Complaint,
    Contact,
    Message,
    StatusEvent,
    utcnow,
)
from casestore.vocabulary import Action, DeliveryStatus, Direction, EventKind

# What a citizen does that their case's owner has to read: new information (INFO, a
# follow-up joined to the case) and the answer to a resolution (reopening it).
CITIZEN_ACTIVITY = (EventKind.FOLLOW_UP.value, Action.REOPEN.value)


def queue_addressed_reply(
    session: Session,
    *,
    dedupe_key: str,
    channel: str,
    address: str,
    complaint: Complaint,
    body: str,
    intent: str,
    subject: str = "",
    language: str = "id",
    link: str = "",
) -> Message | None:
    """An outbound message to a typed address, waiting for a notify job; None if this reply
    was queued before (the dedupe key: one event, one recipient)."""
    if complaint.id is None:
        session.flush()
    return insert_unless_exists(
        session,
        Message,
        ["dedupe_key"],
        {
            "direction": Direction.OUT,
            "channel": channel,
            "dedupe_key": dedupe_key,
            "complaint_id": complaint.id,
            "contact_id": None,
            "address": address,
            "body": body,
            "intent": intent,
            "status": DeliveryStatus.QUEUED,
            "raw": {"subject": subject, "language": language, "link": link},
        },
    )


def addressed_message(session: Session, message_id: int) -> Message | None:
    """The outbound message ``message_id`` when it goes to a typed address, else None."""
    message = session.get(Message, message_id)
    if message is None or message.direction != Direction.OUT or not message.address:
        return None
    return message


def address_opted_out(session: Session, address: str) -> bool:
    """Whether ``address`` may be sent nothing: unsubscribed, refused for good, or (a phone)
    the number texted STOP to the shortcode."""
    if session.scalar(select(exists().where(AddressOptOut.address == address))):
        return True
    if not address.startswith("tel:"):
        return False
    return bool(
        session.scalar(select(exists().where(Contact.urn == address, Contact.opted_out.is_(True))))
    )


def opt_out_address(session: Session, address: str, source: str) -> bool:
    """Remember that ``address`` gets nothing more; False when it was already so."""
    row = insert_unless_exists(
        session,
        AddressOptOut,
        ["address"],
        {"address": address, "source": source, "created_at": utcnow()},
    )
    return row is not None


# --- unread marks ----------------------------------------------------------------------------


def mark_read(session: Session, complaint: Complaint, unit_code: str, now: datetime) -> None:
    """The owning unit's admin opened the case: its citizen activity so far is read."""
    row = session.get(CaseRead, (complaint.id, unit_code))
    if row is None:
        session.add(CaseRead(complaint_id=complaint.id, unit_code=unit_code, read_at=now))
    else:
        row.read_at = now


def unread_ids(session: Session, complaint_ids: list[int]) -> set[int]:
    """Of ``complaint_ids``, the cases with citizen activity their owner has not read."""
    if not complaint_ids:
        return set()
    read_at = (
        select(CaseRead.read_at)
        .where(CaseRead.complaint_id == Complaint.id, CaseRead.unit_code == Complaint.owner_unit)
        .scalar_subquery()
    )
    newer = exists().where(
        StatusEvent.complaint_id == Complaint.id,
        StatusEvent.kind.in_(CITIZEN_ACTIVITY),
        (read_at.is_(None)) | (StatusEvent.created_at > read_at),
    )
    return set(session.scalars(select(Complaint.id).where(Complaint.id.in_(complaint_ids), newer)))


def unread_for_unit(session: Session, unit_code: str, limit: int = 50) -> list[Complaint]:
    """The unit's cases with unread citizen activity, the oldest activity first."""
    read_at = (
        select(CaseRead.read_at)
        .where(CaseRead.complaint_id == Complaint.id, CaseRead.unit_code == unit_code)
        .scalar_subquery()
    )
    newer = exists().where(
        StatusEvent.complaint_id == Complaint.id,
        StatusEvent.kind.in_(CITIZEN_ACTIVITY),
        (read_at.is_(None)) | (StatusEvent.created_at > read_at),
    )
    return list(
        session.scalars(
            select(Complaint)
            .where(Complaint.owner_unit == unit_code, newer)
            .order_by(Complaint.updated_at)
            .limit(limit)
        )
    )
