"""The actions on a case page: which forms an operator gets, and applying what they send.

The lifecycle (casestore/lifecycle.py) decides what a case's status allows; this module adds
who may do it: the coordinator may do everything, a unit's admin the work on its own cases
(verify, take it on, start, resolve, answer the citizen, or bounce it back as "bukan
wewenang"). Every action writes one status event through ``apply_action`` and queues the
citizen's notification in the same transaction; the notify jobs are enqueued after the commit.

Each form keeps the two texts apart: the note is internal (never sent, never public), the
"message to the reporter" is what the citizen is sent (a reply and a resolution are one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, request, url_for

from casestore import duplicates, reasons
from casestore.audit import AuditKind
from casestore.casework import case_in_scope
from casestore.complaints import event_of
from casestore.db import Session
from casestore.lifecycle import (
    PRIVACY_LEVELS,
    Action,
    TransitionError,
    allowed_actions,
    takes_message,
)
from casestore.models import Complaint, DuplicateLink, StatusEvent
from casestore.vocabulary import EventKind, LinkState
from dispatcher.casework import act_on_case, lifecycle_action, notify
from dispatcher.intake import split_follow_up
from gateway.console import trail
from gateway.console.auth import OperatorUser, operator
from gateway.console.scope import load_case
from gateway.console.suggest import ranked_units
from gateway.context import runtime
from gateway.i18n import language, t
from normalizer.tracking import normalize_tracking_id

MAX_NOTE_CHARS = 2000

# What a unit's admin may do on a case their unit owns. Dispatching is only to their own unit
# (taking on a case routed to them); sending it elsewhere is the coordinator's, via a bounce.
UNIT_ACTIONS = frozenset(
    {
        Action.VERIFY,
        Action.DISPATCH,
        Action.START,
        Action.RESOLVE,
        Action.BOUNCE,
        Action.REPLY,
        Action.REOPEN,
        Action.ASK_REPORTER,  # minta keterangan (issue 20)
        Action.RESUME,
    }
)
# The duplicate suggestions' two answers, beside the lifecycle's actions.
CONFIRM_DUPLICATE = "confirm_duplicate"
REJECT_DUPLICATE = "reject_duplicate"
# Undo an automatic join: a message taken as a follow-up becomes a case of its own.
SPLIT_FOLLOW_UP = "split_follow_up"
COORDINATOR_EXTRAS = frozenset({CONFIRM_DUPLICATE, REJECT_DUPLICATE, SPLIT_FOLLOW_UP})
DANGER = frozenset({Action.REJECT, Action.ARCHIVE, Action.BOUNCE})


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # select | textarea | text
    label: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    max_chars: int = MAX_NOTE_CHARS
    help: str = ""  # shown under the field (the message's warning about personal data)


@dataclass(frozen=True)
class ActionForm:
    action: str
    label: str
    fields: tuple[Field, ...] = field(default_factory=tuple)
    danger: bool = False
    open: bool = False


def permitted(me: OperatorUser, action: Action) -> bool:
    return me.is_coordinator or action in UNIT_ACTIONS


def _reason_choices(action: Action) -> tuple[tuple[str, str], ...]:
    return tuple(reasons.labels(action, language()).items())


def _note() -> Field:
    return Field("note", "textarea", t("console.action.note"))


def _message(required: bool = False) -> Field:
    """The message to the reporter: sent on their channel, so it says what it is."""
    return Field(
        "message_to_reporter",
        "textarea",
        t("console.action.message_to_reporter"),
        required=required,
        help=t("console.action.message_to_reporter.help"),
    )


def _unit_choices(me: OperatorUser, suggested: list[str]) -> tuple[tuple[str, str], ...]:
    units = runtime().units
    if not me.is_coordinator:
        return tuple((u.code, u.name) for u in units if u.code == me.unit_code)
    # The routing rules' next choice first, marked; never pre-selected (issue 19).
    mark = t("console.action.suggested")
    names = {u.code: u.name for u in units if u.kind != "coordinator"}
    first = tuple((code, f"{names[code]} {mark}") for code in suggested[:1] if code in names)
    rest = tuple((code, name) for code, name in names.items() if code not in suggested[:1])
    return first + rest


def _fields(action: Action, me: OperatorUser, suggested: list[str]) -> tuple[Field, ...]:
    """The action's own fields, then the message to the reporter (when the citizen is told of
    it) and the internal note; a reply is only a message."""
    if action is Action.REPLY:
        return (_message(required=True),)
    required = action in (Action.RESOLVE, Action.ASK_REPORTER)  # the question is the message
    message = (_message(required=required),) if takes_message(action) else ()
    return (*_own_fields(action, me, suggested), *message, _note())


def _own_fields(action: Action, me: OperatorUser, suggested: list[str]) -> tuple[Field, ...]:
    reason = t("console.action.reason")
    match action:
        case Action.DISPATCH:
            return (
                Field(
                    "unit", "select", t("console.field.unit"), True, _unit_choices(me, suggested)
                ),
            )
        case Action.BOUNCE:
            return (Field("reason", "select", reason, True, _reason_choices(Action.BOUNCE)),)
        case Action.REJECT:
            return (Field("reason", "select", reason, True, _reason_choices(Action.REJECT)),)
        case Action.ARCHIVE:
            return (Field("reason", "select", reason, True, _reason_choices(Action.ARCHIVE)),)
        case Action.MARK_DUPLICATE:
            return (Field("master", "text", t("console.action.master"), True, max_chars=20),)
        case Action.SET_PRIVACY:
            levels = tuple((p, t(f"console.privacy.{p}")) for p in PRIVACY_LEVELS)
            return (Field("privacy", "select", t("console.field.privacy"), True, levels),)
    return ()


def action_forms(db: Session, complaint: Complaint, me: OperatorUser) -> list[ActionForm]:
    """The forms this operator gets on this case now, most common first."""
    now = datetime.now(UTC)
    bounced_by = [e.from_unit for e in complaint.events if e.kind == Action.BOUNCE and e.from_unit]
    suggested = ranked_units(
        runtime().routing_rules, complaint.category, complaint.kecamatan_code, bounced_by
    )
    forms = [
        ActionForm(
            action=action.value,
            label=t(f"console.action.{action.value}"),
            fields=_fields(action, me, suggested),
            danger=action in DANGER,
        )
        for action in allowed_actions(complaint, now, max_bounces=runtime().settings.max_bounces)
        if permitted(me, action)
    ]
    if forms:
        forms[0] = ActionForm(
            forms[0].action, forms[0].label, forms[0].fields, forms[0].danger, True
        )
    return forms


def splittable(event) -> bool:
    """A follow-up the intake joined by itself, not split off yet."""
    data = event.data or {}
    return event.kind == EventKind.FOLLOW_UP and "record" in data and not data.get("split_into")


def suggested_links(record_links: list[DuplicateLink], complaint: Complaint) -> list[DuplicateLink]:
    """Suggestions an operator can answer on this page (this case is the newer one)."""
    return [
        link
        for link in record_links
        if link.state == LinkState.SUGGESTED and link.complaint_id == complaint.id
    ]


def _text(name: str, limit: int) -> str:
    value = request.form.get(name, "")
    if len(value) > limit:
        raise TransitionError(t("console.action.too_long").format(chars=limit))
    return value.strip()


def _master(db: Session, me: OperatorUser) -> Complaint | None:
    given = _text("master", 40)
    if not given:
        return None
    canonical = normalize_tracking_id(given)
    master = case_in_scope(db, canonical, None if me.is_coordinator else me.unit_code)
    if canonical is None or master is None:
        raise TransitionError(t("console.action.no_master"))
    return master


def _link_id() -> int:
    raw = request.form.get("link", "")
    if not raw.isdigit() or len(raw) > 18:
        raise TransitionError(t("console.action.no_link"))
    return int(raw)


def perform(tracking_id: str):
    """POST /console/cases/<id>/actions: apply one action and tell the citizen."""
    me = operator()
    rt = runtime()
    name = request.form.get("action", "")
    page = url_for("console.cases.case_page", tracking_id=tracking_id)

    def find(db: Session) -> Complaint:
        return load_case(db, tracking_id, lock=True)

    def change(db: Session, complaint: Complaint, now: datetime) -> StatusEvent:
        event = _apply(db, complaint, name, me, now)
        # In the action's own transaction: recorded if and only if it happened.
        trail.note(db, AuditKind.CASE_ACTION, target=complaint.tracking_id, detail={"action": name})
        return event

    try:
        if name == SPLIT_FOLLOW_UP:
            notified, visible = _split(rt, find, me)
        else:
            acted = act_on_case(rt, find, change, show=lambda _db, c: me.can_see(c.owner_unit))
            notified, visible = acted.notified, acted.shown
    except TransitionError as exc:
        # Said in the operator's language (Bahasa Indonesia unless they chose English).
        flash(t("console.action.failed").format(reason=exc.message(language())), "error")
        return redirect(page, 303)
    current_app.logger.info("console action %s on a case by %s", name, me.username)
    if notified:
        flash(t("console.action.done"), "info")
    else:
        # The messages are stored as queued; the notify sweep sends them once Redis is back.
        flash(t("console.action.notify_later"), "error")
    if not visible:  # a bounce: the case went back to the coordinator
        flash(t("console.action.gone"), "info")
        return redirect(url_for("console.cases.case_list"), 303)
    return redirect(page, 303)


def _split(rt, find, me: OperatorUser) -> tuple[bool, bool]:
    """Split a joined follow-up off into a new case and send its number; (whether the
    notify jobs were enqueued, whether the operator still sees the case)."""
    if not me.is_coordinator:
        abort(403)
    raw = request.form.get("event", "")
    with rt.sessions.begin() as db:
        complaint = find(db)
        event = event_of(db, complaint, int(raw)) if raw.isdigit() and len(raw) < 19 else None
        if event is None:
            raise TransitionError(t("console.action.no_event"))
        message_ids = split_follow_up(db, event.id, rt, actor=me.actor).outbound_ids
        visible = me.can_see(complaint.owner_unit)
    return notify(rt, message_ids), visible


def _apply(
    db: Session, complaint: Complaint, name: str, me: OperatorUser, now: datetime
) -> StatusEvent:
    tz = runtime().settings.timezone
    if name in (CONFIRM_DUPLICATE, REJECT_DUPLICATE):
        if not me.is_coordinator:
            abort(403)
        link = duplicates.suggestion_for(db, complaint, _link_id())
        if link is None:
            raise TransitionError(t("console.action.no_link"))
        note = _text("note", MAX_NOTE_CHARS)
        if name == CONFIRM_DUPLICATE:
            return duplicates.confirm_duplicate(db, link, actor=me.actor, now=now, note=note, tz=tz)
        return duplicates.reject_duplicate(db, link, actor=me.actor, now=now, note=note)
    try:
        action = Action(name)
    except ValueError:
        abort(400)
    if not permitted(me, action):
        abort(403)
    unit = _text("unit", 64) or None
    if action is Action.DISPATCH and not me.is_coordinator and unit != me.unit_code:
        abort(403)
    change = lifecycle_action(
        action,
        runtime(),
        actor=me.actor,
        note=_text("note", MAX_NOTE_CHARS),
        message_to_reporter=_text("message_to_reporter", MAX_NOTE_CHARS),
        reason=_text("reason", 64) or None,
        unit=unit,
        master=_master(db, me) if action is Action.MARK_DUPLICATE else None,
        privacy=_text("privacy", 20) or None,
    )
    return change(db, complaint, now)
