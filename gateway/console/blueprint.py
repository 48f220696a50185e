"""The operator console under /console: the parent blueprint, its guards, home and help.

Sign-in lives in auth.py, the intake monitor in monitor.py and the cases in cases.py (all in
gateway/console/); each is a child blueprint of this one, so one guard
(logged in, session fresh, first password changed) and one set of headers cover them all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, url_for
from markupsafe import Markup

from casestore.casework import open_counts
from gateway.console import (
    accountability,
    accounts,
    audit,
    auth,
    bulk,
    cases,
    export,
    filing,
    monitor,
    notices,
    triage,
)
from gateway.context import runtime
from gateway.i18n import known, number, t

bp = Blueprint("console", __name__, url_prefix="/console")
bp.register_blueprint(auth.bp)
bp.register_blueprint(monitor.bp)
bp.register_blueprint(cases.bp)
bp.register_blueprint(triage.bp)
bp.register_blueprint(export.bp)
bp.register_blueprint(audit.bp)
bp.register_blueprint(bulk.bp)
bp.register_blueprint(accounts.bp)
bp.register_blueprint(notices.bp)
bp.register_blueprint(notices.today_bp)
bp.register_blueprint(accountability.bp)  # /console/kinerja: figures, local holidays (issue 20)
bp.register_blueprint(filing.bp)  # /console/desk: assisted filing at the desk (issue 19)
bp.before_request(auth.require_operator)

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "panduan-operator.md"

# Console pages are private and change by the second: never cached, framed or sniffed.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


@bp.after_request
def private_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@bp.app_template_filter("tracking")
def tracking_filter(tracking_id: str) -> str:
    from normalizer.tracking import format_tracking_id

    return format_tracking_id(tracking_id)


@bp.app_template_filter("event_label")
def event_label(kind: str) -> str:
    """What an operator reads for an event kind (a lifecycle action or an automatic step)."""
    for key in (f"console.event.{kind}", f"console.action.{kind}"):
        if known(key):
            return t(key)
    return kind


@bp.app_template_filter("channel_label")
def channel_label(code: str) -> str:
    """A channel as operators say it (SMS, Formulir web), never its internal code."""
    key = f"console.channel.{code}"
    return t(key) if known(key) else code


@bp.app_template_filter("reason_label")
def reason_label(code: str | None) -> str:
    """A reason code (routing, bounce, reject, archive) as words, never the code itself."""
    key = f"console.reason.{code}"
    return t(key) if code and known(key) else (code or "")


@bp.app_template_filter("actor_label")
def actor_label(actor: str) -> str:
    """Who did it: an operator's username, or "system" in words."""
    if actor == "system":
        return t("console.actor.system")
    return actor.removeprefix("operator:")


@bp.app_template_filter("duration")
def duration_filter(seconds: float) -> str:
    """A wait as people say it: 45 dtk, 12 mnt, 3 jam, 2 hari."""
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return t(f"console.time.{unit}").format(n=number(seconds // size))
    return t("console.time.s").format(n=number(seconds))


@bp.context_processor
def console_context():
    from flask_login import current_user

    me = current_user if current_user.is_authenticated else None
    counts = None
    if me is not None and not me.must_change_password:
        with runtime().sessions() as db:
            scope = None if me.is_coordinator else me.unit_code
            counts = open_counts(db, scope, datetime.now(UTC))
    return {"me": me, "header_counts": counts}


@bp.get("/")
def home():
    """The coordinator's home is the intake monitor; a unit's is what needs it now."""
    if not auth.operator().is_coordinator:
        return redirect(url_for("console.today.today"))
    return monitor.monitor_page()


@bp.get("/help", endpoint="help")
def help_page():
    """The operator guide (docs/panduan-operator.md), rendered without raw HTML."""
    from markdown_it import MarkdownIt

    if not GUIDE.is_file():
        abort(404)
    html = MarkdownIt("commonmark", {"html": False}).render(GUIDE.read_text(encoding="utf-8"))
    return render_template("console/help.html", guide=Markup(html))  # noqa: S704 (html off)
