"""Contacts: a citizen as a channel proved them (one URN), created on first sight.

Also what a sender has done lately (messages in the rate limit's window) and whether they
may be written to (STOP / MULAI). Functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casestore.claims import insert_unless_exists
from casestore.models import Contact, Message
from casestore.vocabulary import Direction
from normalizer.records import Channel, ComplaintRecord

# WhatsApp takes free text for 24 hours after the citizen's last message, templates after.
WHATSAPP_WINDOW = timedelta(hours=24)


def contact_by_urn(session: Session, urn: str) -> Contact | None:
    """The contact a channel proved for ``urn``. Typed addresses (``Complaint.update_address``)
    are never looked up here: nothing typed on a form finds, joins or renames a contact."""
    return session.scalar(select(Contact).where(Contact.urn == urn))


def insert_contact(
    session: Session, urn: str, name: str = "", language: str = "id"
) -> Contact | None:
    """A new contact for a proven ``urn``; None when it has one already (a concurrent insert
    won)."""
    return insert_unless_exists(
        session, Contact, ["urn"], {"urn": urn, "name": name, "language": language}
    )


def get_or_create_contact(
    session: Session, urn: str, name: str = "", language: str = "id"
) -> Contact:
    """The contact for a proven ``urn``, created on first sight; safe against a concurrent
    insert."""
    contact = contact_by_urn(session, urn)
    if contact is not None:
        if name and not contact.name:
            contact.name = name
        return contact
    contact = insert_contact(session, urn, name, language)
    if contact is None:
        contact = session.scalars(select(Contact).where(Contact.urn == urn)).one()
    return contact


def sender_of(
    session: Session, record: ComplaintRecord, known: Contact | None
) -> tuple[Contact, bool]:
    """The record's sender as a contact, created on first sight, and whether it was created
    just now. ``known`` is the contact already looked up for it (None: it had none then);
    a name the record brings fills an empty one. A WhatsApp record opens the contact's
    24-hour window (``note_whatsapp_inbound``)."""
    if known is not None:
        if record.contact_name and not known.name:
            known.name = record.contact_name
        contact, created = known, False
    else:
        urn, name, language = record.contact_urn, record.contact_name, record.language
        inserted = insert_contact(session, urn, name, language)
        # None: a concurrent message of the same sender created it first.
        contact = inserted or get_or_create_contact(session, urn, name, language)
        created = inserted is not None
    if record.channel is Channel.WHATSAPP:
        note_whatsapp_inbound(contact, record.received_at)
    return contact, created


def note_whatsapp_inbound(contact: Contact, at: datetime) -> None:
    """The contact wrote on WhatsApp at ``at``; a late or replayed older message moves
    nothing back."""
    if contact.last_whatsapp_at is None or at > contact.last_whatsapp_at:
        contact.last_whatsapp_at = at


def whatsapp_window_open(contact: Contact, now: datetime) -> bool:
    """Whether free text may go to the contact on WhatsApp at ``now``."""
    last = contact.last_whatsapp_at
    return last is not None and now - last < WHATSAPP_WINDOW


@dataclass(frozen=True)
class Sender:
    """Who sent a record: its contact (None: the record names none), whether the contact was
    created for it, and how many messages it sent lately (None: not counted)."""

    contact: Contact | None
    created: bool = False
    recent: int | None = None


def sender_with_count(
    session: Session,
    record: ComplaintRecord,
    since: datetime | None,
    channels: Iterable[str] = (),
) -> Sender:
    """The record's sender, created on first sight; with ``since``, how many messages it sent
    on ``channels`` after then (before this one). One query for a known sender."""
    if not record.contact_urn:
        return Sender(None)
    recent = None
    if since is None:
        known = contact_by_urn(session, record.contact_urn)
    else:
        known, recent = contact_with_inbound_count(session, record.contact_urn, since, channels)
    contact, created = sender_of(session, record, known)
    return Sender(contact, created, recent)


def _recent_inbound(since: datetime, channels: Iterable[str]):  # -> a WHERE clause
    return (
        Message.direction == Direction.IN,
        Message.channel.in_(list(channels)),
        Message.received_at > since,
    )


def inbound_count_since(
    session: Session, contact_urn: str, since: datetime, channels: Iterable[str]
) -> int:
    """How many messages the contact sent on ``channels`` after ``since`` (rate limits)."""
    return session.scalar(
        select(func.count(Message.id))
        .join(Contact, Contact.id == Message.contact_id)
        .where(Contact.urn == contact_urn, *_recent_inbound(since, channels))
    )


def contact_with_inbound_count(
    session: Session, urn: str, since: datetime, channels: Iterable[str]
) -> tuple[Contact | None, int]:
    """The contact for ``urn`` and ``inbound_count_since`` for it, in one query; (None, 0)
    when ``urn`` has no contact (it has sent nothing)."""
    recent = (
        select(func.count(Message.id))
        .where(Message.contact_id == Contact.id, *_recent_inbound(since, channels))
        .scalar_subquery()
    )
    row = session.execute(select(Contact, recent).where(Contact.urn == urn)).first()
    return (None, 0) if row is None else (row[0], row[1])


def opt_out_contact(contact: Contact, at: datetime) -> bool:
    """Nothing more is sent to the contact (STOP); False when it had opted out already."""
    if contact.opted_out:
        return False
    contact.opted_out, contact.opted_out_at = True, at
    return True


def opt_in_contact(contact: Contact) -> None:
    """The contact may be written to again (MULAI)."""
    contact.opted_out, contact.opted_out_at = False, None
