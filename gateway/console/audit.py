"""/console/audit: the coordinator reads the audit trail, filtered (issue 19).

Who did what, to what, when and from where. A unit's admin gets 404 here, as for any page
that is not theirs. The page only reads: the trail has no edit or delete anywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, request

from casestore import audit as trail_store
from gateway.console.auth import operator
from gateway.context import runtime
from normalizer.tracking import normalize_tracking_id

bp = Blueprint("audit", __name__, url_prefix="/audit")

PER_PAGE = 50
FILTER_NAMES = ("actor", "kind", "target", "since", "until")


@bp.before_request
def coordinator_only():
    if not operator().is_coordinator:
        abort(404)


def _day(raw: str | None, *, after: bool = False) -> datetime | None:
    try:
        day = date.fromisoformat((raw or "")[:10])
    except ValueError:
        return None
    if after:
        day += timedelta(days=1)  # "until 5 December" includes all of it
    zone = ZoneInfo(runtime().settings.timezone)
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _target(raw: str) -> str:
    """A case as typed (dashes, O for 0 ...) finds its canonical id; else an account name."""
    raw = raw.strip()[:100]
    return normalize_tracking_id(raw) or raw if raw else ""


def read_filters(args) -> trail_store.AuditFilters:
    kind = args.get("kind", "")
    return trail_store.AuditFilters(
        actor=args.get("actor", "").strip()[:100],
        kind=kind if kind in trail_store.AuditKind.ALL else "",
        target=_target(args.get("target", "")),
        since=_day(args.get("since")),
        until=_day(args.get("until"), after=True),
    )


def _page(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else 1


@bp.get("")
def audit_page():
    filters = read_filters(request.args)
    with runtime().sessions() as db:
        page = trail_store.entries(
            db, filters, page=_page(request.args.get("page")), per_page=PER_PAGE
        )
    kept = {name: request.args[name] for name in FILTER_NAMES if request.args.get(name)}
    return render_template(
        "console/audit.html",
        page=page,
        filters=filters,
        kinds=trail_store.AuditKind.ALL,
        raw={name: request.args.get(name, "")[:100] for name in FILTER_NAMES},
        page_url=lambda n: "?" + urlencode({**kept, "page": n}),
    )
