"""Possible duplicates: suggested at intake, confirmed or rejected by an operator.

A suggestion is a ``duplicate_links`` row in state ``suggested`` and an internal event on the
newer case saying which master it may repeat and how similar they read. Confirming applies
the lifecycle's ``mark_duplicate`` (the case becomes a follower: its citizen gets the
master's updates); rejecting keeps the row as ``rejected`` so the same pair is never asked
again. Functions take the caller's session and never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.claims import insert_unless_exists
from casestore.clock import DEFAULT_TIMEZONE
from casestore.lifecycle import (
    OPEN_STATUSES,
    Action,
    Refusal,
    Status,
    TransitionError,
    apply_action,
)
from casestore.models import Complaint, DuplicateLink, StatusEvent
from casestore.vocabulary import EventKind, LinkState


def suggest_duplicate(
    session: Session,
    complaint: Complaint,
    master: Complaint,
    score: float,
    *,
    now: datetime,
    note: str = "",
) -> DuplicateLink | None:
    """Record that ``complaint`` may repeat ``master``; None if that pair was seen before.

    ``note`` is what the operator reads on the event (the dispatcher writes it).
    """
    if complaint.id is None:
        session.flush()  # the link refers to the new case by id
    link = insert_unless_exists(
        session,
        DuplicateLink,
        ["complaint_id", "master_id"],
        {
            "complaint_id": complaint.id,
            "master_id": master.id,
            "state": LinkState.SUGGESTED,
            "score": round(score, 3),
        },
    )
    if link is None:
        return None
    session.add(
        StatusEvent(
            complaint=complaint,
            kind=EventKind.DUPLICATE_SUGGESTED,
            actor="system",
            note=note,
            public=False,
            data={"master": master.tracking_id, "score": round(score, 3)},
            created_at=now,
        )
    )
    return link


def _suggestion(session: Session, link: DuplicateLink | int) -> DuplicateLink:
    # Locked on PostgreSQL: two operators deciding at once decide once.
    link_id = link if isinstance(link, int) else link.id
    found = session.get(DuplicateLink, link_id, with_for_update=True)
    if found is None:
        raise TransitionError(Refusal.SUGGESTION_NOT_FOUND)
    if found.state != LinkState.SUGGESTED:
        raise TransitionError(Refusal.SUGGESTION_DECIDED, state=found.state)
    return found


def confirm_duplicate(
    session: Session,
    link: DuplicateLink | int,
    *,
    actor: str,
    now: datetime,
    note: str = "",
    tz: str = DEFAULT_TIMEZONE,
) -> StatusEvent:
    """The operator agrees: the case becomes a duplicate of the master (mark_duplicate)."""
    found = _suggestion(session, link)
    complaint = session.get(Complaint, found.complaint_id)
    master = session.get(Complaint, found.master_id)
    assert complaint is not None and master is not None  # foreign keys
    return apply_action(
        session,
        complaint,
        Action.MARK_DUPLICATE,
        actor=actor,
        now=now,
        note=note,
        master=master,
        tz=tz,
    )


def reject_duplicate(
    session: Session, link: DuplicateLink | int, *, actor: str, now: datetime, note: str = ""
) -> StatusEvent:
    """The operator disagrees: both cases go on separately, and the pair is not asked again."""
    if not actor or not actor.strip():
        raise TransitionError(Refusal.NO_ACTOR)
    found = _suggestion(session, link)
    found.state, found.decided_by, found.decided_at = LinkState.REJECTED, actor.strip(), now
    complaint = session.get(Complaint, found.complaint_id)
    master = session.get(Complaint, found.master_id)
    assert complaint is not None and master is not None
    event = StatusEvent(
        complaint=complaint,
        kind=EventKind.DUPLICATE_REJECTED,
        actor=actor.strip(),
        note=note.strip(),
        public=False,
        data={"master": master.tracking_id},
        created_at=now,
    )
    session.add(event)
    session.flush()
    return event


def suggestion_for(session: Session, complaint: Complaint, link_id: int) -> DuplicateLink | None:
    """The duplicate link ``link_id`` if ``complaint`` is its newer case (else None)."""
    link = session.get(DuplicateLink, link_id)
    return link if link is not None and link.complaint_id == complaint.id else None


def pending_suggestions(
    session: Session, unit: str | None = None, limit: int = 100
) -> list[DuplicateLink]:
    """Suggestions waiting for an operator, oldest first (one unit's cases with ``unit``)."""
    query = (
        select(DuplicateLink)
        .join(Complaint, Complaint.id == DuplicateLink.complaint_id)
        .where(DuplicateLink.state == LinkState.SUGGESTED)
        .order_by(DuplicateLink.id)
        .limit(limit)
    )
    if unit is not None:
        query = query.where(Complaint.owner_unit == unit)
    return list(session.scalars(query))


def followers(session: Session, master: Complaint) -> list[Complaint]:
    """The confirmed duplicates of ``master``: their citizens get the master's updates."""
    return list(
        session.scalars(
            select(Complaint)
            .where(Complaint.master_id == master.id, Complaint.status == Status.DUPLICATE)
            .order_by(Complaint.id)
        )
    )


class CaseText(NamedTuple):
    """What a case's likeness to another is measured on, and what ranks two equals."""

    id: int
    description: str
    category: str | None
    kecamatan_code: str | None
    desa_code: str | None
    received_at: datetime


def open_cases_of_contact(
    session: Session, contact_id: int, around: datetime, window: timedelta, limit: int
) -> list[Complaint]:
    """The contact's open cases received within ``window`` of ``around``, newest first."""
    return list(
        session.scalars(
            select(Complaint)
            .where(
                Complaint.contact_id == contact_id,
                Complaint.status.in_(list(OPEN_STATUSES)),
                Complaint.received_at >= around - window,
                Complaint.received_at <= around + window,
            )
            .order_by(Complaint.received_at.desc())
            .limit(limit)
        )
    )


def master_candidates(
    session: Session,
    complaint: Complaint,
    window: timedelta,
    limit: int,
) -> list[CaseText]:
    """Open cases of the same category and kecamatan from ``window`` before ``complaint``,
    newest first, that an operator has not already decided about as its master.

    Columns, not cases: up to ``limit`` rows are compared for every new case in a busy
    place, and only the best one is loaded as a case. The contact's own cases are left out
    (a repeat of those joins them); a web or API case has no contact, so every case is
    compared with it.
    """
    query = (
        select(
            Complaint.id,
            Complaint.description,
            Complaint.category,
            Complaint.kecamatan_code,
            Complaint.desa_code,
            Complaint.received_at,
        )
        .where(
            Complaint.category == complaint.category,
            Complaint.kecamatan_code == complaint.kecamatan_code,
            Complaint.id != complaint.id,
            Complaint.status.in_(list(OPEN_STATUSES)),
            Complaint.received_at >= complaint.received_at - window,
            Complaint.received_at <= complaint.received_at,
        )
        .order_by(Complaint.received_at.desc())
        .limit(limit)
    )
    if complaint.contact_id is not None:
        query = query.where(
            (Complaint.contact_id != complaint.contact_id) | Complaint.contact_id.is_(None)
        )
    decided = select(DuplicateLink.master_id).where(DuplicateLink.complaint_id == complaint.id)
    query = query.where(Complaint.id.not_in(decided))
    return [CaseText(*row) for row in session.execute(query)]
