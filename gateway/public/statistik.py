"""The public scoreboard (issue 20): ``/statistik`` and its open data, no login.

What each unit, kecamatan, category and channel did with the complaints of a period (the
figures come from casestore/scoreboard.py, in aggregate SQL), charts drawn on the server
(gateway/public/statistik_chart.py) each with its table, and the same aggregates as CSV and
JSON under ``/statistik/data/<name>.csv|json`` (docs/statistik.md says what every field means).

Cheap to serve: one scoreboard per period is kept in the process for ``CACHE_SECONDS``, so a
busy day's visitors cost one set of queries a few minutes. Nothing here reads a name, a
contact, a complaint's words or an operator's note: the figures have none to give.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Response, abort, current_app, jsonify, render_template, request

from casestore.models import utcnow
from casestore.scoreboard import MIN_CASES, Figures, Period, Scoreboard, scoreboard
from gateway import i18n
from gateway.context import runtime
from gateway.public import statistik_chart as chart
from gateway.public.pages import bp
from gateway.submission import intake_rules

CACHE_SECONDS = 300
RECENT = "12b"  # the default period: the last twelve months, this one included
GROUP_FIELDS = (
    "key", "name", "received", "resolved", "on_time", "decided", "on_time_share",
    "open_overdue", "median_resolution", "enough",
)  # fmt: skip
UNIT_FIELDS = (
    *GROUP_FIELDS[:-1], "median_first_response", "bounces_given", "bounces_received",
    "rating_average", "rating_count", "enough",
)  # fmt: skip
DATASETS = ("summary", "units", "kecamatan", "category", "channel", "months")
CHANNEL_NAMES = {
    "id": {"sms": "SMS", "whatsapp": "WhatsApp", "twitter": "X (Twitter)", "web": "Situs web",
           "api": "API/aplikasi", "open311": "Open311", "email": "Surel", "loket": "Loket",
           "telepon": "Telepon", "surat": "Surat"},
    "en": {"sms": "SMS", "whatsapp": "WhatsApp", "twitter": "X (Twitter)", "web": "Website",
           "api": "API/app", "open311": "Open311", "email": "Email", "loket": "Front desk",
           "telepon": "Telephone", "surat": "Letter"},
}  # fmt: skip


def _local_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def parse_period(value: str, now: datetime, tz: str) -> Period:
    """``12b`` (or nothing): the last twelve local months; ``YYYY``: a year; ``YYYY-MM``: a
    month. ValueError for anything else."""
    zone = ZoneInfo(tz)
    value = (value or RECENT).strip()
    if value == RECENT:
        this_month = now.astimezone(zone).date().replace(day=1)
        first = this_month
        for _ in range(11):
            first = (first - timedelta(days=1)).replace(day=1)
        return Period(
            RECENT, _local_start(first, zone), _local_start(_next_month(this_month), zone)
        )
    try:
        if len(value) == 4 and value.isdigit():
            year = int(value)
            start, end = date(year, 1, 1), date(year + 1, 1, 1)
        elif len(value) == 7 and value[4] == "-" and value[:4].isdigit() and value[5:].isdigit():
            start = date(int(value[:4]), int(value[5:]), 1)
            end = _next_month(start)
        else:
            raise ValueError(value)
    except ValueError as error:
        raise ValueError(f"periode: {value!r}") from error
    if not 2000 <= start.year <= 2100:
        raise ValueError(f"periode: {value!r}")
    return Period(value, _local_start(start, zone), _local_start(end, zone))


def _board(period: Period) -> Scoreboard:
    """The period's scoreboard, from the cache while it is fresh."""
    cache: dict[str, tuple[float, Scoreboard]] = current_app.extensions.setdefault(
        "satupintu.statistik", {}
    )
    found = cache.get(period.key)
    if found and found[0] > time.monotonic():
        return found[1]
    rt = runtime()
    with rt.sessions() as session:
        board = scoreboard(session, period, utcnow(), rt.settings.timezone)
    if len(cache) > 64:  # periods people asked for; old ones go first
        cache.pop(next(iter(cache)))
    cache[period.key] = (time.monotonic() + CACHE_SECONDS, board)
    return board


def _period_or_400() -> Period:
    rt = runtime()
    try:
        return parse_period(request.args.get("periode", ""), utcnow(), rt.settings.timezone)
    except ValueError:
        abort(400, description=i18n.t("stat.bad_period"))


@dataclass(frozen=True)
class Labels:
    units: dict[str, str]
    kecamatan: dict[str, str]
    category: dict[str, str]
    channel: dict[str, str]

    def of(self, group: str, key: str) -> str:
        return getattr(self, group).get(key) or key or i18n.t("stat.unknown")


def _labels(board: Scoreboard) -> Labels:
    english = i18n.language() == "en"
    rules = intake_rules()
    names = board.unit_names
    return Labels(
        units={code: (en if english and en else name) for code, (name, en) in names.items()},
        kecamatan=dict(rules.kecamatan),
        category={
            c.code: (c.name_en if english and c.name_en else c.name)
            for c in rules.categories.values()
        },
        channel=CHANNEL_NAMES["en" if english else "id"],
    )


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return text.replace(".", ",") if i18n.language() == "id" else text


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _periods(now: datetime, tz: str) -> list[tuple[str, str]]:
    """The selector's choices: the last twelve months, each of them, and the last three years."""
    local = now.astimezone(ZoneInfo(tz)).date()
    choices = [(RECENT, i18n.t("stat.period.recent"))]
    day = local.replace(day=1)
    for _ in range(12):
        choices.append((f"{day:%Y-%m}", format_date(day, "LLLL y", locale=i18n.language())))
        day = (day - timedelta(days=1)).replace(day=1)
    for year in range(local.year, local.year - 3, -1):
        choices.append((str(year), i18n.t("stat.period.year").format(year=year)))
    return choices


@bp.get("/statistik")
def statistik():
    period = _period_or_400()
    board = _board(period)
    labels = _labels(board)
    rt = runtime()
    unit_chart = chart.share_bars(
        i18n.t("stat.units.chart"),
        [
            (
                labels.of("units", r.key),
                r.on_time_share,
                _share(r.on_time_share)
                if r.on_time_share is not None
                else i18n.t("stat.too_few").format(n=MIN_CASES),
            )
            for r in board.units
        ],
    )
    month_names = _month_names(board.months)
    charts = {
        "months": chart.month_bars(i18n.t("stat.months"), board.months, month_names),
        "units": unit_chart,
        **{
            group: chart.count_bars(
                i18n.t(f"stat.{group}"),
                [
                    (labels.of(group, r.key), r.received)
                    for r in sorted(getattr(board, group), key=lambda r: -r.received)
                ],
            )
            for group in ("kecamatan", "category", "channel")
        },
    }
    return render_template(
        "statistik.html",
        board=board,
        period=period,
        periods=_periods(utcnow(), rt.settings.timezone),
        labels=labels,
        charts=charts,
        number=_number,
        share=_share,
        min_cases=MIN_CASES,
        cache_minutes=CACHE_SECONDS // 60,
        datasets=DATASETS,
        month_names=month_names,
    )


def _month_names(months: list[tuple[str, int]]) -> dict[str, tuple[str, str]]:
    """ "2026-01" -> ("Januari 2026", "Jan") in the page's language, as the period selector
    names months (Babel's stand-alone month names); the open data keeps the codes."""
    locale = i18n.language()
    names = {}
    for key, _count in months:
        day = date(int(key[:4]), int(key[5:7]), 1)
        names[key] = (
            format_date(day, "LLLL y", locale=locale),
            format_date(day, "LLL", locale=locale),
        )
    return names


def _row(row: Figures, fields: tuple[str, ...], name: str) -> dict[str, Any]:
    """One exported row; shares and medians only where there are enough cases."""
    out: dict[str, Any] = {}
    for field in fields:
        if field == "name":
            out[field] = name
        elif field in ("median_resolution", "median_first_response") and not row.enough:
            out[field] = None
        elif field == "on_time_share":
            share = row.on_time_share
            out[field] = None if share is None else round(share, 4)
        else:
            out[field] = getattr(row, field)
    return out


def dataset(
    board: Scoreboard, name: str, labels: Labels
) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The named open-data table: its fields and rows."""
    if name == "summary":
        fields = (
            "period",
            "start",
            "end",
            "computed_at",
            "total_received",
            "confidential_received",
            "min_cases",
        )
        return fields, [
            {
                "period": board.period.key,
                "start": board.period.start.isoformat(),
                "end": board.period.end.isoformat(),
                "computed_at": board.computed_at.isoformat(),
                "total_received": board.total_received,
                "confidential_received": board.confidential_received,
                "min_cases": MIN_CASES,
            }
        ]
    if name == "months":
        return ("month", "received"), [{"month": m, "received": n} for m, n in board.months]
    fields = UNIT_FIELDS if name == "units" else GROUP_FIELDS
    group = "units" if name == "units" else name
    return fields, [_row(r, fields, labels.of(group, r.key)) for r in getattr(board, name)]


@bp.get("/statistik/data/<name>.<fmt>")
def statistik_data(name: str, fmt: str):
    if name not in DATASETS or fmt not in ("csv", "json"):
        abort(404)
    period = _period_or_400()
    board = _board(period)
    fields, rows = dataset(board, name, _labels(board))
    headers = {
        "Cache-Control": f"public, max-age={CACHE_SECONDS}",
        "Access-Control-Allow-Origin": "*",
    }
    if fmt == "json":
        response = jsonify(
            {"dataset": name, "period": period.key, "fields": list(fields), "rows": rows}
        )
        response.headers.update(headers)
        return response
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    headers["Content-Disposition"] = f'attachment; filename="statistik-{name}-{period.key}.csv"'
    return Response(out.getvalue(), mimetype="text/csv", headers=headers)
