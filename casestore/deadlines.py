"""Cases by their deadlines: what the SLA sweep closes, escalates and warns, and the
coordinator's overdue list. Functions take the caller's session and never commit.

Rows the sweep takes are locked (SKIP LOCKED on PostgreSQL), so two sweeps at once share
the work instead of doing it twice.

A case waiting for its reporter is not watched (no warning, no escalation): its ``due_at`` is
the end of the wait, which ``expired_waits`` finds.

Also what a case's clocks run on (issue 20): the SLA policy version it was stamped with when
received (``stamp_policy``), that version's terms for its category and owning unit, and the
district's local holidays (``clock_terms``). The process's policy is the one the runtime
installed (``install_policy``, from SATUPINTU_SLA_POLICY_FILE), else the shipped file.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from casestore.clock import Clock, Deadline, deadline
from casestore.models import Complaint, LocalHoliday, StatusEvent
from casestore.vocabulary import WATCHED_STATUSES, EventKind, Status
from config.sla_policy import PolicyVersion, SlaPolicy, Terms, load_sla_policy

_installed: SlaPolicy | None = None


def install_policy(policy: SlaPolicy | None) -> None:
    """Make ``policy`` the one this process's clocks use (None: the shipped file again)."""
    global _installed
    _installed = policy


def sla_policy() -> SlaPolicy:
    return _installed or load_sla_policy()


def _received_day(complaint: Complaint, tz: str | ZoneInfo) -> date:
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    return complaint.received_at.astimezone(zone).date()


def stamp_policy(complaint: Complaint, tz: str | ZoneInfo) -> tuple[Terms, frozenset[date]]:
    """Stamp a new case with the policy version in force on its local day of receipt; what
    its clocks run on (as ``clock_terms``)."""
    complaint.sla_policy_version = sla_policy().version_on(_received_day(complaint, tz)).id
    return clock_terms(complaint, tz)


def case_policy(complaint: Complaint, tz: str | ZoneInfo) -> PolicyVersion:
    """The version the case was stamped with; a case from before versions (or whose version
    left the file) runs on the one in force on its day of receipt."""
    policy = sla_policy()
    return policy.version(complaint.sla_policy_version) or policy.version_on(
        _received_day(complaint, tz)
    )


def clock_terms(complaint: Complaint, tz: str | ZoneInfo) -> tuple[Terms, frozenset[date]]:
    """The terms the case's clocks run on now (its version, its category, its owner) and the
    local holidays they skip."""
    terms = case_policy(complaint, tz).terms_for(complaint.category, complaint.owner_unit)
    session = object_session(complaint)
    if session is None:
        return terms, frozenset()
    with session.no_autoflush:  # a case being opened is flushed with its events, not here
        closed = frozenset(session.scalars(select(LocalHoliday.day)))
    return terms, closed


def restart(
    complaint: Complaint,
    clock: Clock,
    now: datetime,
    tz: str | ZoneInfo,
    inputs: tuple[Terms, frozenset[date]] | None = None,
) -> Deadline:
    """The deadline ``clock`` gives the case from ``now`` under its own terms (``inputs``: the
    case's ``clock_terms`` when the caller has them already)."""
    terms, closed = inputs or clock_terms(complaint, tz)
    return deadline(
        clock,
        now=now,
        received_at=complaint.received_at,
        hard_due_at=complaint.hard_due_at,
        tz=tz,
        terms=terms,
        closed=closed,
    )


def _due(session: Session, *where: Any, limit: int) -> list[Complaint]:
    query = (
        select(Complaint)
        .where(*where)
        .order_by(Complaint.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def unanswered_resolutions(session: Session, now: datetime, limit: int) -> list[Complaint]:
    """Resolved cases whose citizen's answer window has passed (to be closed)."""
    return _due(session, Complaint.status == Status.RESOLVED, Complaint.due_at <= now, limit=limit)


def expired_waits(session: Session, now: datetime, limit: int) -> list[Complaint]:
    """Cases waiting for their reporter whose longest wait has passed (to go on by policy)."""
    return _due(
        session, Complaint.status == Status.WAITING_REPORTER, Complaint.due_at <= now, limit=limit
    )


def past_deadline(session: Session, now: datetime, limit: int) -> list[Complaint]:
    """Open cases past their deadline that were not escalated for it yet."""
    return _due(
        session,
        Complaint.status.in_(list(WATCHED_STATUSES)),
        Complaint.due_at <= now,
        Complaint.escalated_at.is_(None),
        limit=limit,
    )


def due_for_warning(session: Session, now: datetime, limit: int) -> list[Complaint]:
    """Open cases whose owner is to be warned of the coming deadline now."""
    return _due(
        session,
        Complaint.status.in_(list(WATCHED_STATUSES)),
        Complaint.warn_at <= now,
        limit=limit,
    )


def _mark(
    session: Session, complaint: Complaint, kind: EventKind, now: datetime, note: str
) -> None:
    """An internal event for the owner and the coordinator; the citizen is not told."""
    session.add(
        StatusEvent(
            complaint=complaint,
            kind=kind,
            actor="system",
            note=note,
            public=False,
            data={
                "due_at": complaint.due_at.isoformat() if complaint.due_at else None,
                "owner": complaint.owner_unit,
                "status": complaint.status,
            },
            created_at=now,
        )
    )


def mark_escalated(session: Session, complaint: Complaint, now: datetime, note: str) -> None:
    """Past its deadline: an ``escalated`` event, once per deadline (too late to warn)."""
    _mark(session, complaint, EventKind.ESCALATED, now, note)
    complaint.escalated_at, complaint.warn_at = now, None


def mark_warned(session: Session, complaint: Complaint, now: datetime, note: str) -> None:
    """One working day left: one ``sla_warning`` event."""
    _mark(session, complaint, EventKind.SLA_WARNING, now, note)
    complaint.warn_at = None


def overdue_complaints(
    session: Session, now: datetime, unit: str | None = None, limit: int = 500
) -> list[Complaint]:
    """Open cases past their deadline, oldest deadline first: the coordinator's overdue list
    (all units) or one unit's (``unit``)."""
    query = (
        select(Complaint)
        .where(Complaint.status.in_(list(WATCHED_STATUSES)), Complaint.due_at < now)
        .order_by(Complaint.due_at, Complaint.id)
        .limit(limit)
    )
    if unit is not None:
        query = query.where(Complaint.owner_unit == unit)
    return list(session.scalars(query))
