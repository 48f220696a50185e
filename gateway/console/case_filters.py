"""The case list's filters as the URL carries them: read, checked, and written back.

One reader for the list (cases.py), its export (export.py) and bulk actions (bulk.py), so an
export is exactly the list the operator was looking at. A value that is not a known code, a
date that is not a date or a page size not offered is ignored, never an error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from casestore.casework import PER_PAGE_CHOICES, SORTS, CaseFilters
from casestore.lifecycle import Status
from gateway.console.auth import operator
from gateway.context import runtime
from gateway.i18n import language
from normalizer.records import Channel
from normalizer.tracking import normalize_tracking_id

DESA_LEVEL = 4  # the gazetteer's levels: 3 kecamatan, 4 desa/kelurahan
CODE_FILTERS = ("status", "channel", "unit", "category", "kecamatan", "desa")
# Everything a saved list URL may carry (the page number is added by the pager).
FILTER_NAMES = (
    *CODE_FILTERS,
    "overdue",
    "q",
    "received_from",
    "received_to",
    "sort",
    "per_page",
    "unread",
)


def choices() -> dict[str, dict[str, str]]:
    """Every value a filter may take, with the label an operator reads."""
    rt = runtime()
    english = language() == "en"
    kecamatan = {p.code: p.name for p in rt.places if p.level == 3}
    # Desa names repeat across kecamatan (several "Kampung Baru"): say which one.
    villages = sorted((p for p in rt.places if p.level == DESA_LEVEL), key=lambda p: p.name)
    desa = {p.code: f"{p.name} ({kecamatan.get(p.parent_code, '')})" for p in villages}
    return {
        "status": {s.value: s.value for s in Status},
        "channel": {c.value: c.value for c in Channel},
        "unit": {u.code: (u.name_en if english and u.name_en else u.name) for u in rt.units},
        "category": {
            c.code: (c.name_en if english and c.name_en else c.name) for c in rt.categories
        },
        "kecamatan": kecamatan,
        "desa": desa,
    }


def desa_names() -> dict[str, str]:
    """Each desa's own name, for a row that already names its kecamatan."""
    return {p.code: p.name for p in runtime().places if p.level == DESA_LEVEL}


def _local_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()[:10]) if raw else None
    except ValueError:
        return None


def _day_start(day: date) -> datetime:
    zone = ZoneInfo(runtime().settings.timezone)
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def read_filters(args, known: dict[str, dict[str, str]] | None = None) -> CaseFilters:
    """Filters from the query string; a value that is not a known code is ignored."""
    known = known or choices()
    picked = {}
    for name in CODE_FILTERS:
        value = args.get(name, "")
        picked[name] = value if value in known[name] else None
    if not operator().is_coordinator:
        picked["unit"] = None  # a unit sees its own cases only; the scope says so already
    query = args.get("q", "")[:200]
    first, last = _local_day(args.get("received_from")), _local_day(args.get("received_to"))
    sort = args.get("sort", "")
    return CaseFilters(
        **picked,
        overdue=args.get("overdue") in {"1", "on", "true"},
        query=query,
        tracking_id=normalize_tracking_id(query.strip()) if query.strip() else None,
        received_from=_day_start(first) if first else None,
        # "to 5 December" means all of 5 December, local time.
        received_until=_day_start(last + timedelta(days=1)) if last else None,
        sort=sort if sort in SORTS else "received",
    )


def per_page(args) -> int:
    """25, 50 or 100 cases a page; anything else is the first."""
    raw = args.get("per_page", "")
    return int(raw) if raw in {str(n) for n in PER_PAGE_CHOICES} else PER_PAGE_CHOICES[0]


def kept(args) -> dict[str, str]:
    """The list's filters as given, to carry into the pager, the export and bulk actions."""
    return {name: args.get(name) for name in FILTER_NAMES if args.get(name)}
