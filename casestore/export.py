"""The case list as rows for a spreadsheet: exactly the console's filtered list, streamed.

``export_rows`` runs the list's own query (casework.filtered_cases) with the columns an
export needs and a server-side cursor (``yield_per``), so 100,000 cases pass through a few
hundred at a time and never sit in memory together. Citizens' names and contacts are only
selected when the caller asks (the coordinator, recorded in the audit trail).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casestore.casework import CaseFilters, filtered_cases
from casestore.lifecycle import WATCHED_STATUSES
from casestore.models import Complaint, Contact, StatusEvent
from casestore.vocabulary import Action

BATCH = 500  # rows fetched from the cursor at a time


@dataclass(frozen=True)
class ExportRow:
    """One case, as codes and instants; the console turns them into labels and local times."""

    tracking_id: str
    status: str
    channel: str
    privacy: str
    owner_unit: str
    category: str | None
    kecamatan_code: str | None
    desa_code: str | None
    received_at: datetime
    updated_at: datetime
    due_at: datetime | None
    hard_due_at: datetime | None
    overdue: bool
    bounces: int
    reporter_name: str = ""
    contact: str = ""


def count_rows(
    session: Session, filters: CaseFilters, *, scope_unit: str | None, now: datetime
) -> int:
    """How many rows an export of these filters has (recorded in the audit trail)."""
    stmt = filtered_cases(filters, scope_unit, now).order_by(None)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def export_rows(
    session: Session,
    filters: CaseFilters,
    *,
    scope_unit: str | None,
    now: datetime,
    include_identity: bool = False,
) -> Iterator[ExportRow]:
    """Every matching case in the list's order, one row each, read in batches."""
    bounces = (
        select(func.count(StatusEvent.id))
        .where(StatusEvent.complaint_id == Complaint.id, StatusEvent.kind == Action.BOUNCE)
        .correlate(Complaint)
        .scalar_subquery()
    )
    columns = [
        Complaint.tracking_id,
        Complaint.status,
        Complaint.channel,
        Complaint.privacy,
        Complaint.owner_unit,
        Complaint.category,
        Complaint.kecamatan_code,
        Complaint.desa_code,
        Complaint.received_at,
        Complaint.updated_at,
        Complaint.due_at,
        Complaint.hard_due_at,
        bounces.label("bounces"),
    ]
    if include_identity:
        columns += [Complaint.reporter_name, Contact.name, Contact.urn, Complaint.update_address]
    stmt = filtered_cases(filters, scope_unit, now).with_only_columns(*columns)
    if include_identity:
        stmt = stmt.outerjoin(Contact, Contact.id == Complaint.contact_id)
    watched = {s.value for s in WATCHED_STATUSES}
    result = session.execute(stmt.execution_options(yield_per=BATCH))
    for row in result:
        identity = {}
        if include_identity:
            typed_name, contact_name, urn, address = row[13:17]
            identity = {
                "reporter_name": typed_name or contact_name or "",
                "contact": urn or address or "",
            }
        yield ExportRow(
            *row[:12],
            overdue=row.status in watched and row.due_at is not None and row.due_at < now,
            bounces=row.bounces or 0,
            **identity,
        )
