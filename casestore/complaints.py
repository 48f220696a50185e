"""Writing complaints: inbound messages, cases, events and queued replies.

Every function takes the caller's session and never commits: the job that calls them owns
the transaction, so one message is stored completely or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from casestore.claims import insert_unless_exists
from casestore.lifecycle import start_clocks
from casestore.models import Complaint, Contact, Message, StatusEvent, Unit
from casestore.vocabulary import Action, DeliveryStatus, Direction, EventKind, Status
from normalizer.records import DESK_CHANNELS, ComplaintRecord
from normalizer.tracking import derive_tracking_id


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
        unit.external = row.external
        session.add(unit)
    for code, unit in existing.items():
        if code not in seen:
            unit.active = False


def claim_inbound(
    session: Session, record: ComplaintRecord, contact: Contact | None
) -> Message | None:
    """Record the inbound message ``record`` carries, from ``contact``; None when this
    channel+id was stored before (a provider retry, a replayed job)."""
    return insert_unless_exists(
        session,
        Message,
        ["channel", "direction", "external_id"],
        {
            "direction": Direction.IN,
            "channel": record.channel.value,
            "provider": record.provider,
            "external_id": record.external_id,
            "contact_id": contact.id if contact is not None else None,
            "intent": record.intent.value,
            "body": record.text,
            "media": [
                {"url": m.url, "content_type": m.content_type, "size": m.size} for m in record.media
            ],
            "reply_to": record.reply_to,
            "status": DeliveryStatus.RECEIVED,
            "received_at": record.received_at,
            "raw": record.raw,
        },
    )


def file_under(inbound: Message, complaint: Complaint) -> None:
    """The inbound message belongs to ``complaint`` (the one it opened, joined or named)."""
    if inbound.complaint_id != complaint.id:
        inbound.complaint_id = complaint.id


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


def complaint_by_id(session: Session, complaint_id: int) -> Complaint | None:
    return session.get(Complaint, complaint_id)


def event_by_id(session: Session, event_id: int) -> StatusEvent | None:
    return session.get(StatusEvent, event_id)


def event_of(session: Session, complaint: Complaint, event_id: int) -> StatusEvent | None:
    """The event ``event_id`` if it belongs to ``complaint`` (else None)."""
    event = event_by_id(session, event_id)
    return event if event is not None and event.complaint_id == complaint.id else None


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
    kind: Action | EventKind,
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
    record: ComplaintRecord,
    *,
    tracking_id: str,
    contact: Contact | None,
    owner_unit: str,
    citizen_secret_hash: str | None = None,
) -> Complaint:
    """A new case for ``record`` in status ``received``, owned by ``owner_unit`` from its
    first moment. ``citizen_secret_hash``: the web or API citizen's proof of the case.

    ``contact`` is the proven sender (or None); the record's ``update_address`` (what a
    web/API/Open311 citizen typed) is kept on the case alone (see
    ``Complaint.update_address``), with the name given as ``reporter_name``.
    """
    complaint = Complaint(
        tracking_id=tracking_id,
        idempotency_key=record.idempotency_key,
        channel=record.channel.value,
        contact=contact,
        owner_unit=owner_unit,
        status=Status.RECEIVED,
        privacy=record.privacy.value,
        category=record.category,
        kecamatan_code=record.kecamatan_code,
        desa_code=record.desa_code,
        latitude=record.latitude,
        longitude=record.longitude,
        description=record.text,
        language=record.language,
        reply_to=record.reply_to,
        update_address=record.update_address,
        reporter_name=record.contact_name,
        received_at=record.received_at,
        citizen_secret_hash=citizen_secret_hash,
        entered_by=entered_by(record),
    )
    session.add(complaint)
    return complaint


def entered_by(record: ComplaintRecord) -> str | None:
    """The operator who filed ``record`` at the desk; None on every other channel, whose raw
    payload is the provider's or the citizen's to fill (a form field named "entered_by")."""
    if record.channel not in DESK_CHANNELS:
        return None
    operator = str(record.raw.get("entered_by") or "").strip()
    return operator[:100] or None


class Routing(Protocol):
    """Where routing sent a new case and why (dispatcher/routing.py's decision)."""

    unit: str
    reason: str
    explanation: str


def stored_or_free_id(
    session: Session, record: ComplaintRecord, secret: str
) -> tuple[Complaint | None, str]:
    """The complaint already stored under the record's idempotency key (or None), and the
    tracking id a new one gets: the record's own, or the next derivation if another
    complaint holds it. One query answers both in the usual case."""
    found = complaints_by_key_or_tracking_id(session, record.idempotency_key, record.tracking_id)
    stored = next((c for c in found if c.idempotency_key == record.idempotency_key), None)
    tracking_id, attempt = record.tracking_id, 0
    taken = any(c.tracking_id == tracking_id for c in found)
    while taken:
        attempt += 1
        tracking_id = derive_tracking_id(record.idempotency_key, secret, attempt)
        taken = tracking_id_taken(session, tracking_id)
    return stored, tracking_id


def open_case(
    session: Session,
    record: ComplaintRecord,
    *,
    tracking_id: str,
    contact: Contact | None,
    routing: Routing,
    tz: str,
    citizen_secret_hash: str | None = None,
) -> Complaint:
    """A new case for ``record`` as intake opens it: owned where ``routing`` sent it, its
    clocks started (``tz``: where working days are counted), a ``received`` event and an
    internal ``routed`` one saying why (flushed, so it has its id)."""
    complaint = open_complaint(
        session,
        record,
        tracking_id=tracking_id,
        contact=contact,
        owner_unit=routing.unit,
        citizen_secret_hash=citizen_secret_hash,
    )
    start_clocks(complaint, tz)
    add_event(
        session,
        complaint,
        EventKind.RECEIVED,
        to_status=Status.RECEIVED,
        note="",
        # Filed at the desk: the timeline says who entered it (the operator's username).
        actor=f"operator:{complaint.entered_by}" if complaint.entered_by else "system",
        data={"entered_by": complaint.entered_by} if complaint.entered_by else None,
    )
    add_event(
        session,
        complaint,
        EventKind.ROUTED,
        reason=routing.reason,
        note=routing.explanation,
        public=False,
        data={"unit": routing.unit, **(getattr(routing, "data", None) or {})},
    )
    session.flush()
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


def mark_split(event: StatusEvent, tracking_id: str) -> None:
    """The joined message of a ``follow_up`` event became case ``tracking_id``."""
    event.data = {**event.data, "split_into": tracking_id}
