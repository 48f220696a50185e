"""Cases by their deadlines: what the SLA sweep closes, escalates and warns, and the
coordinator's overdue list. Functions take the caller's session and never commit.

Rows the sweep takes are locked (SKIP LOCKED on PostgreSQL), so two sweeps at once share
the work instead of doing it twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.lifecycle import WATCHED_STATUSES
from casestore.models import Complaint, StatusEvent
from casestore.vocabulary import EventKind, Status


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
