"""The LAPOR! case lifecycle: statuses, the actions operators take, and one table of rules.

received -> verified -> dispatched -> in_progress -> resolved -> closed, with side exits
(rejected, archived), bounced ("bukan wewenang": back to the coordinator) and duplicate
(linked to a master case). ``RULES`` says, for every action, from which statuses it is
allowed, where it leads, what it needs, who owns the case afterwards and which clock starts;
``apply_action`` reads only that table. Every action writes one status event (actor, note,
reason) in the caller's session and never commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.clock import DEFAULT_TIMEZONE, Clock, deadline, hard_limit
from casestore.models import Complaint, DuplicateLink, StatusEvent, Unit, utcnow
from casestore.vocabulary import EventKind, LinkState, Status

OPEN_STATUSES = frozenset(
    {
        Status.RECEIVED,
        Status.VERIFIED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.BOUNCED,
    }
)
FINAL_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.ARCHIVED, Status.DUPLICATE})
# Open cases whose owner has a deadline to meet (a resolved case waits for the citizen).
WATCHED_STATUSES = OPEN_STATUSES - {Status.RESOLVED}
PRIVACY_LEVELS = ("public", "anonymous", "confidential")


class Action(StrEnum):
    VERIFY = "verify"
    DISPATCH = "dispatch"
    BOUNCE = "bounce"
    START = "start"
    RESOLVE = "resolve"
    REJECT = "reject"
    ARCHIVE = "archive"
    CLOSE = "close"
    REOPEN = "reopen"  # the citizen answered within the window after resolution
    MARK_DUPLICATE = "mark_duplicate"
    UNLINK_DUPLICATE = "unlink_duplicate"
    SET_PRIVACY = "set_privacy"
    REPLY = "reply"  # an operator's public response, no status change


class TransitionError(ValueError):
    """The lifecycle does not allow this action now, or a field it needs is missing."""


class Owner(StrEnum):
    KEEP = "keep"
    UNIT = "unit"  # the unit named in the action
    COORDINATOR = "coordinator"


# Reason codes an action accepts, with what operators read. "other" needs a note.
BOUNCE_REASONS = {
    "not_authority": "Bukan wewenang unit ini",
    "wrong_location": "Lokasi di luar wilayah kerja unit ini",
    "provincial_authority": "Kewenangan pemerintah provinsi",
    "national_authority": "Kewenangan instansi pusat/vertikal atau BUMN (PLN, BPJS, Polri ...)",
    "other": "Alasan lain (lihat catatan)",
}
REJECT_REASONS = {
    "not_a_complaint": "Bukan pengaduan pelayanan publik",
    "insufficient_information": "Informasi tidak cukup untuk ditindaklanjuti",
    "abusive": "Mengandung SARA, fitnah atau kata-kata kasar",
    "spam": "Pesan sampah/promosi",
    "other": "Alasan lain (lihat catatan)",
}
ARCHIVE_REASONS = {
    "withdrawn": "Dicabut oleh pelapor",
    "no_response": "Pelapor tidak dapat dihubungi untuk keterangan tambahan",
    "handled_elsewhere": "Sudah ditangani melalui kanal lain",
    "other": "Alasan lain (lihat catatan)",
}
OTHER = "other"
RESTORE = "restore"  # UNLINK_DUPLICATE goes back to the status the case had before


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
    reason: str | None
    unit: str | None
    master: Complaint | None
    privacy: str | None


Check = Callable[[Request], str | None]  # an Indonesian refusal, or None
Guard = Callable[[Complaint, datetime], str | None]  # the same, from the case's state alone
Effect = Callable[[Request, dict], None]  # changes beyond status/owner; fills event data


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status | str | None  # None: the status stays; RESTORE: the one before
    needs: frozenset[str] = frozenset()  # of "note", "reason", "unit", "master", "privacy"
    owner: Owner = Owner.KEEP
    clock: Clock | None = None  # None: the deadline stays as it is
    reasons: Mapping[str, str] = field(default_factory=dict)
    guards: tuple[Guard, ...] = ()  # about the case now: also hide the console's button
    checks: tuple[Check, ...] = ()  # about what the operator filled in
    effect: Effect | None = None
    public: bool = True  # shown on the tracking page (the note too, unless confidential)
    notify: bool = True  # the citizen is told (dispatcher/notifications.py)


# --- checks and effects the table names ------------------------------------------------------


def _coordinator(session: Session) -> str:
    code = session.scalar(select(Unit.code).where(Unit.kind == "coordinator", Unit.active))
    if code is None:
        raise TransitionError("Unit koordinator belum terdaftar; jalankan `satupintu db upgrade`.")
    return code


def _unit_exists(req: Request) -> str | None:
    unit = req.session.get(Unit, req.unit)
    if unit is None or not unit.active:
        return f"Unit {req.unit!r} tidak dikenal atau tidak aktif."
    if req.complaint.status == Status.DISPATCHED and req.unit == req.complaint.owner_unit:
        return "Aduan sudah didisposisikan ke unit tersebut."
    return None


def _not_the_coordinator(complaint: Complaint, now: datetime) -> str | None:
    if complaint.unit is not None and complaint.unit.kind == "coordinator":
        return "Aduan sudah dipegang koordinator; gunakan disposisi, tolak atau arsipkan."
    return None


def _within_answer_window(complaint: Complaint, now: datetime) -> str | None:
    if complaint.due_at is not None and now > complaint.due_at:
        return "Masa tanggapan pelapor (10 hari kerja setelah selesai) sudah lewat."
    return None


def _valid_master(req: Request) -> str | None:
    master = req.master
    if master is None:
        return None
    if master.id == req.complaint.id:
        return "Aduan tidak dapat menjadi duplikat dirinya sendiri."
    if master.status not in OPEN_STATUSES:
        return "Aduan induk harus masih terbuka (bukan ditutup, ditolak, diarsipkan atau duplikat)."
    return None


def _valid_privacy(req: Request) -> str | None:
    if req.privacy not in PRIVACY_LEVELS:
        return f"Privasi harus salah satu dari {', '.join(PRIVACY_LEVELS)}."
    if req.privacy == req.complaint.privacy:
        return "Privasi aduan sudah seperti itu."
    return None


def _link_to_master(req: Request, data: dict) -> None:
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


def _unlink_from_master(req: Request, data: dict) -> None:
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


def _set_privacy(req: Request, data: dict) -> None:
    data["privacy"] = {"from": req.complaint.privacy, "to": req.privacy}
    req.complaint.privacy = req.privacy or req.complaint.privacy


ALL_STATUSES = frozenset(Status)
_S = Status

# The lifecycle, one line per action. Read it as: action: allowed from -> leads to.
RULES: Mapping[Action, Rule] = MappingProxyType(
    {
        Action.VERIFY: Rule(frozenset({_S.RECEIVED}), _S.VERIFIED, clock=Clock.VERIFY),
        Action.DISPATCH: Rule(
            frozenset({_S.VERIFIED, _S.BOUNCED, _S.DISPATCHED}),
            _S.DISPATCHED,
            needs=frozenset({"unit"}),
            owner=Owner.UNIT,
            clock=Clock.FOLLOW_UP,
            checks=(_unit_exists,),
        ),
        Action.BOUNCE: Rule(
            frozenset({_S.RECEIVED, _S.VERIFIED, _S.DISPATCHED, _S.IN_PROGRESS}),
            _S.BOUNCED,
            needs=frozenset({"reason"}),
            owner=Owner.COORDINATOR,
            clock=Clock.REDISPATCH,
            reasons=BOUNCE_REASONS,
            guards=(_not_the_coordinator,),
            public=False,  # the note is between units; the citizen sees the status only
        ),
        Action.START: Rule(frozenset({_S.DISPATCHED}), _S.IN_PROGRESS, clock=Clock.RESOLUTION),
        Action.RESOLVE: Rule(
            frozenset({_S.IN_PROGRESS}),
            _S.RESOLVED,
            needs=frozenset({"note"}),
            clock=Clock.ANSWER,
        ),
        Action.REJECT: Rule(
            OPEN_STATUSES,
            _S.REJECTED,
            needs=frozenset({"reason"}),
            clock=Clock.STOPPED,
            reasons=REJECT_REASONS,
        ),
        Action.ARCHIVE: Rule(
            OPEN_STATUSES,
            _S.ARCHIVED,
            needs=frozenset({"reason"}),
            clock=Clock.STOPPED,
            reasons=ARCHIVE_REASONS,
        ),
        Action.CLOSE: Rule(frozenset({_S.RESOLVED}), _S.CLOSED, clock=Clock.STOPPED),
        Action.REOPEN: Rule(
            frozenset({_S.RESOLVED}),
            _S.IN_PROGRESS,
            clock=Clock.FOLLOW_UP,
            guards=(_within_answer_window,),
        ),
        Action.MARK_DUPLICATE: Rule(
            OPEN_STATUSES - {_S.RESOLVED},
            _S.DUPLICATE,
            needs=frozenset({"master"}),
            clock=Clock.STOPPED,
            checks=(_valid_master,),
            effect=_link_to_master,
        ),
        Action.UNLINK_DUPLICATE: Rule(
            frozenset({_S.DUPLICATE}), RESTORE, effect=_unlink_from_master
        ),
        Action.SET_PRIVACY: Rule(
            ALL_STATUSES,
            None,
            needs=frozenset({"privacy"}),
            checks=(_valid_privacy,),
            effect=_set_privacy,
            public=False,
            notify=False,
        ),
        Action.REPLY: Rule(OPEN_STATUSES, None, needs=frozenset({"note"})),
    }
)

# The clock a status runs against when a case returns to it (UNLINK_DUPLICATE).
STATUS_CLOCK = MappingProxyType(
    {
        _S.RECEIVED: Clock.VERIFY,
        _S.VERIFIED: Clock.VERIFY,
        _S.BOUNCED: Clock.REDISPATCH,
        _S.DISPATCHED: Clock.FOLLOW_UP,
        _S.IN_PROGRESS: Clock.RESOLUTION,
        _S.RESOLVED: Clock.ANSWER,
    }
)
_FIELD_NAMES = {
    "note": "catatan",
    "reason": "kode alasan",
    "unit": "unit tujuan",
    "master": "aduan induk",
    "privacy": "tingkat privasi",
}


# --- the API ----------------------------------------------------------------------------------


def allowed_actions(complaint: Complaint, now: datetime | None = None) -> list[Action]:
    """The actions the lifecycle allows on ``complaint`` now (for the console's buttons).

    Checks that depend on what the operator will fill in (which unit, which master) are left
    to ``apply_action``.
    """
    now = now or utcnow()
    return [
        action
        for action, rule in RULES.items()
        if complaint.status in rule.sources
        and not any(guard(complaint, now) for guard in rule.guards)
    ]


def apply_action(
    session: Session,
    complaint: Complaint,
    action: Action | str,
    *,
    actor: str,
    now: datetime,
    note: str = "",
    reason: str | None = None,
    unit: str | None = None,
    master: Complaint | None = None,
    privacy: str | None = None,
    tz: str = DEFAULT_TIMEZONE,
) -> StatusEvent:
    """Apply one action to ``complaint`` and return the status event it wrote (flushed).

    Raises TransitionError (an Indonesian message for the operator) when the lifecycle does not
    allow ``action`` from the current status, or a field it needs is missing or wrong.
    ``tz`` is the zone the working days are counted in (``settings.timezone``).
    """
    try:
        action = Action(action)
    except ValueError:
        raise TransitionError(f"Tindakan {action!r} tidak dikenal.") from None
    rule = RULES[action]
    if not actor or not actor.strip():
        raise TransitionError("Pelaku (actor) wajib diisi.")
    if now.tzinfo is None:
        raise TransitionError("Waktu tindakan harus memakai zona waktu.")
    if complaint.status not in rule.sources:
        raise TransitionError(
            f"Tindakan '{action}' tidak diizinkan untuk aduan berstatus '{complaint.status}'."
        )
    for guard in rule.guards:
        refusal = guard(complaint, now)
        if refusal:
            raise TransitionError(refusal)
    req = Request(
        session=session,
        complaint=complaint,
        action=action,
        actor=actor.strip(),
        now=now,
        tz=ZoneInfo(tz),
        note=note or "",
        reason=reason or None,
        unit=unit or None,
        master=master,
        privacy=privacy or None,
    )
    _require_fields(rule, req)
    for check in rule.checks:
        refusal = check(req)
        if refusal:
            raise TransitionError(refusal)

    data: dict = {}
    from_status, from_unit = complaint.status, complaint.owner_unit
    if rule.effect is not None:
        rule.effect(req, data)
    to_status = _target(session, complaint, rule)
    to_unit = _new_owner(session, rule.owner, from_unit, req.unit)
    complaint.status = to_status
    if to_unit != from_unit:
        complaint.unit = session.get(Unit, to_unit)  # sets owner_unit, keeps .unit in step
    clock = STATUS_CLOCK.get(Status(to_status)) if rule.target == RESTORE else rule.clock
    if clock is not None:
        data.update(_restart_clock(complaint, clock, now, tz))
    event = StatusEvent(
        complaint=complaint,
        kind=EventKind(action.value),
        # Status and unit are recorded for every action that sets them, even to the same value
        # (a re-dispatch), and left empty for the ones that do not (reply, set_privacy).
        from_status=from_status if rule.target is not None else None,
        to_status=to_status if rule.target is not None else None,
        from_unit=from_unit if rule.owner is not Owner.KEEP else None,
        to_unit=to_unit if rule.owner is not Owner.KEEP else None,
        actor=req.actor,
        reason=req.reason,
        note=req.note.strip(),
        public=rule.public,
        data=data,
        created_at=now,
    )
    session.add(event)
    session.flush()
    return event


def start_clocks(complaint: Complaint, tz: str = DEFAULT_TIMEZONE) -> None:
    """Set the deadlines of a case just received: verify within 3, resolve within 60."""
    complaint.hard_due_at = hard_limit(complaint.received_at, tz)
    _restart_clock(complaint, Clock.VERIFY, complaint.received_at, tz)


def reason_label(action: Action | str, reason: str | None) -> str:
    """What an operator or citizen reads for a reason code ("" when there is none)."""
    try:
        reasons = RULES[Action(action)].reasons
    except ValueError:
        return ""
    return reasons.get(reason or "", "")


# --- helpers ----------------------------------------------------------------------------------


def _require_fields(rule: Rule, req: Request) -> None:
    given = {
        "note": bool(req.note.strip()),
        "reason": bool(req.reason),
        "unit": bool(req.unit),
        "master": req.master is not None,
        "privacy": bool(req.privacy),
    }
    missing = [_FIELD_NAMES[name] for name in sorted(rule.needs) if not given[name]]
    if missing:
        raise TransitionError(f"Tindakan '{req.action}' memerlukan {', '.join(missing)}.")
    if req.reason and not rule.reasons:
        raise TransitionError(f"Tindakan '{req.action}' tidak memakai kode alasan.")
    if rule.reasons:
        if req.reason not in rule.reasons:
            known = ", ".join(rule.reasons)
            raise TransitionError(f"Kode alasan {req.reason!r} tidak dikenal; pilih: {known}.")
        if req.reason == OTHER and not req.note.strip():
            raise TransitionError("Alasan 'other' memerlukan catatan.")


def _new_owner(session: Session, owner: Owner, current: str, named: str | None) -> str:
    if owner is Owner.UNIT:
        assert named is not None  # "unit" is in the rule's needs
        return named
    if owner is Owner.COORDINATOR:
        return _coordinator(session)
    return current


def _target(session: Session, complaint: Complaint, rule: Rule) -> str:
    if rule.target is None:
        return complaint.status
    if rule.target != RESTORE:
        return str(rule.target)
    # The status the case had when it was marked a duplicate.
    before = session.scalar(
        select(StatusEvent.from_status)
        .where(
            StatusEvent.complaint_id == complaint.id,
            StatusEvent.kind == Action.MARK_DUPLICATE.value,
        )
        .order_by(StatusEvent.id.desc())
        .limit(1)
    )
    return before or Status.RECEIVED


def _restart_clock(complaint: Complaint, clock: Clock, now: datetime, tz: str) -> dict:
    found = deadline(
        clock, now=now, received_at=complaint.received_at, hard_due_at=complaint.hard_due_at, tz=tz
    )
    complaint.due_at, complaint.warn_at, complaint.escalated_at = found.due_at, found.warn_at, None
    return {
        "clock": clock.value,
        "due_at": found.due_at.isoformat() if found.due_at else None,
    }
