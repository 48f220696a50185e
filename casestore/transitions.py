"""What one lifecycle action needs checked and changed beyond its status: the checks and
effects ``RULES`` (casestore/lifecycle.py) names, and the request they read.

A check returns a refusal (a TransitionError with its code, not raised), or None; an effect
changes the case (its duplicate link, its privacy) and fills the event's data. Nothing here
commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.models import Complaint, DuplicateLink, Unit
from casestore.refusals import Refusal, TransitionError
from casestore.vocabulary import OPEN_STATUSES, PRIVACY_LEVELS, Action, LinkState, Status


@dataclass(frozen=True)
class Request:
    """One action as asked, with what the rules' checks and effects need."""

    session: Session
    complaint: Complaint
    action: Action
    actor: str
    now: datetime
    tz: ZoneInfo
    note: str
    message: str
    reason: str | None
    unit: str | None
    master: Complaint | None
    privacy: str | None


Check = Callable[[Request], TransitionError | None]  # a refusal, or None
Guard = Callable[[Complaint, datetime], TransitionError | None]  # the same, from the case alone
Effect = Callable[[Request, dict], None]  # changes beyond status/owner; fills event data


def coordinator(session: Session) -> str:
    code = session.scalar(select(Unit.code).where(Unit.kind == "coordinator", Unit.active))
    if code is None:
        raise TransitionError(Refusal.NO_COORDINATOR)
    return code


def unit_exists(req: Request) -> TransitionError | None:
    unit = req.session.get(Unit, req.unit)
    if unit is None or not unit.active:
        return TransitionError(Refusal.UNKNOWN_UNIT, unit=req.unit)
    if req.complaint.status == Status.DISPATCHED and req.unit == req.complaint.owner_unit:
        return TransitionError(Refusal.ALREADY_DISPATCHED)
    return None


def not_the_coordinator(complaint: Complaint, now: datetime) -> TransitionError | None:
    if complaint.unit is not None and complaint.unit.kind == "coordinator":
        return TransitionError(Refusal.HELD_BY_COORDINATOR)
    return None


def bounce_count(complaint: Complaint) -> int:
    """How many times units sent this case back as "bukan wewenang"."""
    return sum(1 for event in complaint.events if event.kind == Action.BOUNCE)


def within_bounce_limit(complaint: Complaint, max_bounces: int | None) -> TransitionError | None:
    """Past ``max_bounces`` (SATUPINTU_MAX_BOUNCES; None: no limit) units may bounce no more:
    the coordinator decides where the case belongs (issue 19)."""
    if max_bounces is None:
        return None
    count = bounce_count(complaint)
    if count >= max_bounces:
        return TransitionError(Refusal.BOUNCE_LIMIT, count=count, limit=max_bounces)
    return None


def within_answer_window(complaint: Complaint, now: datetime) -> TransitionError | None:
    if complaint.due_at is not None and now > complaint.due_at:
        return TransitionError(Refusal.ANSWER_WINDOW_OVER)
    return None


def valid_master(req: Request) -> TransitionError | None:
    master = req.master
    if master is None:
        return None
    if master.id == req.complaint.id:
        return TransitionError(Refusal.SELF_DUPLICATE)
    if master.status not in OPEN_STATUSES:
        return TransitionError(Refusal.MASTER_NOT_OPEN)
    return None


def valid_privacy(req: Request) -> TransitionError | None:
    if req.privacy not in PRIVACY_LEVELS:
        return TransitionError(Refusal.BAD_PRIVACY, levels=PRIVACY_LEVELS)
    if req.privacy == req.complaint.privacy:
        return TransitionError(Refusal.SAME_PRIVACY)
    return None


def link_to_master(req: Request, data: dict) -> None:
    complaint, master = req.complaint, req.master
    assert master is not None
    link = req.session.scalar(
        select(DuplicateLink).where(
            DuplicateLink.complaint_id == complaint.id, DuplicateLink.master_id == master.id
        )
    )
    if link is None:
        link = DuplicateLink(complaint_id=complaint.id, master_id=master.id, score=0.0)
        req.session.add(link)
    link.state, link.decided_by, link.decided_at = LinkState.CONFIRMED, req.actor, req.now
    complaint.master_id = master.id
    # Followers of this case follow its new master: a chain of duplicates would hide updates.
    for follower in req.session.scalars(
        select(Complaint).where(Complaint.master_id == complaint.id)
    ):
        follower.master_id = master.id
        data.setdefault("followers_moved", []).append(follower.tracking_id)
    data["master"] = master.tracking_id


def unlink_from_master(req: Request, data: dict) -> None:
    complaint = req.complaint
    link = req.session.scalar(
        select(DuplicateLink).where(
            DuplicateLink.complaint_id == complaint.id,
            DuplicateLink.master_id == complaint.master_id,
        )
    )
    if link is not None:
        link.state, link.decided_by, link.decided_at = LinkState.REJECTED, req.actor, req.now
    master = req.session.get(Complaint, complaint.master_id) if complaint.master_id else None
    data["master"] = master.tracking_id if master is not None else None
    complaint.master_id = None


def set_privacy(req: Request, data: dict) -> None:
    data["privacy"] = {"from": req.complaint.privacy, "to": req.privacy}
    req.complaint.privacy = req.privacy or req.complaint.privacy
