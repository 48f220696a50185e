"""Writing complaints: contacts, inbound messages, cases, events and queued replies.

Every function takes the caller's session and never commits: the job that calls them owns
the transaction, so one message is stored completely or not at all.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casestore.models import (
    Complaint,
    Contact,
    Message,
    Quarantine,
    StatusEvent,
    Unit,
    utcnow,
)
from casestore.vocabulary import DeliveryStatus, Direction, Resolution, Status


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


RowT = TypeVar("RowT")

# Dialects whose INSERT ... ON CONFLICT DO NOTHING RETURNING claims a unique key in one
# statement; elsewhere a savepoint around a plain INSERT catches the collision.
_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@functools.cache
def _insert_or_nothing(dialect: str, model: type[Any], key: tuple[str, ...]) -> Any:
    # Built once: building and hashing an INSERT per call cost more CPU than running it.
    insert = _UPSERT_INSERTS[dialect]
    return insert(model).on_conflict_do_nothing(index_elements=list(key)).returning(model)


def insert_unless_exists(
    session: Session, model: type[RowT], key: list[str], values: dict[str, Any]
) -> RowT | None:
    """Insert one row of ``model``; None (and nothing written) when a row with the same
    unique ``key`` columns exists, committed or in this transaction (a concurrent insert
    of the same key is waited for). The row comes back as a persistent object with its id.
    """
    dialect = session.get_bind().dialect.name
    if dialect in _UPSERT_INSERTS:
        statement = _insert_or_nothing(dialect, model, tuple(key))
        return session.scalars(statement, [values]).one_or_none()
    row = model(**values)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def contact_by_urn(session: Session, urn: str) -> Contact | None:
    return session.scalar(select(Contact).where(Contact.urn == urn))


def insert_contact(
    session: Session, urn: str, name: str = "", language: str = "id"
) -> Contact | None:
    """A new contact for ``urn``; None when it has one already (a concurrent insert won)."""
    return insert_unless_exists(
        session, Contact, ["urn"], {"urn": urn, "name": name, "language": language}
    )


def get_or_create_contact(
    session: Session, urn: str, name: str = "", language: str = "id"
) -> Contact:
    """The contact for ``urn``, created on first sight; safe against a concurrent insert."""
    contact = contact_by_urn(session, urn)
    if contact is not None:
        if name and not contact.name:
            contact.name = name
        return contact
    contact = insert_contact(session, urn, name, language)
    if contact is None:
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
    contact_id: int | None = None,
) -> Message | None:
    """Record an inbound message; None when this channel+id was stored before (a retry)."""
    return insert_unless_exists(
        session,
        Message,
        ["channel", "direction", "external_id"],
        {
            "direction": Direction.IN,
            "channel": channel,
            "provider": provider,
            "external_id": external_id,
            "contact_id": contact_id,
            "intent": intent,
            "body": body,
            "media": media,
            "reply_to": reply_to,
            "status": DeliveryStatus.RECEIVED,
            "received_at": received_at,
            "raw": raw,
        },
    )


def inbound_message(session: Session, channel: str, external_id: str) -> Message | None:
    return session.scalar(
        select(Message).where(
            Message.channel == channel,
            Message.direction == Direction.IN,
            Message.external_id == external_id,
        )
    )


def complaint_in_thread(
    session: Session, channel: str, external_ids: Iterable[str], contact_urn: str
) -> Complaint | None:
    """The contact's complaint that one of these provider ids belongs to, newest first.

    The ids are the messages a new one answers: a reply we sent (our outbound message's
    external id is the reply tweet we posted) or a message the citizen sent about the case.
    """
    ids = [external_id for external_id in external_ids if external_id]
    if not ids or not contact_urn:
        return None
    return session.scalar(
        select(Complaint)
        .join(Message, Message.complaint_id == Complaint.id)
        .join(Contact, Contact.id == Complaint.contact_id)
        .where(
            Message.channel == channel,
            Message.direction.in_(tuple(Direction)),  # the whole unique index, not a scan
            Message.external_id.in_(ids),
            Contact.urn == contact_urn,
        )
        .order_by(Complaint.id.desc())
        .limit(1)
    )


def complaint_by_tracking_id(session: Session, tracking_id: str) -> Complaint | None:
    return session.scalar(select(Complaint).where(Complaint.tracking_id == tracking_id))


def complaint_by_key(session: Session, idempotency_key: str) -> Complaint | None:
    return session.scalar(select(Complaint).where(Complaint.idempotency_key == idempotency_key))


def complaints_by_key_or_tracking_id(
    session: Session, idempotency_key: str, tracking_id: str
) -> list[Complaint]:
    """The complaint stored under ``idempotency_key`` and the one holding ``tracking_id`` (at
    most two, possibly one and the same): both questions a new case asks, in one query."""
    return list(
        session.scalars(
            select(Complaint).where(
                or_(
                    Complaint.idempotency_key == idempotency_key,
                    Complaint.tracking_id == tracking_id,
                )
            )
        )
    )


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
    """An outbound message waiting for a notify job, already with its id; None if this reply
    was queued before."""
    if contact.id is None or (complaint is not None and complaint.id is None):
        session.flush()  # the row refers to them by id
    return insert_unless_exists(
        session,
        Message,
        ["dedupe_key"],
        {
            "direction": Direction.OUT,
            "channel": channel,
            "dedupe_key": dedupe_key,
            "complaint_id": complaint.id if complaint is not None else None,
            "contact_id": contact.id,
            "body": body,
            "reply_to": reply_to,
            "intent": intent,
            "status": DeliveryStatus.QUEUED,
        },
    )


def quarantine_record(
    session: Session, record: dict[str, Any], reason: str, *, contact_urn: str | None = None
) -> Quarantine:
    """Hold a record (its dict form) for an operator to release or reject; nothing is dropped.

    Keyed on the record's idempotency key: a provider retry of a held message returns the
    row already held instead of a second one.
    """
    key = record["idempotency_key"]
    held = session.scalar(select(Quarantine).where(Quarantine.idempotency_key == key))
    if held is not None:
        return held
    held = insert_unless_exists(
        session,
        Quarantine,
        ["idempotency_key"],
        {
            "idempotency_key": key,
            "channel": record["channel"],
            "contact_urn": record.get("contact_urn", "") if contact_urn is None else contact_urn,
            "reason": reason,
            "record": record,
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


def inbound_count_since(
    session: Session, contact_urn: str, since: datetime, channels: Iterable[str]
) -> int:
    """How many messages the contact sent on ``channels`` after ``since`` (rate limits)."""
    return session.scalar(
        select(func.count(Message.id))
        .join(Contact, Contact.id == Message.contact_id)
        .where(
            Contact.urn == contact_urn,
            Message.direction == Direction.IN,
            Message.channel.in_(list(channels)),
            Message.received_at > since,
        )
    )


def contact_with_inbound_count(
    session: Session, urn: str, since: datetime, channels: Iterable[str]
) -> tuple[Contact | None, int]:
    """The contact for ``urn`` and ``inbound_count_since`` for it, in one query; (None, 0)
    when ``urn`` has no contact (it has sent nothing)."""
    recent = (
        select(func.count(Message.id))
        .where(
            Message.contact_id == Contact.id,
            Message.direction == Direction.IN,
            Message.channel.in_(list(channels)),
            Message.received_at > since,
        )
        .scalar_subquery()
    )
    row = session.execute(select(Contact, recent).where(Contact.urn == urn)).first()
    return (None, 0) if row is None else (row[0], row[1])


def replied_since(session: Session, contact_id: int, intent: str, since: datetime) -> bool:
    """Whether a reply of this kind was queued for the contact after ``since``."""
    found = session.scalar(
        select(Message.id)
        .where(
            Message.contact_id == contact_id,
            Message.direction == Direction.OUT,
            Message.intent == intent,
            Message.created_at > since,
        )
        .limit(1)
    )
    return found is not None
