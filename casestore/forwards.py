"""Cases handed to external units: the forward rows and the case facts a handover carries.

A forward is written in the transaction that dispatches the case (so a committed dispatch
always has one), moves ``queued -> sent`` when the remote acknowledged it, and ends
``done`` (the remote closed or resolved it) or ``refused`` (the remote would not take it,
and the case went back to the coordinator). The dispatcher's jobs call these functions.

The other way round: a case a peer forwarded to us has an origin (which peer, its case id,
its callback URL); each of its status changes is an origin push, sent back signed. Pushes
a peer sends us are received once (push receipts), and what our citizen adds to a case we
forwarded is passed on once (forwarded infos).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casestore.claims import insert_unless_exists
from casestore.models import (
    ApiKey,
    CaseOrigin,
    Complaint,
    Forward,
    ForwardedInfo,
    Message,
    OriginPush,
    PushReceipt,
    StatusEvent,
    Unit,
)
from casestore.vocabulary import Direction

QUEUED, SENT, REFUSED, DONE = "queued", "sent", "refused", "done"
KEPT = "kept"  # information the remote has no way to take: it stays with us
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


# --- cases forwarded to us: their origin, and the pushes back to it -------------------------


def record_origin(
    session: Session,
    tracking_id: str,
    *,
    peer: str,
    api_key_id: int | None,
    origin_case_id: str,
    callback_url: str | None,
    via: str,
) -> None:
    """Remember where the case ``tracking_id`` came from (the first word stands: a retried
    request is the same case)."""
    insert_unless_exists(
        session,
        CaseOrigin,
        ["tracking_id"],
        {
            "tracking_id": tracking_id,
            "peer": peer[:200],
            "api_key_id": api_key_id,
            "origin_case_id": origin_case_id,
            "callback_url": callback_url,
            "via": via,
        },
    )


def origin_of(session: Session, tracking_id: str) -> CaseOrigin | None:
    return session.scalars(select(CaseOrigin).where(CaseOrigin.tracking_id == tracking_id)).first()


def queue_push(session: Session, complaint: Complaint, event: StatusEvent) -> int | None:
    """The push of ``event`` back to the case's origin; None when the case has no origin to
    push to or the event changed no status."""
    if event.to_status is None or event.to_status == event.from_status:
        return None
    origin = origin_of(session, complaint.tracking_id)
    if origin is None or not origin.callback_url:
        return None
    session.flush()  # the event's id
    row = insert_unless_exists(
        session,
        OriginPush,
        ["origin_id", "event_id"],
        {"origin_id": origin.id, "event_id": event.id, "state": QUEUED, "attempts": 0},
    )
    return row.id if row is not None else None


@dataclass(frozen=True)
class PushFacts:
    """What one push carries, read in the job's transaction."""

    state: str
    callback_url: str
    key_hash: str | None  # the SHA-256 of the partner key that filed the case
    origin_case_id: str
    tracking_id: str
    event_id: int
    status: str
    message: str
    at: datetime


def push_by_id(session: Session, push_id: int, *, lock: bool = False) -> OriginPush | None:
    query = select(OriginPush).where(OriginPush.id == push_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def push_facts(session: Session, push: OriginPush) -> PushFacts:
    origin = session.get(CaseOrigin, push.origin_id)
    event = session.get(StatusEvent, push.event_id)
    assert origin is not None and event is not None  # foreign keys
    key = session.get(ApiKey, origin.api_key_id) if origin.api_key_id is not None else None
    return PushFacts(
        state=push.state,
        callback_url=origin.callback_url or "",
        key_hash=key.key_hash if key is not None else None,
        origin_case_id=origin.origin_case_id,
        tracking_id=origin.tracking_id,
        event_id=event.id,
        status=str(event.to_status.value if event.to_status is not None else ""),
        message=event.message_to_reporter or "",
        at=event.created_at,
    )


def mark_push_sent(push: OriginPush, now: datetime) -> None:
    push.state, push.sent_at, push.last_error = SENT, now, None
    push.attempts += 1


def mark_push_failed(push: OriginPush, error: str, *, refused: bool = False) -> None:
    push.attempts += 1
    push.last_error = error[:MAX_ERROR_CHARS]
    if refused:
        push.state = REFUSED


def pushes_in_state(session: Session, state: str, *, limit: int = 500) -> Sequence[OriginPush]:
    query = select(OriginPush).where(OriginPush.state == state)
    return session.scalars(query.order_by(OriginPush.id).limit(limit)).all()


@dataclass(frozen=True)
class PeerPushes:
    """One origin's pushes at a glance, for `satupintu status` and the monitor."""

    peer: str
    counts: dict[str, int]
    failing: int  # queued after at least one failed try, or refused
    last_error: str | None


def push_summary(session: Session) -> list[PeerPushes]:
    rows = session.execute(
        select(CaseOrigin.peer, OriginPush.state, OriginPush.last_error)
        .join(CaseOrigin, CaseOrigin.id == OriginPush.origin_id)
        .order_by(OriginPush.id)
    ).all()
    summary = []
    for peer in sorted({peer for peer, _, _ in rows}):
        mine = [(state, error) for p, state, error in rows if p == peer]
        counts: dict[str, int] = {}
        for state, _ in mine:
            counts[state] = counts.get(state, 0) + 1
        failing = [error for state, error in mine if state != SENT and error]
        summary.append(PeerPushes(peer, counts, len(failing), failing[-1] if failing else None))
    return summary


# --- pushes a peer sends us ------------------------------------------------------------------


def claim_receipt(
    session: Session, unit_code: str, remote_id: str, event_id: str, remote_status: str
) -> bool:
    """True the first time this (unit, remote case, event) arrives; False for a replay."""
    row = insert_unless_exists(
        session,
        PushReceipt,
        ["unit_code", "remote_id", "event_id"],
        {
            "unit_code": unit_code,
            "remote_id": remote_id,
            "event_id": event_id,
            "remote_status": remote_status,
        },
    )
    return row is not None


def forward_to(
    session: Session, unit_code: str, remote_id: str, *, lock: bool = False
) -> Forward | None:
    """The forward of ours the remote knows as ``remote_id``."""
    query = select(Forward).where(Forward.unit_code == unit_code, Forward.remote_id == remote_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


# --- what our citizen adds to a case we forwarded --------------------------------------------


def new_information(session: Session, *, limit: int = 200) -> list[tuple[int, str, int]]:
    """(forward id, unit code, message id) of citizens' follow-ups to sent forwards that
    came after the dispatch and were not passed on yet."""
    rows = session.execute(
        select(Forward.id, Forward.unit_code, Message.id)
        .join(Message, Message.complaint_id == Forward.complaint_id)
        .outerjoin(
            ForwardedInfo,
            (ForwardedInfo.forward_id == Forward.id) & (ForwardedInfo.message_id == Message.id),
        )
        .where(
            Forward.state == SENT,
            Message.direction == Direction.IN,
            Message.intent == "follow_up",
            Message.created_at >= Forward.created_at,
            ForwardedInfo.id.is_(None),
        )
        .order_by(Message.id)
        .limit(limit)
    ).all()
    return [(forward_id, unit, message_id) for forward_id, unit, message_id in rows]


def claim_information(session: Session, forward_id: int, message_id: int, state: str) -> int | None:
    """The row passing one follow-up on; None when it exists already."""
    row = insert_unless_exists(
        session,
        ForwardedInfo,
        ["forward_id", "message_id"],
        {"forward_id": forward_id, "message_id": message_id, "state": state, "attempts": 0},
    )
    return row.id if row is not None else None


def information_by_id(
    session: Session, info_id: int, *, lock: bool = False
) -> ForwardedInfo | None:
    query = select(ForwardedInfo).where(ForwardedInfo.id == info_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def mark_information_sent(info: ForwardedInfo, now: datetime) -> None:
    info.state, info.sent_at, info.last_error = SENT, now, None
    info.attempts += 1


def mark_information_failed(info: ForwardedInfo, error: str, *, refused: bool = False) -> None:
    info.attempts += 1
    info.last_error = error[:MAX_ERROR_CHARS]
    if refused:
        info.state = REFUSED


def information_text(session: Session, info: ForwardedInfo) -> str:
    message = session.get(Message, info.message_id)
    assert message is not None
    return message.body


def information_in_state(session: Session, state: str, *, limit: int = 500) -> Sequence[int]:
    query = select(ForwardedInfo.id).where(ForwardedInfo.state == state)
    return session.scalars(query.order_by(ForwardedInfo.id).limit(limit)).all()


@dataclass(frozen=True)
class CaseFederation:
    """What the case page says about a case's life outside: where it came from, where it
    went, and what became of the citizen's later information."""

    origin_peer: str | None
    origin_case_id: str | None
    forwarded_units: list[str]
    information: dict[str, int]  # state -> how many follow-ups


def case_federation(session: Session, complaint: Complaint) -> CaseFederation:
    origin = origin_of(session, complaint.tracking_id)
    rows = session.scalars(select(Forward).where(Forward.complaint_id == complaint.id)).all()
    information: dict[str, int] = {}
    if rows:
        states = session.scalars(
            select(ForwardedInfo.state).where(
                ForwardedInfo.forward_id.in_([row.id for row in rows])
            )
        )
        for state in states:
            information[state] = information.get(state, 0) + 1
    return CaseFederation(
        origin_peer=origin.peer if origin is not None else None,
        origin_case_id=origin.origin_case_id if origin is not None else None,
        forwarded_units=[row.unit_code for row in rows if row.state in (QUEUED, SENT, DONE)],
        information=information,
    )
