"""The coordinator's triage queue: why a message was held (the verdict, its confidence and
the junk signals found), and the "this is spam" button beside release and reject (the
monitor's quarantine table, gateway/console/monitor.py, shows them).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for

from casestore.quarantine import QuarantineResolved
from dispatcher import abuse
from gateway.console.auth import coordinator_only, operator
from gateway.context import runtime
from gateway.i18n import t

bp = Blueprint("triage", __name__, url_prefix="/triage")


def verdict_line(triage: dict | None) -> str:
    """ "penipuan 0.93 · phone, link": what triage saw, for the queue's reason column."""
    if not triage:
        return ""
    kind = triage.get("junk_kind") or triage.get("kind") or ""
    label = t(f"console.triage.kind.{kind}") if kind else ""
    line = f"{label} {float(triage.get('confidence') or 0):.2f}".strip()
    signals = ", ".join(str(s) for s in triage.get("signals") or [])
    return f"{line} · {signals}" if signals else line


@bp.post("/<int:quarantine_id>/spam")
@coordinator_only
def spam(quarantine_id: int):
    """Close a held message as spam (it stays listed; the next model learns from it)."""
    try:
        abuse.mark_spam(runtime(), quarantine_id, operator().actor)
    except QuarantineResolved:
        flash(t("console.monitor.gone"), "info")
    else:
        flash(t("console.monitor.done"), "info")
    return redirect(url_for("console.home"), 303)
