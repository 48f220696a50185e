"""What one lifecycle action needs checked and changed beyond its status: the checks and
effects ``RULES`` (casestore/lifecycle.py) names, and the request they read.

A check returns an Indonesian refusal for the operator, or None; an effect changes the case
(its duplicate link, its privacy) and fills the event's data. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.models import Complaint, DuplicateLink, Unit
from casestore.vocabulary import OPEN_STATUSES, PRIVACY_LEVELS, Action, LinkState, Status


class Refusal(StrEnum):
    """Why an action was refused, for a caller that answers differently per reason; the
    message (Indonesian, for the operator) says it in words."""

    REFUSED = "refused"  # anything else (a check of a rule, a form field)
    UNKNOWN_ACTION = "unknown_action"
    NO_ACTOR = "no_actor"
    NAIVE_TIME = "naive_time"
    NOT_FROM_STATUS = "not_from_status"  # the case's status does not allow the action
    NOT_NOW = "not_now"  # a guard: the case's state rules it out (past the answer window)
    MISSING_FIELD = "missing_field"
    UNEXPECTED_FIELD = "unexpected_field"
    BAD_REASON = "bad_reason"
    NO_COORDINATOR = "no_coordinator"


class TransitionError(ValueError):
    """The lifecycle does not allow this action now, or a field it needs is missing."""

    def __init__(self, message: str, code: Refusal = Refusal.REFUSED) -> None:
        super().__init__(message)
        self.code = code


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


Check = Callable[[Request], str | None]  # an Indonesian refusal, or None
Guard = Callable[[Complaint, datetime], str | None]  # the same, from the case's state alone
Effect = Callable[[Request, dict], None]  # changes beyond status/owner; fills event data


def coordinator(session: Session) -> str:
    code = session.scalar(select(Unit.code).where(Unit.kind == "coordinator", Unit.active))
    if code is None:
        raise TransitionError(
            "Unit koordinator belum terdaftar; jalankan `satupintu db upgrade`.",
            Refusal.NO_COORDINATOR,
        )
    return code


def unit_exists(req: Request) -> str | None:
    unit = req.session.get(Unit, req.unit)
    if unit is None or not unit.active:
        return f"Unit {req.unit!r} tidak dikenal atau tidak aktif."
    if req.complaint.status == Status.DISPATCHED and req.unit == req.complaint.owner_unit:
        return "Aduan sudah didisposisikan ke unit tersebut."
    return None


def not_the_coordinator(complaint: Complaint, now: datetime) -> str | None:
    if complaint.unit is not None and complaint.unit.kind == "coordinator":
        return "Aduan sudah dipegang koordinator; gunakan disposisi, tolak atau arsipkan."
    return None


def within_answer_window(complaint: Complaint, now: datetime) -> str | None:
    if complaint.due_at is not None and now > complaint.due_at:
        return "Masa tanggapan pelapor (10 hari kerja setelah selesai) sudah lewat."
    return None


def valid_master(req: Request) -> str | None:
    master = req.master
    if master is None:
        return None
    if master.id == req.complaint.id:
        return "Aduan tidak dapat menjadi duplikat dirinya sendiri."
    if master.status not in OPEN_STATUSES:
        return "Aduan induk harus masih terbuka (bukan ditutup, ditolak, diarsipkan atau duplikat)."
    return None


def valid_privacy(req: Request) -> str | None:
    if req.privacy not in PRIVACY_LEVELS:
        return f"Privasi harus salah satu dari {', '.join(PRIVACY_LEVELS)}."
    if req.privacy == req.complaint.privacy:
        return "Privasi aduan sudah seperti itu."
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
