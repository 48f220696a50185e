"""Writing complaints: contacts, inbound messages, cases, events and queued replies.

Every function takes the caller's session and never commits: the job that calls them owns
the transaction, so one message is stored completely or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casestore.lifecycle import Status
from casestore.models import Complaint, Contact, Message, StatusEvent, Unit


class UnitSpec(Protocol):
    code: str
    name: str
    name_en: str
    kind: str
    kecamatan_code: str | None


def sync_units(session: Session, units: Iterable[UnitSpec]) -> None:
    """Make the units table match the configured units; removed units are deactivated."""
    existing = {unit.code: unit for unit in session.scalars(select(Unit))}
    seen = set()
    for row in units:
        seen.add(row.code)
        unit = existing.get(row.code) or Unit(code=row.code)
        unit.name, unit.name_en, unit.kind = row.name, row.name_en, row.kind
        unit.kecamatan_code, unit.active = row.kecamatan_code, True
        session.add(unit)
    for code, unit in existing.items():
        if code not in seen:
            unit.active = False


def get_or_create_contact(
    session: Session, urn: str, name: str = "", language: str = "id"
) -> Contact:
    """The contact for ``urn``, created on first sight; safe against a concurrent insert."""
    contact = session.scalar(select(Contact).where(Contact.urn == urn))
    if contact is not None:
        if name and not contact.name:
            contact.name = name
        return contact
    try:
        with session.begin_nested():
            contact = Contact(urn=urn, name=name, language=language)
            session.add(contact)
    except IntegrityError:
        contact = session.scalars(select(Contact).where(Contact.urn == urn)).one()
    return contact


def claim_inbound(
    session: Session,
    *,
    channel: str,
    provider: str,
    external_id: str,
    intent: str,
    body: str,
    media: list[dict[str, Any]],
    reply_to: str,
    received_at: datetime,
    raw: dict[str, Any],
) -> Message | None:
    """Record an inbound message; None when this channel+id was stored before (a retry)."""
    message = Message(
        direction="in",
        channel=channel,
        provider=provider,
        external_id=external_id,
        intent=intent,
        body=body,
        media=media,
        reply_to=reply_to,
        status="received",
        received_at=received_at,
        raw=raw,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return None
    return message


def inbound_message(session: Session, channel: str, external_id: str) -> Message | None:
    return session.scalar(
        select(Message).where(
            Message.channel == channel,
            Message.direction == "in",
            Message.external_id == external_id,
        )
    )


def complaint_by_tracking_id(session: Session, tracking_id: str) -> Complaint | None:
    return session.scalar(select(Complaint).where(Complaint.tracking_id == tracking_id))


def complaint_by_key(session: Session, idempotency_key: str) -> Complaint | None:
    return session.scalar(select(Complaint).where(Complaint.idempotency_key == idempotency_key))


def tracking_id_taken(session: Session, tracking_id: str) -> bool:
    return (
        session.scalar(select(Complaint.id).where(Complaint.tracking_id == tracking_id)) is not None
    )


def add_event(
    session: Session,
    complaint: Complaint,
    kind: str,
    *,
    to_status: str | None = None,
    to_unit: str | None = None,
    actor: str = "system",
    reason: str | None = None,
    note: str = "",
    public: bool = True,
    data: dict[str, Any] | None = None,
) -> StatusEvent:
    """Append one event; a status or unit change is applied to the complaint at the same time."""
    event = StatusEvent(
        complaint=complaint,
        kind=kind,
        from_status=complaint.status if to_status else None,
        to_status=to_status,
        from_unit=complaint.owner_unit if to_unit else None,
        to_unit=to_unit,
        actor=actor,
        reason=reason,
        note=note,
        public=public,
        data=data or {},
    )
    if to_status:
        complaint.status = to_status
    if to_unit:
        complaint.owner_unit = to_unit
    session.add(event)
    return event


def open_complaint(
    session: Session,
    *,
    tracking_id: str,
    idempotency_key: str,
    channel: str,
    contact: Contact | None,
    owner_unit: str,
    privacy: str,
    description: str,
    language: str,
    received_at: datetime,
    category: str | None = None,
    kecamatan_code: str | None = None,
    desa_code: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    reply_to: str = "",
) -> Complaint:
    """A new case in status ``received``, owned by ``owner_unit`` from its first moment."""
    complaint = Complaint(
        tracking_id=tracking_id,
        idempotency_key=idempotency_key,
        channel=channel,
        contact=contact,
        owner_unit=owner_unit,
        status=Status.RECEIVED,
        privacy=privacy,
        category=category,
        kecamatan_code=kecamatan_code,
        desa_code=desa_code,
        latitude=latitude,
        longitude=longitude,
        description=description,
        language=language,
        reply_to=reply_to,
        received_at=received_at,
    )
    session.add(complaint)
    return complaint


def queue_reply(
    session: Session,
    *,
    dedupe_key: str,
    channel: str,
    contact: Contact,
    complaint: Complaint | None,
    body: str,
    reply_to: str = "",
    intent: str = "",
) -> Message | None:
    """An outbound message waiting for a notify job; None if this reply was queued before."""
    existing = session.scalar(select(Message).where(Message.dedupe_key == dedupe_key))
    if existing is not None:
        return None
    message = Message(
        direction="out",
        channel=channel,
        dedupe_key=dedupe_key,
        complaint=complaint,
        contact_id=contact.id,
        body=body,
        reply_to=reply_to,
        intent=intent,
        status="queued",
    )
    session.add(message)
    return message
