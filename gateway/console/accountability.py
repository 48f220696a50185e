"""The coordinator's accountability figures in the console (issue 20): this month's scoreboard
with the units that are slipping first, the low ratings to look at, and the district's local
holidays (added here, skipped by every clock started afterwards).

The figures are the public scoreboard's (casestore/scoreboard.py, same rules: confidential
cases in totals only, no shares or medians under the minimum), ordered for operators: most
open overdue cases first, then the lowest share on time. The coordinator's home (the
monitor) shows the top of the list through ``slipping_summary``; the whole is at
/console/kinerja. Coordinator only.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, redirect, render_template, request, url_for

from casestore.accountability import (
    add_local_holiday,
    local_holidays,
    low_ratings,
    remove_local_holiday,
)
from casestore.models import utcnow
from casestore.scoreboard import MIN_CASES, Figures, scoreboard
from gateway import i18n
from gateway.console.auth import coordinator_only, operator
from gateway.context import runtime
from gateway.public.statistik import parse_period

bp = Blueprint("kinerja", __name__, url_prefix="/kinerja")
SUMMARY_ROWS = 5
SLIPPING_SHARE = 0.8  # under this share resolved on time, a unit is slipping
HOLIDAY_NAME_CHARS = 200


def slipping(row: Figures) -> bool:
    """Open cases past their deadline, or (with enough cases) under ``SLIPPING_SHARE`` on time."""
    share = row.on_time_share
    return row.open_overdue > 0 or (share is not None and share < SLIPPING_SHARE)


def slipping_first(rows: list[Figures]) -> list[Figures]:
    """Most open overdue cases first, then the lowest share on time, then most cases."""

    def key(row: Figures):
        share = row.on_time_share
        return (-row.open_overdue, 2.0 if share is None else share, -row.received, row.key)

    return sorted(rows, key=key)


def _this_month(asked: str = ""):
    """The scoreboard of this local month (or of ``asked``, a /statistik period)."""
    rt = runtime()
    now = utcnow()
    local = now.astimezone(ZoneInfo(rt.settings.timezone))
    try:
        period = parse_period(asked or f"{local:%Y-%m}", now, rt.settings.timezone)
    except ValueError:
        abort(400, description=i18n.t("stat.bad_period"))
    with rt.sessions() as session:
        board = scoreboard(session, period, now, rt.settings.timezone)
    english = i18n.language() == "en"
    names = {
        code: (en if english and en else name) for code, (name, en) in board.unit_names.items()
    }
    return board, names


def slipping_summary() -> dict:
    """For the coordinator's home: this month's units, slipping first (top few)."""
    board, names = _this_month()
    rows = [r for r in slipping_first(board.units) if slipping(r)]
    return {"rows": rows[:SUMMARY_ROWS], "names": names, "board": board, "min_cases": MIN_CASES}


@bp.app_context_processor
def accountability_context() -> dict:
    # A callable: computed only by the templates that show it (the coordinator's home).
    return {"kinerja_summary": slipping_summary}


def _page(errors: dict[str, str], values: dict[str, str], status: int = 200):
    board, names = _this_month(request.args.get("periode", ""))
    with runtime().sessions() as session:
        low = low_ratings(session, utcnow() - timedelta(days=30))
        holidays = local_holidays(session)
    page = render_template(
        "console/kinerja.html",
        board=board,
        rows=slipping_first(board.units),
        names=names,
        low=low,
        holidays=holidays,
        errors=errors,
        values=values,
        min_cases=MIN_CASES,
    )
    return page, status


@bp.get("")
@coordinator_only
def kinerja():
    return _page({}, {})


@bp.post("/libur")
@coordinator_only
def add_holiday():
    values = {k: request.form.get(k, "").strip() for k in ("day", "name")}
    errors = {}
    try:
        day = date.fromisoformat(values["day"])
    except ValueError:
        errors["day"] = i18n.t("console.kinerja.holiday.bad_day")
    if not values["name"] or len(values["name"]) > HOLIDAY_NAME_CHARS:
        errors["name"] = i18n.t("console.kinerja.holiday.bad_name")
    if errors:
        return _page(errors, values, 422)
    with runtime().sessions.begin() as session:
        add_local_holiday(session, day, values["name"], operator().username)
    return redirect(url_for("console.kinerja.kinerja") + "#libur", 303)


@bp.post("/libur/<day>/hapus")
@coordinator_only
def remove_holiday(day: str):
    try:
        when = date.fromisoformat(day)
    except ValueError:
        return _page({"day": i18n.t("console.kinerja.holiday.bad_day")}, {}, 404)
    with runtime().sessions.begin() as session:
        remove_local_holiday(session, when)
    return redirect(url_for("console.kinerja.kinerja") + "#libur", 303)
