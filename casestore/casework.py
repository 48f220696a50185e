"""Reading cases for operators: the filtered case list and one case with all it carries.

Every query takes ``scope_unit``: None for the coordinator (every case), or the operator's
unit, which limits it to the cases that unit owns. A case outside the scope is simply not
found, so a unit operator cannot tell it from one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from casestore.lifecycle import OPEN_STATUSES, WATCHED_STATUSES
from casestore.models import Complaint, DuplicateLink, Message, Quarantine, StatusEvent
from casestore.vocabulary import Status

NEAR_DEADLINE = timedelta(hours=24)
MAX_QUERY_CHARS = 200
MAX_PAGE = 10_000
PER_PAGE_CHOICES = (25, 50, 100)
# How the list may be ordered: newest received, soonest due, latest activity, or by where the
# case is in the lifecycle (then newest first). Every order ends on the id, so pages are stable.
SORTS = ("received", "due", "activity", "status")
STATUS_ORDER = {status.value: rank for rank, status in enumerate(Status)}


@dataclass(frozen=True)
class CaseFilters:
    """What the case list is narrowed to; values were checked against known codes."""

    status: str | None = None
    channel: str | None = None
    unit: str | None = None
    category: str | None = None
    kecamatan: str | None = None
    desa: str | None = None
    overdue: bool = False
    query: str = ""
    tracking_id: str | None = None  # the query read as a tracking id (canonical), if it is one
    # Received at or after ``received_from`` and before ``received_until`` (UTC instants the
    # console computed from local dates, so "until 5 Dec" includes all of 5 Dec in WIB).
    received_from: datetime | None = None
    received_until: datetime | None = None
    sort: str = "received"


@dataclass(frozen=True)
class CasePage:
    rows: list[Complaint]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class CaseFile:
    """One case as its page shows it."""

    complaint: Complaint
    messages: list[Message]
    events: list[StatusEvent]
    duplicates: list[DuplicateLink] = field(default_factory=list)
    related: dict[int, Complaint] = field(default_factory=dict)
    children: list[Complaint] = field(default_factory=list)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def overdue_clause(now: datetime):
    """Cases whose owner missed the deadline (as casestore.deadlines.overdue_complaints); a
    resolved case's due date is the citizen's answer window, so it is never overdue."""
    return Complaint.status.in_([s.value for s in WATCHED_STATUSES]) & (Complaint.due_at < now)


def _filtered(filters: CaseFilters, scope_unit: str | None, now: datetime) -> Select:
    stmt = select(Complaint)
    if scope_unit is not None:
        stmt = stmt.where(Complaint.owner_unit == scope_unit)
    if filters.status:
        stmt = stmt.where(Complaint.status == filters.status)
    if filters.channel:
        stmt = stmt.where(Complaint.channel == filters.channel)
    if filters.unit:
        stmt = stmt.where(Complaint.owner_unit == filters.unit)
    if filters.category:
        stmt = stmt.where(Complaint.category == filters.category)
    if filters.kecamatan:
        stmt = stmt.where(Complaint.kecamatan_code == filters.kecamatan)
    if filters.desa:
        stmt = stmt.where(Complaint.desa_code == filters.desa)
    if filters.received_from is not None:
        stmt = stmt.where(Complaint.received_at >= filters.received_from)
    if filters.received_until is not None:
        stmt = stmt.where(Complaint.received_at < filters.received_until)
    if filters.overdue:
        stmt = stmt.where(overdue_clause(now))
    query = filters.query.strip()[:MAX_QUERY_CHARS]
    if query:
        # LIKE on the description for now; PostgreSQL full-text search is the follow-up.
        matches = Complaint.description.ilike(_like_pattern(query), escape="\\")
        if filters.tracking_id:
            matches = or_(matches, Complaint.tracking_id == filters.tracking_id)
        stmt = stmt.where(matches)
    return stmt


def ordered(stmt: Select, sort: str) -> Select:
    """The list's order for one of SORTS (an unknown name orders by received)."""
    newest = (Complaint.received_at.desc(), Complaint.id.desc())
    if sort == "due":
        # Cases without a deadline (finished ones) go last on both databases.
        return stmt.order_by(Complaint.due_at.is_(None), Complaint.due_at.asc(), Complaint.id.asc())
    if sort == "activity":
        return stmt.order_by(Complaint.updated_at.desc(), Complaint.id.desc())
    if sort == "status":
        return stmt.order_by(case(STATUS_ORDER, value=Complaint.status, else_=99), *newest)
    return stmt.order_by(*newest)


def filtered_cases(filters: CaseFilters, scope_unit: str | None, now: datetime) -> Select:
    """The list's query, ordered, before paging: what the export streams."""
    return ordered(_filtered(filters, scope_unit, now), filters.sort)


def search_cases(
    session: Session,
    filters: CaseFilters,
    *,
    scope_unit: str | None,
    now: datetime,
    page: int = 1,
    per_page: int = 25,
) -> CasePage:
    """One page of matching cases, in the filters' order (newest first by default)."""
    page = min(max(1, page), MAX_PAGE)
    stmt = _filtered(filters, scope_unit, now)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(
        session.scalars(ordered(stmt, filters.sort).limit(per_page).offset((page - 1) * per_page))
    )
    return CasePage(rows=rows, total=total, page=page, per_page=per_page)


def deadline_state(complaint: Complaint, now: datetime) -> str:
    """ "overdue", "near" (due within a day) or "" for the list's and page's highlighting."""
    if complaint.status not in WATCHED_STATUSES or complaint.due_at is None:
        return ""
    if complaint.due_at < now:
        return "overdue"
    if complaint.due_at - now <= NEAR_DEADLINE:
        return "near"
    return ""


def case_in_scope(
    session: Session, tracking_id: str, scope_unit: str | None, *, lock: bool = False
) -> Complaint | None:
    """The case, if ``scope_unit`` may see it; ``lock`` holds its row until the commit, so two
    operators acting at once take turns instead of both passing the status check."""
    stmt = select(Complaint).where(Complaint.tracking_id == tracking_id)
    if scope_unit is not None:
        stmt = stmt.where(Complaint.owner_unit == scope_unit)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def case_file(session: Session, complaint: Complaint) -> CaseFile:
    """The thread (inbound and outbound), the timeline and the duplicate links of a case."""
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.complaint_id == complaint.id)
            .order_by(Message.created_at, Message.id)
        )
    )
    events = list(
        session.scalars(
            select(StatusEvent)
            .where(StatusEvent.complaint_id == complaint.id)
            .order_by(StatusEvent.id)
        )
    )
    links = list(
        session.scalars(
            select(DuplicateLink)
            .where(
                or_(
                    DuplicateLink.complaint_id == complaint.id,
                    DuplicateLink.master_id == complaint.id,
                )
            )
            .order_by(DuplicateLink.score.desc(), DuplicateLink.id)
        )
    )
    other_ids = {link.master_id for link in links} | {link.complaint_id for link in links}
    other_ids.discard(complaint.id)
    if complaint.master_id:
        other_ids.add(complaint.master_id)
    related = {}
    if other_ids:
        related = {
            c.id: c for c in session.scalars(select(Complaint).where(Complaint.id.in_(other_ids)))
        }
    children = list(
        session.scalars(
            select(Complaint).where(Complaint.master_id == complaint.id).order_by(Complaint.id)
        )
    )
    return CaseFile(complaint, messages, events, links, related, children)


def awaiting_verification(session: Session, limit: int = 10) -> list[Complaint]:
    """The newest cases nobody has looked at yet (status received), for the monitor."""
    return list(
        session.scalars(
            select(Complaint)
            .where(Complaint.status == Status.RECEIVED)
            .order_by(Complaint.received_at.desc(), Complaint.id.desc())
            .limit(limit)
        )
    )


def open_counts(session: Session, scope_unit: str | None, now: datetime) -> dict[str, int]:
    """Open and overdue case counts for a unit (or everyone): the console's header numbers."""
    base = select(func.count()).select_from(Complaint)
    if scope_unit is not None:
        base = base.where(Complaint.owner_unit == scope_unit)
    open_statuses = [s.value for s in OPEN_STATUSES]
    return {
        "open": session.scalar(base.where(Complaint.status.in_(open_statuses))) or 0,
        "overdue": session.scalar(base.where(overdue_clause(now))) or 0,
        "received": session.scalar(base.where(Complaint.status == Status.RECEIVED)) or 0,
    }


def pending_quarantine(session: Session, limit: int = 50) -> list[Quarantine]:
    """Held messages no operator has released or rejected yet, oldest first."""
    return list(
        session.scalars(
            select(Quarantine)
            .where(Quarantine.resolved_at.is_(None))
            .order_by(Quarantine.created_at, Quarantine.id)
            .limit(limit)
        )
    )
