"""Reading cases for the JSON API and Open311: citizens' proofs, public lists, unit lists.

Public lists never include confidential cases and carry status, unit, dates, category and
place only: never names, contacts, message bodies, the description or any text an operator
wrote (notes are internal; messages to the reporter are the reporter's); coordinates only for
cases filed as public (an anonymous citizen's pin could point at their house). Partner lists
are scoped to one unit.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casestore.models import Complaint, Unit

CONFIDENTIAL = "confidential"


@dataclass(frozen=True)
class CitizenProof:
    """What the web needs to check a citizen's code before accepting a follow-up."""

    tracking_id: str
    status: str
    secret_hash: str | None
    due_at: datetime | None


def citizen_proof(session: Session, tracking_id: str) -> CitizenProof | None:
    row = session.execute(
        select(
            Complaint.tracking_id,
            Complaint.status,
            Complaint.citizen_secret_hash,
            Complaint.due_at,
        ).where(Complaint.tracking_id == tracking_id)
    ).first()
    return None if row is None else CitizenProof(*row)


@dataclass(frozen=True)
class PublicRequest:
    """One case as the public Open311 list shows it."""

    tracking_id: str
    status: str
    category: str | None
    unit_code: str
    unit_name: str
    kecamatan_code: str | None
    desa_code: str | None
    latitude: float | None
    longitude: float | None
    received_at: datetime
    updated_at: datetime
    due_at: datetime | None


def public_requests(
    session: Session,
    *,
    tracking_ids: Collection[str] | None = None,
    category: str | None = None,
    uncategorized: bool = False,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Collection[str] | None = None,
    limit: int = 1000,
) -> list[PublicRequest]:
    """Non-confidential cases, newest first, filtered as Open311's GET requests asks."""
    query = (
        select(Complaint, Unit.name)
        .join(Unit, Unit.code == Complaint.owner_unit)
        .where(Complaint.privacy != CONFIDENTIAL)
    )
    if tracking_ids is not None:
        query = query.where(Complaint.tracking_id.in_(list(tracking_ids)))
    if category is not None:
        query = query.where(Complaint.category == category)
    if uncategorized:
        query = query.where(Complaint.category.is_(None))
    if start is not None:
        query = query.where(Complaint.received_at >= start)
    if end is not None:
        query = query.where(Complaint.received_at <= end)
    if statuses is not None:
        query = query.where(Complaint.status.in_(list(statuses)))
    rows = session.execute(
        query.order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(limit)
    ).all()
    return [
        PublicRequest(
            tracking_id=complaint.tracking_id,
            status=complaint.status,
            category=complaint.category,
            unit_code=complaint.owner_unit,
            unit_name=unit_name,
            kecamatan_code=complaint.kecamatan_code,
            desa_code=complaint.desa_code,
            latitude=complaint.latitude if complaint.privacy == "public" else None,
            longitude=complaint.longitude if complaint.privacy == "public" else None,
            received_at=complaint.received_at,
            updated_at=complaint.updated_at,
            due_at=complaint.due_at,
        )
        for complaint, unit_name in rows
    ]


def unit_cases(
    session: Session,
    unit_code: str | None,
    *,
    statuses: Collection[str] | None = None,
    since: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Complaint], int]:
    """A unit's cases (the ones it owns now), most recently changed first, and their total;
    ``unit_code`` None (the coordinator's key) reaches every case, as in the console."""
    where = [Complaint.owner_unit == unit_code] if unit_code is not None else []
    if statuses:
        where.append(Complaint.status.in_(list(statuses)))
    if since is not None:
        where.append(Complaint.updated_at >= since)
    total = session.scalar(select(func.count()).select_from(Complaint).where(*where)) or 0
    cases = session.scalars(
        select(Complaint)
        .where(*where)
        .order_by(Complaint.updated_at.desc(), Complaint.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(cases), total


def unit_case(session: Session, unit_code: str | None, tracking_id: str) -> Complaint | None:
    """One case, only if ``unit_code`` owns it (another unit's case is simply not found);
    None (the coordinator's key) finds any case."""
    stmt = select(Complaint).where(Complaint.tracking_id == tracking_id)
    if unit_code is not None:
        stmt = stmt.where(Complaint.owner_unit == unit_code)
    return session.scalar(stmt)
