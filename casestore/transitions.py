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

from casestore import deadlines
from casestore.clock import add_working_days, working_days_between
from casestore.models import Complaint, DuplicateLink, StatusEvent, Unit
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


# --- waiting for the reporter (issue 20) -------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def last_ask(session: Session, complaint: Complaint) -> StatusEvent | None:
    """The event that put the case to wait for its reporter (the latest ``ask_reporter``)."""
    return session.scalar(
        select(StatusEvent)
        .where(
            StatusEvent.complaint_id == complaint.id,
            StatusEvent.kind == Action.ASK_REPORTER.value,
        )
        .order_by(StatusEvent.id.desc())
        .limit(1)
    )


def status_before_wait(session: Session, complaint: Complaint) -> Status:
    ask = last_ask(session, complaint)
    return Status(ask.from_status) if ask is not None and ask.from_status else Status.IN_PROGRESS


def pause_clock(req: Request, data: dict) -> None:
    """Asked for information: keep the owner's deadlines on the event (the wait's own
    deadline replaces them on the case) and whether the case's policy pauses them."""
    complaint = req.complaint
    terms, _closed = deadlines.clock_terms(complaint, req.tz)
    data["paused"] = terms.pause_while_waiting
    data["before"] = {
        "due_at": _iso(complaint.due_at),
        "warn_at": _iso(complaint.warn_at),
        "hard_due_at": _iso(complaint.hard_due_at),
        "escalated_at": _iso(complaint.escalated_at),
    }


def resume_clock(req: Request, data: dict) -> None:
    """Back to the owner: its deadlines move by the working days the case waited (when the
    policy paused them; the wait counts up to its own end at most), summed on the case."""
    complaint, now = req.complaint, req.now
    ask = last_ask(req.session, complaint)
    before = (ask.data or {}).get("before", {}) if ask is not None else {}
    terms, closed = deadlines.clock_terms(complaint, req.tz)
    wait_end = complaint.due_at
    expired = wait_end is not None and now >= wait_end
    end = wait_end if expired else now
    paused = 0
    if ask is not None and (ask.data or {}).get("paused"):
        paused = max(0, working_days_between(ask.created_at, end, req.tz, closed))

    def moved(text: str | None) -> datetime | None:
        moment = _moment(text)
        return add_working_days(moment, paused, req.tz, closed) if moment else None

    complaint.due_at = moved(before.get("due_at"))
    complaint.hard_due_at = moved(before.get("hard_due_at")) or complaint.hard_due_at
    due = complaint.due_at
    if due is not None and due > now:
        complaint.warn_at = max(add_working_days(due, -terms.warn_days_before, req.tz, closed), now)
        complaint.escalated_at = None
    else:  # late already: no warning; escalated once, as before the wait
        complaint.warn_at = None
        complaint.escalated_at = _moment(before.get("escalated_at"))
    complaint.paused_working_days = (complaint.paused_working_days or 0) + paused
    data.update(
        paused_days=paused,
        expired=expired,
        clock="resumed",
        due_at=_iso(complaint.due_at),
        hard_due_at=_iso(complaint.hard_due_at),
    )
