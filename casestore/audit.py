"""The audit trail: who did what, to what, when and from where (issue 19).

Only two verbs: ``record`` appends an entry and ``entries`` reads them back, filtered. The
session refuses to change or delete an entry once written (a guard below), and migration
0015's trigger makes the database refuse any UPDATE as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from casestore.models import AuditEntry


class AuditKind:
    """What is recorded. Plain strings in the table; each has a label in the console."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    IDENTITY_VIEWED = "identity_viewed"
    EXPORT = "export"
    CASE_ACTION = "case_action"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name, not a secret)
    ACCOUNT_CREATED = "account_created"
    ACCOUNT_CHANGED = "account_changed"
    CASE_FILED = "case_filed"  # an operator filed a complaint at the desk (issue 19)

    ALL = (
        LOGIN,
        LOGIN_FAILED,
        LOGOUT,
        IDENTITY_VIEWED,
        EXPORT,
        CASE_ACTION,
        PASSWORD_CHANGED,
        ACCOUNT_CREATED,
        ACCOUNT_CHANGED,
        CASE_FILED,
    )


class AppendOnlyError(RuntimeError):
    """Something tried to change or delete an audit entry."""


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError("the audit trail is append-only")


@dataclass(frozen=True)
class Actor:
    """Who acted and from where, as the web layer saw it."""

    username: str
    unit_code: str | None = None
    address: str = ""
    user_agent: str = ""


def record(
    session: Session,
    actor: Actor,
    kind: str,
    *,
    target: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (so it commits with what it records)."""
    entry = AuditEntry(
        actor=actor.username[:100],
        actor_unit=actor.unit_code,
        kind=kind,
        target=target[:100],
        address=actor.address[:64],
        user_agent=actor.user_agent[:200],
        detail=detail or {},
    )
    if at is not None:
        entry.at = at
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    kind: str = ""
    target: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def entries(
    session: Session, filters: AuditFilters, *, page: int = 1, per_page: int = 50
) -> AuditPage:
    """One page of entries, newest first."""
    stmt = select(AuditEntry)
    if filters.actor:
        stmt = stmt.where(AuditEntry.actor == filters.actor)
    if filters.kind:
        stmt = stmt.where(AuditEntry.kind == filters.kind)
    if filters.target:
        stmt = stmt.where(AuditEntry.target == filters.target)
    if filters.since is not None:
        stmt = stmt.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEntry.at < filters.until)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = min(max(1, page), 100_000)
    rows = list(
        session.scalars(
            stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return AuditPage(rows=rows, total=total, page=page, per_page=per_page)
