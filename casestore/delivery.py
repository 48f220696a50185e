"""An outbound message's delivery: the notify job's changes (sending, sent, failed,
suppressed), opt-outs, and receipts, which only ever move a status forward.

Providers report queued, sending, sent, then delivered, undelivered or failed, and read
after delivered; their callbacks arrive out of order, so a receipt that ranks below what is
stored changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from casestore.contacts import opt_out_contact
from casestore.models import Message, utcnow
from casestore.vocabulary import DeliveryStatus, Direction

# Our outbound statuses by rank. Terminal outcomes share a rank: the first one reported
# stands. "suppressed" (never sent: opted out) is the notify job's, never a receipt's.
_D = DeliveryStatus
DELIVERY_RANK = {
    _D.QUEUED: 0,
    _D.SENDING: 1,
    _D.SENT: 2,
    _D.DELIVERED: 3,
    _D.UNDELIVERED: 3,
    _D.FAILED: 3,
    _D.READ: 4,
}
FAILED_STATUSES = frozenset({_D.UNDELIVERED, _D.FAILED})


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
        .where(Message.direction == Direction.OUT, Message.external_id == external_id)
        .with_for_update()
    )
    if message is None:
        return None
    current = DELIVERY_RANK.get(message.status, -1)
    changed = DELIVERY_RANK[status] > current
    if changed:
        message.status = DeliveryStatus(status)
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
                    Message.direction == Direction.OUT,
                    Message.status == DeliveryStatus.SENDING,
                    Message.external_id.is_(None),
                    Message.updated_at >= since,
                )
            )
        )
    )


# --- the notify job's changes ----------------------------------------------------------------

SENDABLE = frozenset({DeliveryStatus.QUEUED, DeliveryStatus.SENDING})


def outbound_message(session: Session, message_id: int) -> Message | None:
    """The outbound message ``message_id`` (None: no such row, or an inbound one)."""
    message = session.get(Message, message_id)
    if message is None or message.direction != Direction.OUT:
        return None
    return message


def outbound_messages(session: Session, message_ids: list[int]) -> dict[int, Message]:
    """The outbound messages among ``message_ids``, with their contacts, in two queries
    (a batch of replies, dispatcher.jobs.notify_batch)."""
    rows = session.scalars(
        select(Message)
        .where(Message.id.in_(message_ids), Message.direction == Direction.OUT)
        .options(selectinload(Message.contact))
    )
    return {message.id: message for message in rows}


def mark_sending(message: Message, provider: str = "") -> None:
    """A send is being tried (through ``provider``): counted, so an operator sees how often."""
    message.status = DeliveryStatus.SENDING
    message.attempts += 1
    if provider:
        message.provider = provider[:40]


def conversation_provider(session: Session, message: Message) -> str:
    """The provider the citizen's latest message on this reply's channel came in on: of its
    contact, else of its case ("" when neither has one, e.g. a case filed at the desk)."""
    for same, value in (
        (Message.contact_id, message.contact_id),
        (Message.complaint_id, message.complaint_id),
    ):
        if value is None:
            continue
        provider = session.scalar(
            select(Message.provider)
            .where(
                Message.direction == Direction.IN,
                Message.channel == message.channel,
                same == value,
                Message.provider != "",
            )
            .order_by(Message.id.desc())
            .limit(1)
        )
        if provider:
            return provider
    return ""


def mark_suppressed(message: Message) -> None:
    """Never sent: the contact opted out after it was queued."""
    message.status = DeliveryStatus.SUPPRESSED


def mark_failed(message: Message, error_code: str) -> None:
    message.status = DeliveryStatus.FAILED
    message.error_code = error_code[:20]


def record_sent(session: Session, message_id: int, external_id: str, status: str) -> None:
    """The provider took the message: its id (receipts find it by that) and our status."""
    message = session.get(Message, message_id)
    assert message is not None
    message.external_id = external_id
    message.status = DeliveryStatus(status)


def record_refused(
    session: Session, message_id: int, error_code: str, *, opt_out: bool = False
) -> None:
    """The provider refused the message for good; ``opt_out``: it said the contact
    unsubscribed (their STOP reached the provider, not us)."""
    message = session.get(Message, message_id)
    assert message is not None
    mark_failed(message, error_code)
    if opt_out and message.contact is not None:
        opt_out_contact(message.contact, utcnow())


def mark_unsendable(message: Message, reason: str) -> None:
    """Never sent: no way to reach the contact now; ``reason`` is shown on the case page."""
    message.status = DeliveryStatus.UNSENDABLE
    message.error_code = reason[:20]


def requeue(message: Message, **notes: object) -> None:
    """Send the message again (a rate limit or a closed WhatsApp window reported by receipt);
    ``notes`` are kept in its raw record, e.g. ``window_closed=True``."""
    message.status = DeliveryStatus.QUEUED
    message.updated_at = utcnow()
    if notes:
        message.raw = {**(message.raw or {}), **notes}  # a new dict: JSON columns track rebinds


def note_sent_as(message: Message, channel: str, **how: object) -> None:
    """The reply goes out another way than it was queued (a template, SMS instead)."""
    message.channel = channel
    message.raw = {**(message.raw or {}), **how}


def record_bounce(
    session: Session,
    message_id: int,
    *,
    error_code: str,
    permanent: bool,
    detail: dict[str, str],
) -> Message | None:
    """A late bounce (DSN) of an email reply: a hard one makes it undelivered, a delay is
    noted with its code and leaves the status as it was. None: no such outbound email."""
    message = session.get(Message, message_id)
    if message is None or message.direction != Direction.OUT:
        return None
    if permanent:
        message.status = DeliveryStatus.UNDELIVERED
    message.error_code = error_code[:20]
    message.raw = {**(message.raw or {}), "bounce": detail}
    return message
