"""New cases set-wise: a batch of new complaints written with one INSERT per table.

The drain job stores a batch of records in one transaction; most are new complaints that
need nothing but rows of their own (dispatcher/intake/batch.py decides which). For those,
each question is one query for the whole batch (casestore/batch_facts.py) and each table
gets one multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (``write_new_cases``): the same
rows, in the same order and so with the same ids, as the per-record path
(casestore/complaints.py through the ORM) writes one statement at a time. Functions take
the caller's session and never commit.

A row that an insert skips means a concurrent transaction wrote the same key first: the
writer raises ``LostRace`` and the caller stores those records the per-record way (which
knows what to do with a winner's row) after rolling back to its savepoint.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from casestore.clock import Clock, deadline, hard_limit
from casestore.deadlines import sla_policy
from casestore.models import (
    Complaint,
    Contact,
    DuplicateLink,
    Message,
    StatusEvent,
    utcnow,
)
from casestore.vocabulary import (
    DeliveryStatus,
    Direction,
    EventKind,
    LinkState,
    Status,
)

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class LostRace(Exception):
    """A concurrent transaction wrote one of the batch's keys first."""


def supports_bulk(session: Session) -> bool:
    """Whether this database takes ``INSERT ... ON CONFLICT DO NOTHING RETURNING``."""
    return session.get_bind().dialect.name in _INSERTS


@dataclass(frozen=True)
class Clocks:
    """A new case's deadlines under the SLA policy version in force on its day of receipt."""

    sla_policy_version: str
    hard_due_at: datetime
    due_at: datetime | None
    warn_at: datetime | None


@functools.lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def new_case_clocks(
    received_at: datetime,
    category: str | None,
    owner_unit: str,
    tz: str,
    closed: frozenset[date],
) -> Clocks:
    """What casestore.lifecycle.start_clocks sets on a case received at ``received_at``."""
    version = sla_policy().version_on(received_at.astimezone(_zone(tz)).date())
    terms = version.terms_for(category, owner_unit)
    hard = hard_limit(received_at, tz, terms, closed)
    due = deadline(
        Clock.VERIFY,
        now=received_at,
        received_at=received_at,
        hard_due_at=hard,
        tz=tz,
        terms=terms,
        closed=closed,
    )
    return Clocks(version.id, hard, due.due_at, due.warn_at)


@dataclass
class NewContact:
    urn: str
    name: str
    language: str
    last_whatsapp_at: datetime | None


@dataclass
class ContactChange:
    """What a message changes on a known contact: a name where it had none, WhatsApp's window."""

    id: int
    name: str
    last_whatsapp_at: datetime | None


@dataclass
class Reply:
    """The acknowledgement queued for a new case's sender."""

    dedupe_key: str
    body: str
    reply_to: str
    intent: str


@dataclass
class Suggestion:
    """A suggested master: a stored case (``master_id``) or one earlier in the batch
    (``master_key``, its idempotency key)."""

    master_tracking_id: str
    score: float
    note: str
    master_id: int | None = None
    master_key: str | None = None


@dataclass
class NewCase:
    """One new complaint as the per-record path writes it (casestore/complaints.py: open_case,
    claim_inbound, queue_reply; casestore/duplicates.py: suggest_duplicate)."""

    idempotency_key: str
    tracking_id: str
    channel: str
    provider: str
    external_id: str
    contact_urn: str  # "" for none; the contact is known (``contact_id``) or new
    contact_id: int | None
    owner_unit: str
    values: dict[str, Any]  # the complaints row's own columns (see complaint_values)
    clocks: Clocks
    routed: dict[str, Any]  # reason, note, data of the ``routed`` event
    inbound: dict[str, Any]  # intent, body, reply_to, received_at, raw
    reply: Reply | None = None
    suggestion: Suggestion | None = None
    # Filled by write_new_cases.
    id: int | None = field(default=None)
    outbound_id: int | None = field(default=None)


@functools.cache
def _insert(dialect: str, table: Table, key: tuple[str, ...], returning: tuple[str, ...]) -> Any:
    # Built once per dialect and table, like casestore/claims.py's: SQLAlchemy caches the
    # compiled form, and each batch only binds its rows (insertmanyvalues: one statement).
    statement = _INSERTS[dialect](table)
    statement = statement.on_conflict_do_nothing(index_elements=list(key) or None)
    return statement.returning(*(table.c[name] for name in returning))


def _insert_rows(
    session: Session,
    table: Table,
    key: tuple[str, ...],
    returning: tuple[str, ...],
    rows: list[dict[str, Any]],
) -> list[Any]:
    if not rows:
        return []
    statement = _insert(session.get_bind().dialect.name, table, key, returning)
    found = list(session.execute(statement, rows))
    if len(found) != len(rows):
        raise LostRace(table.name)
    return found


def write_new_cases(
    session: Session,
    cases: Sequence[NewCase],
    new_contacts: Sequence[NewContact],
    contact_changes: Iterable[ContactChange],
) -> None:
    """Write the contacts, cases, events, duplicate links and messages of ``cases`` (in
    this order of cases, so the ids are those the per-record path gives them); fills
    ``id`` and ``outbound_id``. Raises LostRace when a concurrent transaction wrote one of
    the keys first (roll back to a savepoint then)."""
    now = utcnow()
    contact_ids = _write_contacts(session, new_contacts, now)
    for change in contact_changes:
        _change_contact(session, change)
    by_key = {case.idempotency_key: case for case in cases}
    for case in cases:
        if case.contact_id is None and case.contact_urn:
            case.contact_id = contact_ids[case.contact_urn]
    rows = [_complaint_row(case, now) for case in cases]
    for row in _insert_rows(
        session, Complaint.__table__, ("idempotency_key",), ("id", "idempotency_key"), rows
    ):
        by_key[row.idempotency_key].id = row.id
    _insert_rows(session, StatusEvent.__table__, (), ("id",), _event_rows(cases, by_key, now))
    links = [
        {
            "complaint_id": case.id,
            "master_id": _master_id(case.suggestion, by_key),
            "state": LinkState.SUGGESTED,
            "score": round(case.suggestion.score, 3),
            "decided_by": None,
            "decided_at": None,
            "created_at": now,
        }
        for case in cases
        if case.suggestion is not None
    ]
    _insert_rows(session, DuplicateLink.__table__, ("complaint_id", "master_id"), ("id",), links)
    messages = []
    for case in cases:
        messages.append(_inbound_row(case, now))
        if case.reply is not None:
            messages.append(_outbound_row(case, now))
    for row in _insert_rows(
        session, Message.__table__, (), ("id", "direction", "dedupe_key"), messages
    ):
        if row.direction == Direction.OUT:
            by_key[row.dedupe_key.partition(":")[2]].outbound_id = row.id


def _write_contacts(
    session: Session, new_contacts: Sequence[NewContact], now: datetime
) -> dict[str, int]:
    rows = [
        {
            "urn": c.urn,
            "name": c.name,
            "language": c.language,
            "opted_out": False,
            "opted_out_at": None,
            "last_whatsapp_at": c.last_whatsapp_at,
            "created_at": now,
        }
        for c in new_contacts
    ]
    found = _insert_rows(session, Contact.__table__, ("urn",), ("id", "urn"), rows)
    return {row.urn: row.id for row in found}


def _change_contact(session: Session, change: ContactChange) -> None:
    values: dict[str, Any] = {}
    if change.name:
        values["name"] = change.name
    if change.last_whatsapp_at is not None:
        values["last_whatsapp_at"] = change.last_whatsapp_at
    if values:
        session.execute(
            update(Contact.__table__).where(Contact.__table__.c.id == change.id).values(values)
        )


def complaint_values(
    record: Any, routed_category: str | None, citizen_secret_hash: str | None
) -> dict[str, Any]:
    """The complaints columns a record fills (``casestore.complaints.open_complaint``)."""
    return {
        "citizen_secret_hash": citizen_secret_hash,
        "privacy": record.privacy.value,
        "category": routed_category,
        "kecamatan_code": record.kecamatan_code,
        "desa_code": record.desa_code,
        "latitude": record.latitude,
        "longitude": record.longitude,
        "description": record.text,
        "language": record.language,
        "reply_to": record.reply_to,
        "update_address": record.update_address,
        "reporter_name": record.contact_name,
        "received_at": record.received_at,
    }


def _complaint_row(case: NewCase, now: datetime) -> dict[str, Any]:
    return {
        "tracking_id": case.tracking_id,
        "idempotency_key": case.idempotency_key,
        "channel": case.channel,
        "contact_id": case.contact_id,
        "owner_unit": case.owner_unit,
        "status": Status.RECEIVED,
        "master_id": None,
        "created_at": now,
        "updated_at": now,
        "due_at": case.clocks.due_at,
        "hard_due_at": case.clocks.hard_due_at,
        "warn_at": case.clocks.warn_at,
        "escalated_at": None,
        "sla_policy_version": case.clocks.sla_policy_version,
        **case.values,
    }


def _event(complaint_id: int, kind: EventKind, created_at: datetime, **values: Any) -> dict:
    row = {
        "complaint_id": complaint_id,
        "kind": kind,
        "from_status": None,
        "to_status": None,
        "from_unit": None,
        "to_unit": None,
        "actor": "system",
        "reason": None,
        "note": "",
        "message_to_reporter": "",
        "public": True,
        "data": {},
        "created_at": created_at,
    }
    row.update(values)
    return row


def _event_rows(cases: Sequence[NewCase], by_key: dict[str, NewCase], now: datetime) -> list:
    rows = []
    for case in cases:
        assert case.id is not None
        rows.append(
            _event(
                case.id,
                EventKind.RECEIVED,
                now,
                from_status=Status.RECEIVED,
                to_status=Status.RECEIVED,
            )
        )
        rows.append(_event(case.id, EventKind.ROUTED, now, public=False, **case.routed))
        if case.suggestion is not None:
            rows.append(
                _event(
                    case.id,
                    EventKind.DUPLICATE_SUGGESTED,
                    case.values["received_at"],  # suggest_duplicate's ``now``: the record's
                    public=False,
                    note=case.suggestion.note,
                    data={
                        "master": case.suggestion.master_tracking_id,
                        "score": round(case.suggestion.score, 3),
                    },
                )
            )
    return rows


def _master_id(suggestion: Suggestion, by_key: dict[str, NewCase]) -> int:
    if suggestion.master_id is not None:
        return suggestion.master_id
    master = by_key[suggestion.master_key or ""]
    assert master.id is not None
    return master.id


def _message(case: NewCase, now: datetime, **values: Any) -> dict[str, Any]:
    row = {
        "channel": case.channel,
        "provider": "",
        "external_id": None,
        "dedupe_key": None,
        "complaint_id": case.id,
        "contact_id": case.contact_id,
        "intent": "",
        "body": "",
        "media": [],
        "reply_to": "",
        "error_code": None,
        "attempts": 0,
        "received_at": None,
        "created_at": now,
        "updated_at": now,
        "raw": {},
        "address": None,
    }
    row.update(values)
    return row


def _inbound_row(case: NewCase, now: datetime) -> dict[str, Any]:
    return _message(
        case,
        now,
        direction=Direction.IN,
        provider=case.provider,
        external_id=case.external_id,
        status=DeliveryStatus.RECEIVED,
        **case.inbound,
    )


def _outbound_row(case: NewCase, now: datetime) -> dict[str, Any]:
    reply = case.reply
    assert reply is not None
    return _message(
        case,
        now,
        direction=Direction.OUT,
        dedupe_key=reply.dedupe_key,
        body=reply.body,
        reply_to=reply.reply_to,
        intent=reply.intent,
        status=DeliveryStatus.QUEUED,
    )
