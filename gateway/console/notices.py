"""/console/notifications: where each operator hears of their unit's work (issue 18), and
/console/today: what needs a unit now (its home page).

An operator sets their own email, phone, alert kinds and immediate or digest delivery, and
whether the kinds are also texted to the phone (SMS, or WhatsApp when on); the coordinator
sets anyone's (``/console/notifications/<username>``). The page says when email is off (no
SMTP settings) and when no channel can text a phone. Today lists the unit's cases with
unread citizen activity, the ones dispatched and not yet started, and the overdue ones.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, redirect, render_template, request, url_for

from adapters.email import enabled
from adapters.registry import sender_for
from casestore import alerts, notices
from casestore import operators as accounts
from casestore.casework import CaseFilters, deadline_state, search_cases
from gateway.console.auth import operator
from gateway.console.scope import scope
from gateway.context import runtime
from gateway.i18n import t

bp = Blueprint("notices", __name__, url_prefix="/notifications")
today_bp = Blueprint("today", __name__, url_prefix="/today")


def text_ways() -> list[str]:
    """The channels that can text an operator's phone now (SMS, WhatsApp)."""
    settings = runtime().settings
    return [way for way in alerts.TEXT_DELIVERIES if sender_for(way, settings) is not None]


def _editable(username: str | None):
    """The account this operator may edit: their own, or anyone's for the coordinator."""
    me = operator()
    if username is None or username == me.username:
        return me.username
    if not me.is_coordinator:
        abort(404)
    return username


def _page(username: str, error: str = "", saved: bool = False, status: int = 200):
    # Read in one session, rendered after it closed: the layout's header counts open their
    # own (SQLite has one writer-capable transaction at a time).
    me = operator()
    with runtime().sessions() as db:
        account = accounts.operator_by_username(db, username)
        if account is None:
            abort(404)
        everyone = []
        if me.is_coordinator:
            everyone = [(a, alerts.preferences(db, a)) for a in accounts.list_operators(db)]
        shown = {
            "account": account,
            "wanted": alerts.preferences(db, account),
            "recent": alerts.recent_alerts(db, account),
            "everyone": everyone,
        }
    page = render_template(
        "console/notifications.html",
        kinds=alerts.ALERT_KINDS,
        email_on=enabled(runtime().settings),
        text_ways=text_ways(),
        error=error,
        saved=saved,
        **shown,
    )
    return page, status


@bp.get("", defaults={"username": None})
@bp.get("/<username>")
def settings_page(username: str | None):
    return _page(_editable(username), saved=request.args.get("saved") == "1")


@bp.post("", defaults={"username": None})
@bp.post("/<username>")
def save(username: str | None):
    name = _editable(username)
    form = request.form
    kinds = [kind for kind in alerts.ALERT_KINDS if form.get(f"kind_{kind}")]
    problem = ""
    with runtime().sessions() as db:
        account = accounts.operator_by_username(db, name)
        if account is None:
            abort(404)
        try:
            alerts.set_preferences(
                db,
                account,
                email=form.get("email", "")[:320],
                phone=form.get("phone", "")[:32],
                delivery=form.get("delivery", "immediate"),
                kinds=kinds,
                phone_alerts=form.get("phone_alerts", "off"),
            )
        except ValueError as exc:
            problem = str(exc).partition(":")[0]
            db.rollback()
        else:
            db.commit()
    if problem:
        return _page(name, error=t(f"console.notices.invalid.{problem}"), status=422)
    target = "console.notices.settings_page"
    if name == operator().username:
        return redirect(url_for(target, saved=1))
    return redirect(url_for(target, username=name, saved=1))


@today_bp.get("")
def today():
    """The unit's home: unread citizen activity, new dispatches, overdue cases."""
    moment = datetime.now(UTC)
    unit = scope()
    with runtime().sessions() as db:
        unread = notices.unread_for_unit(db, unit or runtime().coordinator)
        new = search_cases(
            db, CaseFilters(status="dispatched"), scope_unit=unit, now=moment, page=1, per_page=25
        ).rows
        overdue = search_cases(
            db, CaseFilters(overdue=True), scope_unit=unit, now=moment, page=1, per_page=25
        ).rows
        sections = [
            ("unread", [(c, deadline_state(c, moment)) for c in unread]),
            ("new", [(c, deadline_state(c, moment)) for c in new]),
            ("overdue", [(c, deadline_state(c, moment)) for c in overdue]),
        ]
    return render_template(
        "console/today.html", sections=sections, email_on=enabled(runtime().settings)
    )
