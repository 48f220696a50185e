"""What a batch of new complaints needs to know before it is written set-wise: each question
one query for the whole batch (casestore/bulk.py writes them; dispatcher/intake/batch.py
decides). Functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from casestore.models import Complaint, Contact, LocalHoliday, Message, Quarantine
from casestore.vocabulary import OPEN_STATUSES, Direction, HoldReason


@dataclass(frozen=True)
class KnownContact:
    id: int
    urn: str
    name: str
    opted_out: bool
    last_whatsapp_at: datetime | None


class CaseRow(NamedTuple):
    """A case as similarity and ranking see it (a follow-up target or a master candidate)."""

    id: int
    tracking_id: str
    contact_id: int | None
    description: str
    category: str | None
    kecamatan_code: str | None
    desa_code: str | None
    received_at: datetime


_CASE_COLUMNS = (
    Complaint.id,
    Complaint.tracking_id,
    Complaint.contact_id,
    Complaint.description,
    Complaint.category,
    Complaint.kecamatan_code,
    Complaint.desa_code,
    Complaint.received_at,
)


def contacts_by_urn(session: Session, urns: Collection[str]) -> dict[str, KnownContact]:
    """The contacts the channels proved for ``urns`` (those that have one)."""
    if not urns:
        return {}
    rows = session.execute(
        select(
            Contact.id, Contact.urn, Contact.name, Contact.opted_out, Contact.last_whatsapp_at
        ).where(Contact.urn.in_(sorted(urns)))
    )
    return {row.urn: KnownContact(*row) for row in rows}


def inbound_times(
    session: Session, contact_ids: Collection[int], channels: Sequence[str], since: datetime
) -> dict[int, list[datetime]]:
    """When each contact's messages on ``channels`` after ``since`` were received (the rate
    limit counts them per record, from its own window)."""
    if not contact_ids or not channels:
        return {}
    rows = session.execute(
        select(Message.contact_id, Message.received_at).where(
            Message.contact_id.in_(sorted(contact_ids)),
            Message.direction == Direction.IN,
            Message.channel.in_(list(channels)),
            Message.received_at > since,
        )
    )
    found: dict[int, list[datetime]] = {}
    for contact_id, received_at in rows:
        found.setdefault(contact_id, []).append(received_at)
    return found


class HeldRow(NamedTuple):
    contact_urn: str
    channel: str
    reason: str
    resolved: bool
    created_at: datetime


def held_rows(session: Session, urns: Collection[str], since: datetime) -> list[HeldRow]:
    """The senders' records held since ``since``: the rate limit counts them, and a photo
    still waiting for its words joins the sender's next text."""
    if not urns:
        return []
    rows = session.execute(
        select(
            Quarantine.contact_urn,
            Quarantine.channel,
            Quarantine.reason,
            Quarantine.resolved_at.is_not(None),
            Quarantine.created_at,
        ).where(Quarantine.contact_urn.in_(sorted(urns)), Quarantine.created_at >= since)
    )
    return [HeldRow(*row) for row in rows]


AWAITING_TEXT = HoldReason.AWAITING_TEXT.value


def stored_inbound(session: Session, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (channel, external id) pairs are stored inbound messages already."""
    if not keys:
        return set()
    rows = session.execute(
        select(Message.channel, Message.external_id).where(
            Message.direction == Direction.IN,
            tuple_(Message.channel, Message.external_id).in_(sorted(keys)),
        )
    )
    return {(channel, external_id) for channel, external_id in rows}


def taken_keys(
    session: Session, idempotency_keys: Collection[str], tracking_ids: Collection[str]
) -> tuple[set[str], set[str]]:
    """Which idempotency keys have a case, and which tracking ids a case holds."""
    if not idempotency_keys and not tracking_ids:
        return set(), set()
    rows = session.execute(
        select(Complaint.idempotency_key, Complaint.tracking_id).where(
            Complaint.idempotency_key.in_(sorted(idempotency_keys))
            | Complaint.tracking_id.in_(sorted(tracking_ids))
        )
    )
    keys, ids = set(), set()
    for key, tracking_id in rows:
        keys.add(key)
        ids.add(tracking_id)
    return keys, ids


def open_cases_of_contacts(
    session: Session, contact_ids: Collection[int], start: datetime, end: datetime
) -> dict[int, list[CaseRow]]:
    """The contacts' open cases received from ``start`` to ``end``, newest first."""
    if not contact_ids:
        return {}
    rows = session.execute(
        select(*_CASE_COLUMNS)
        .where(
            Complaint.contact_id.in_(sorted(contact_ids)),
            Complaint.status.in_(list(OPEN_STATUSES)),
            Complaint.received_at >= start,
            Complaint.received_at <= end,
        )
        .order_by(Complaint.received_at.desc())
    )
    found: dict[int, list[CaseRow]] = {}
    for row in rows:
        found.setdefault(row.contact_id, []).append(CaseRow(*row))
    return found


def open_cases_in_places(
    session: Session, places: Collection[tuple[str, str]], start: datetime, end: datetime
) -> list[CaseRow]:
    """Open cases of these (category, kecamatan) pairs received from ``start`` to ``end``,
    newest first: every new case's master candidates, for the batch at once."""
    if not places:
        return []
    rows = session.execute(
        select(*_CASE_COLUMNS)
        .where(
            tuple_(Complaint.category, Complaint.kecamatan_code).in_(sorted(places)),
            Complaint.status.in_(list(OPEN_STATUSES)),
            Complaint.received_at >= start,
            Complaint.received_at <= end,
        )
        .order_by(Complaint.received_at.desc())
    )
    return [CaseRow(*row) for row in rows]


def local_holidays(session: Session) -> frozenset[date]:
    """The district's own closed days (deadlines skip them)."""
    return frozenset(session.scalars(select(LocalHoliday.day)))
