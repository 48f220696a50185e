"""POST /console/bulk: the coordinator's bulk actions over selected cases (issue 19).

Verify, dispatch to one unit, reject as spam, archive. Each case goes through
``dispatcher.casework.act_on_case`` on its own: its own transaction, its own event, its own
citizen notification and its own audit entry. One case the lifecycle refuses (already
dispatched, closed, gone) does not stop the others; the answer lists which failed and why.
A unit's admin gets 404 here: bulk work is the coordinator's desk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from werkzeug.exceptions import NotFound

from casestore.audit import AuditKind
from casestore.lifecycle import ARCHIVE_REASONS, TransitionError
from casestore.vocabulary import Action
from dispatcher.casework import act_on_case, lifecycle_action
from gateway.console import trail
from gateway.console.auth import operator
from gateway.console.scope import load_case
from gateway.context import runtime
from gateway.i18n import t
from normalizer.tracking import format_tracking_id

bp = Blueprint("bulk", __name__, url_prefix="/bulk")

ACTIONS = {
    "verify": Action.VERIFY,
    "dispatch": Action.DISPATCH,
    "reject_spam": Action.REJECT,
    "archive": Action.ARCHIVE,
}
MAX_CASES = 100  # a page of the list at its largest
MAX_NOTE_CHARS = 2000


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (tracking id, why)


@bp.before_request
def coordinator_only():
    if not operator().is_coordinator:
        abort(404)


def _fields(name: str) -> dict[str, str | None]:
    """The lifecycle's fields for this bulk action, checked; a 400 names what is wrong."""
    note = request.form.get("note", "")
    if len(note) > MAX_NOTE_CHARS:
        abort(400, description="note: too long")
    fields: dict[str, str | None] = {"note": note.strip()}
    if name == "dispatch":
        unit = request.form.get("unit", "")
        if unit not in {u.code for u in runtime().units if u.kind != "coordinator"}:
            abort(400, description="unit: choose the unit to dispatch to")
        fields["unit"] = unit
    elif name == "reject_spam":
        fields["reason"] = "spam"
    elif name == "archive":
        reason = request.form.get("reason", "")
        if reason not in ARCHIVE_REASONS:
            abort(400, description="reason: choose why these cases are archived")
        fields["reason"] = reason
    return fields


def apply_bulk(name: str, tracking_ids: list[str], fields: dict[str, str | None]) -> Outcome:
    """Apply one action to each case in turn, each in its own transaction."""
    rt = runtime()
    me = operator()
    action = ACTIONS[name]
    outcome = Outcome()
    for tracking_id in tracking_ids:
        change = lifecycle_action(action, rt, actor=me.actor, **fields)

        def find(db, tracking_id=tracking_id):
            return load_case(db, tracking_id, lock=True)

        def audited(db, complaint, now: datetime, change=change):
            event = change(db, complaint, now)
            detail = {"action": action.value, "bulk": True}
            trail.note(db, AuditKind.CASE_ACTION, target=complaint.tracking_id, detail=detail)
            return event

        try:
            act_on_case(rt, find, audited)
        except TransitionError as exc:
            outcome.failed.append((tracking_id, str(exc)))
        except NotFound:
            outcome.failed.append((tracking_id, t("console.bulk.not_found")))
        else:
            outcome.done.append(tracking_id)
    return outcome


def _back() -> str:
    """Back to the list as it was (its filters), never anywhere else."""
    back = request.form.get("back", "")
    list_url = url_for("console.cases.case_list")
    return back if back.startswith(list_url) and "//" not in back else list_url


@bp.post("")
def bulk_action():
    name = request.form.get("bulk_action", "")
    if name not in ACTIONS:
        abort(400, description="bulk_action: choose an action")
    picked = list(dict.fromkeys(request.form.getlist("case")))  # in order, each once
    if not picked:
        flash(t("console.bulk.none_selected"), "error")
        return redirect(_back(), 303)
    if len(picked) > MAX_CASES:
        abort(400, description=f"case: at most {MAX_CASES} at a time")
    outcome = apply_bulk(name, picked, _fields(name))
    current_app.logger.info(
        "console bulk %s by %s: %d done, %d failed",
        name,
        operator().username,
        len(outcome.done),
        len(outcome.failed),
    )
    if outcome.done:
        flash(t("console.bulk.done").format(n=len(outcome.done)), "info")
    for tracking_id, why in outcome.failed:
        shown = format_tracking_id(tracking_id) if len(tracking_id) == 10 else tracking_id[:20]
        flash(t("console.bulk.failed").format(tracking_id=shown, reason=why), "error")
    return redirect(_back(), 303)
