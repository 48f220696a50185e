"""Cases handed to external units: the forward rows and the case facts a handover carries.

A forward is written in the transaction that dispatches the case (so a committed dispatch
always has one), moves ``queued -> sent`` when the remote acknowledged it, and ends
``done`` (the remote closed or resolved it) or ``refused`` (the remote would not take it,
and the case went back to the coordinator). The dispatcher's jobs call these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casestore.claims import insert_unless_exists
from casestore.models import Complaint, Forward, Unit

QUEUED, SENT, REFUSED, DONE = "queued", "sent", "refused", "done"
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class CaseFacts:
    """What a handover may carry of a case, read once in the job's transaction."""

    tracking_id: str
    description: str
    category: str | None
    kecamatan_code: str | None
    desa_code: str | None
    latitude: float | None
    longitude: float | None
    privacy: str
    language: str
    reporter_name: str
    update_address: str
    contact_urn: str | None
    owner_unit: str


def is_external(session: Session, unit_code: str) -> bool:
    unit = session.get(Unit, unit_code)
    return bool(unit is not None and unit.external)


def queue_forward(session: Session, complaint: Complaint, unit_code: str) -> Forward:
    """The case's forward to ``unit_code``, queued: new, or the earlier one again (a case
    re-dispatched to the same unit after a refusal is sent again under the same key)."""
    row = insert_unless_exists(
        session,
        Forward,
        ["complaint_id", "unit_code"],
        {"complaint_id": complaint.id, "unit_code": unit_code, "state": QUEUED, "attempts": 0},
    )
    if row is not None:
        return row
    row = session.scalars(
        select(Forward).where(Forward.complaint_id == complaint.id, Forward.unit_code == unit_code)
    ).one()
    if row.state in (REFUSED, DONE):
        row.state, row.last_error = QUEUED, None
    return row


def forward_by_id(session: Session, forward_id: int, *, lock: bool = False) -> Forward | None:
    query = select(Forward).where(Forward.id == forward_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def case_facts(session: Session, forward: Forward) -> CaseFacts:
    complaint = session.get(Complaint, forward.complaint_id)
    assert complaint is not None  # a foreign key
    return CaseFacts(
        tracking_id=complaint.tracking_id,
        description=complaint.description,
        category=complaint.category,
        kecamatan_code=complaint.kecamatan_code,
        desa_code=complaint.desa_code,
        latitude=complaint.latitude,
        longitude=complaint.longitude,
        privacy=complaint.privacy,
        language=complaint.language,
        reporter_name=complaint.reporter_name,
        update_address=complaint.update_address,
        contact_urn=complaint.contact.urn if complaint.contact is not None else None,
        owner_unit=complaint.owner_unit,
    )


def complaint_of(session: Session, forward: Forward) -> Complaint:
    complaint = session.get(Complaint, forward.complaint_id)
    assert complaint is not None
    return complaint


def mark_sent(
    forward: Forward,
    now: datetime,
    *,
    remote_id: str | None,
    token: str | None,
    secret: str | None = None,
) -> None:
    forward.state, forward.sent_at, forward.checked_at = SENT, now, now
    forward.remote_id, forward.remote_token = remote_id, token
    forward.remote_secret = secret
    forward.attempts += 1
    forward.last_error = None


def mark_attempt_failed(forward: Forward, error: str) -> None:
    forward.attempts += 1
    forward.last_error = error[:MAX_ERROR_CHARS]


def mark_refused(forward: Forward, reason: str) -> None:
    forward.state, forward.last_error = REFUSED, reason[:MAX_ERROR_CHARS]


def mark_checked(
    forward: Forward, now: datetime, *, remote_status: str, remote_id: str | None
) -> None:
    forward.checked_at, forward.remote_status = now, remote_status
    if remote_id:
        forward.remote_id = remote_id
    forward.last_error = None


def mark_done(forward: Forward) -> None:
    forward.state = DONE


def forwards_in_state(
    session: Session, state: str, *, unit_code: str | None = None, limit: int = 500
) -> Sequence[Forward]:
    """Forwards in ``state`` (oldest check first), optionally of one unit."""
    query = select(Forward).where(Forward.state == state)
    if unit_code is not None:
        query = query.where(Forward.unit_code == unit_code)
    return session.scalars(query.order_by(Forward.checked_at, Forward.id).limit(limit)).all()


def forward_counts(session: Session) -> dict[tuple[str, str], int]:
    """How many forwards each (unit, state) has, for the monitor and `satupintu status`."""
    rows = session.execute(
        select(Forward.unit_code, Forward.state, func.count()).group_by(
            Forward.unit_code, Forward.state
        )
    )
    return {(unit, state): count for unit, state, count in rows}


@dataclass(frozen=True)
class UnitForwards:
    """One external unit's forwards at a glance: counts per state, the ones failing now."""

    unit_code: str
    counts: dict[str, int]
    failing: int  # queued after at least one failed try, or sent but unreadable lately
    last_error: str | None


def forward_summary(session: Session) -> list[UnitForwards]:
    """Every external unit that has forwards, for the monitor and `satupintu status`."""
    counts = forward_counts(session)
    failing_rows = session.execute(
        select(Forward.unit_code, Forward.last_error)
        .where(Forward.state.in_((QUEUED, SENT)), Forward.last_error.is_not(None))
        .order_by(Forward.id)
    ).all()
    units = sorted({unit for unit, _ in counts})
    return [
        UnitForwards(
            unit_code=unit,
            counts={state: n for (u, state), n in counts.items() if u == unit},
            failing=sum(1 for u, _ in failing_rows if u == unit),
            last_error=next((e for u, e in reversed(failing_rows) if u == unit), None),
        )
        for unit in units
    ]
