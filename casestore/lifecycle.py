"""The LAPOR! case lifecycle: statuses, the actions operators take, and one table of rules.

received -> verified -> dispatched -> in_progress -> resolved -> closed, with side exits
(rejected, archived), bounced ("bukan wewenang": back to the coordinator) and duplicate
(linked to a master case). ``RULES`` says, for every action, from which statuses it is
allowed, where it leads, what it needs, who owns the case afterwards and which clock starts;
``apply_action`` reads only that table. Every action writes one status event (actor, note,
reason, message to the reporter) in the caller's session and never commits.

Two texts an operator may write, kept apart: the ``note`` is internal (operators and the
owning unit's systems only, never sent, never public) and the ``message_to_reporter`` is what
the citizen reads (sent on their channel; a web or API citizen reads it on the tracking page
with their secret code). A reply and a resolution are messages to the reporter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore import deadlines, transitions
from casestore.clock import DEFAULT_TIMEZONE, Clock, hard_limit
from casestore.models import Complaint, StatusEvent, Unit, utcnow
from casestore.reasons import (
    ARCHIVE_REASONS,
    BOUNCE_REASONS,
    OTHER,
    REJECT_REASONS,
    reason_label,
)
from casestore.refusals import Refusal, TransitionError
from casestore.transitions import Check, Effect, Guard, Request
from casestore.vocabulary import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    PRIVACY_LEVELS,
    WATCHED_STATUSES,
    Action,
    Status,
)

# Names the other modules have always imported from here.
__all__ = [
    "ARCHIVE_REASONS",
    "BOUNCE_REASONS",
    "FINAL_STATUSES",
    "OPEN_STATUSES",
    "PRIVACY_LEVELS",
    "REJECT_REASONS",
    "RULES",
    "WATCHED_STATUSES",
    "Action",
    "Refusal",
    "Rule",
    "Status",
    "TransitionError",
    "allowed_actions",
    "apply_action",
    "reason_label",
    "start_clocks",
    "takes_message",
]


class Owner(StrEnum):
    KEEP = "keep"
    UNIT = "unit"  # the unit named in the action
    COORDINATOR = "coordinator"


RESTORE = "restore"  # UNLINK_DUPLICATE goes back to the status the case had before
BEFORE_WAIT = "before_wait"  # RESUME goes back to the status the case had when it was asked


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status | str | None  # None: the status stays; RESTORE, BEFORE_WAIT: the one before
    # of "note", "message" (to the reporter), "reason", "unit", "master", "privacy"
    needs: frozenset[str] = frozenset()
    owner: Owner = Owner.KEEP
    clock: Clock | None = None  # None: the deadline stays as it is
    reasons: Mapping[str, str] = field(default_factory=dict)
    guards: tuple[Guard, ...] = ()  # about the case now: also hide the console's button
    checks: tuple[Check, ...] = ()  # about what the operator filled in
    effect: Effect | None = None
    # A step the citizen sees (its status and date on the tracking page; a message to the
    # reporter may go with it). Never its note: notes are internal.
    public: bool = True
    notify: bool = True  # the citizen is told (dispatcher/notifications.py)
    # Refused once the case was bounced max_bounces times (SATUPINTU_MAX_BOUNCES, issue 19).
    bounce_limited: bool = False


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
            checks=(transitions.unit_exists,),
        ),
        Action.BOUNCE: Rule(
            frozenset({_S.RECEIVED, _S.VERIFIED, _S.DISPATCHED, _S.IN_PROGRESS}),
            _S.BOUNCED,
            needs=frozenset({"reason"}),
            owner=Owner.COORDINATOR,
            clock=Clock.REDISPATCH,
            reasons=BOUNCE_REASONS,
            guards=(transitions.not_the_coordinator,),
            public=False,  # between units; the citizen sees the new owner on the page only
            bounce_limited=True,
        ),
        Action.START: Rule(frozenset({_S.DISPATCHED}), _S.IN_PROGRESS, clock=Clock.RESOLUTION),
        Action.RESOLVE: Rule(
            frozenset({_S.IN_PROGRESS}),
            _S.RESOLVED,
            needs=frozenset({"message"}),
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
            guards=(transitions.within_answer_window,),
        ),
        Action.MARK_DUPLICATE: Rule(
            OPEN_STATUSES - {_S.RESOLVED, _S.WAITING_REPORTER},
            _S.DUPLICATE,
            needs=frozenset({"master"}),
            clock=Clock.STOPPED,
            checks=(transitions.valid_master,),
            effect=transitions.link_to_master,
        ),
        Action.UNLINK_DUPLICATE: Rule(
            frozenset({_S.DUPLICATE}), RESTORE, effect=transitions.unlink_from_master
        ),
        Action.SET_PRIVACY: Rule(
            ALL_STATUSES,
            None,
            needs=frozenset({"privacy"}),
            checks=(transitions.valid_privacy,),
            effect=transitions.set_privacy,
            public=False,
            notify=False,
        ),
        Action.REPLY: Rule(OPEN_STATUSES, None, needs=frozenset({"message"})),
        # Minta keterangan (issue 20): a question sent to the reporter, then the case waits
        # for the answer; the owner's clocks pause when its SLA policy says so.
        Action.ASK_REPORTER: Rule(
            frozenset({_S.RECEIVED, _S.VERIFIED, _S.DISPATCHED, _S.IN_PROGRESS}),
            _S.WAITING_REPORTER,
            needs=frozenset({"message"}),
            clock=Clock.WAIT,
            effect=transitions.pause_clock,
        ),
        # The reporter answered (a follow-up on any channel), an operator heard from them, or
        # the wait ran out (the SLA sweep): back where it was, the deadlines moved by the wait.
        # The citizen who answered is thanked by intake; no status message follows.
        Action.RESUME: Rule(
            frozenset({_S.WAITING_REPORTER}),
            BEFORE_WAIT,
            effect=transitions.resume_clock,
            notify=False,
        ),
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


# --- the API ----------------------------------------------------------------------------------


def allowed_actions(
    complaint: Complaint, now: datetime | None = None, *, max_bounces: int | None = None
) -> list[Action]:
    """The actions the lifecycle allows on ``complaint`` now (for the console's buttons).

    Checks that depend on what the operator will fill in (which unit, which master) are left
    to ``apply_action``. ``max_bounces``: SATUPINTU_MAX_BOUNCES (None: no limit).
    """
    now = now or utcnow()
    return [
        action
        for action, rule in RULES.items()
        if complaint.status in rule.sources
        and not any(guard(complaint, now) for guard in rule.guards)
        and not (rule.bounce_limited and transitions.within_bounce_limit(complaint, max_bounces))
    ]


def apply_action(
    session: Session,
    complaint: Complaint,
    action: Action | str,
    *,
    actor: str,
    now: datetime,
    note: str = "",
    message_to_reporter: str = "",
    reason: str | None = None,
    unit: str | None = None,
    master: Complaint | None = None,
    privacy: str | None = None,
    tz: str = DEFAULT_TIMEZONE,
    max_bounces: int | None = None,
) -> StatusEvent:
    """Apply one action to ``complaint`` and return the status event it wrote (flushed).

    ``note`` is internal; ``message_to_reporter`` is what the citizen is sent (reply and
    resolve need one; an action the citizen is not told of refuses one).

    Raises TransitionError (a code and its parameters; casestore/refusals.py) when the
    lifecycle does not allow ``action`` from the current status, or a field is missing or wrong.
    ``tz`` is the zone the working days are counted in (``settings.timezone``);
    ``max_bounces`` is SATUPINTU_MAX_BOUNCES (None: bounces are not limited).
    """
    try:
        action = Action(action)
    except ValueError:
        raise TransitionError(Refusal.UNKNOWN_ACTION, action=action) from None
    rule = RULES[action]
    if not actor or not actor.strip():
        raise TransitionError(Refusal.NO_ACTOR)
    if now.tzinfo is None:
        raise TransitionError(Refusal.NAIVE_TIME)
    if complaint.status not in rule.sources:
        raise TransitionError(Refusal.NOT_FROM_STATUS, action=action, status=complaint.status)
    for guard in rule.guards:
        refusal = guard(complaint, now)
        if refusal:
            raise refusal
    if rule.bounce_limited:
        refusal = transitions.within_bounce_limit(complaint, max_bounces)
        if refusal:
            raise refusal
    req = Request(
        session=session,
        complaint=complaint,
        action=action,
        actor=actor.strip(),
        now=now,
        tz=ZoneInfo(tz),
        note=note or "",
        message=message_to_reporter or "",
        reason=reason or None,
        unit=unit or None,
        master=master,
        privacy=privacy or None,
    )
    _require_fields(rule, req)
    for check in rule.checks:
        refusal = check(req)
        if refusal:
            raise refusal

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
        kind=action,
        # Status and unit are recorded for every action that sets them, even to the same value
        # (a re-dispatch), and left empty for the ones that do not (reply, set_privacy).
        from_status=from_status if rule.target is not None else None,
        to_status=to_status if rule.target is not None else None,
        from_unit=from_unit if rule.owner is not Owner.KEEP else None,
        to_unit=to_unit if rule.owner is not Owner.KEEP else None,
        actor=req.actor,
        reason=req.reason,
        note=req.note.strip(),
        message_to_reporter=req.message.strip(),
        public=rule.public,
        data=data,
        created_at=now,
    )
    session.add(event)
    session.flush()
    return event


def start_clocks(complaint: Complaint, tz: str = DEFAULT_TIMEZONE) -> None:
    """Set the deadlines of a case just received, under its SLA policy version (issue 20)."""
    inputs = deadlines.stamp_policy(complaint, tz)
    complaint.hard_due_at = hard_limit(complaint.received_at, tz, *inputs)
    _restart_clock(complaint, Clock.VERIFY, complaint.received_at, tz, inputs)


def takes_message(action: Action | str) -> bool:
    """Whether ``action`` may carry a message to the reporter (the citizen is told of it)."""
    rule = RULES[Action(action)]
    return rule.notify and rule.public


# --- helpers ----------------------------------------------------------------------------------


def _require_fields(rule: Rule, req: Request) -> None:
    given = {
        "note": bool(req.note.strip()),
        "message": bool(req.message.strip()),
        "reason": bool(req.reason),
        "unit": bool(req.unit),
        "master": req.master is not None,
        "privacy": bool(req.privacy),
    }
    missing = [name for name in sorted(rule.needs) if not given[name]]
    if missing:
        raise TransitionError(Refusal.MISSING_FIELD, action=req.action, fields=missing)
    if req.message.strip() and not takes_message(req.action):
        raise TransitionError(Refusal.MESSAGE_NOT_SENT, action=req.action)
    if req.reason and not rule.reasons:
        raise TransitionError(Refusal.REASON_NOT_USED, action=req.action)
    if rule.reasons:
        if req.reason not in rule.reasons:
            raise TransitionError(Refusal.BAD_REASON, reason=req.reason, known=list(rule.reasons))
        if req.reason == OTHER and not req.note.strip():
            raise TransitionError(Refusal.OTHER_NEEDS_NOTE)


def _new_owner(session: Session, owner: Owner, current: str, named: str | None) -> str:
    if owner is Owner.UNIT:
        assert named is not None  # "unit" is in the rule's needs
        return named
    if owner is Owner.COORDINATOR:
        return transitions.coordinator(session)
    return current


def _target(session: Session, complaint: Complaint, rule: Rule) -> str:
    if rule.target is None:
        return complaint.status
    if rule.target == BEFORE_WAIT:
        return transitions.status_before_wait(session, complaint)
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


def _restart_clock(complaint: Complaint, clock: Clock, now: datetime, tz: str, *inputs) -> dict:
    found = deadlines.restart(complaint, clock, now, tz, *inputs)
    complaint.due_at, complaint.warn_at, complaint.escalated_at = found.due_at, found.warn_at, None
    return {
        "clock": clock.value,
        "due_at": found.due_at.isoformat() if found.due_at else None,
    }
