"""The public scoreboard's figures (issue 20): how each unit, kecamatan, category and channel
answers complaints in a period, from aggregate SQL over complaints and their events.

Counts are GROUP BY queries; the medians need working days (weekends, national holidays, cuti
bersama and the district's local holidays skipped), so for them one query returns only the
(group, start, end) pairs of the period and a ``WorkingCalendar`` counts each pair with a
bisect, no per-day loop. Nothing here reads a name, a contact, a body or a note.

Confidential cases count in the period's totals only: every breakdown leaves them out, so a
small kecamatan or a rare category can never point at one. A group with fewer than
``MIN_CASES`` cases gets its counts but no shares or medians (``enough`` is False): a unit
with two cases is not ranked on them.
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, select, union
from sqlalchemy.orm import Session, aliased

from casestore.accountability import local_holiday_days
from casestore.clock import holidays_in
from casestore.models import Complaint, Rating, StatusEvent, Unit
from casestore.vocabulary import WATCHED_STATUSES, Action

MIN_CASES = 5  # fewer cases than this: counts only, no share, median or rank
CONFIDENTIAL = "confidential"
# What counts as a unit's first response to a dispatch: it acted on the case.
RESPONSES = (Action.START, Action.REPLY, Action.RESOLVE, Action.BOUNCE, Action.ASK_REPORTER)
GROUPS = ("kecamatan", "category", "channel")


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; ``key`` is how the page and the open data name it."""

    key: str
    start: datetime
    end: datetime


@dataclass
class Figures:
    """One row of the scoreboard: a unit, a kecamatan, a category or a channel."""

    key: str
    received: int = 0
    resolved: int = 0
    on_time: int = 0  # resolved on or before the case's hard limit
    decided: int = 0  # resolved, or still open past the hard limit
    open_overdue: int = 0
    median_first_response: float | None = None  # units only: dispatch to first action
    median_resolution: float | None = None  # working days, receipt to resolution
    bounces_given: int = 0
    bounces_received: int = 0
    rating_average: float | None = None
    rating_count: int = 0

    @property
    def enough(self) -> bool:
        return self.received >= MIN_CASES

    @property
    def on_time_share(self) -> float | None:
        if not self.enough or not self.decided:
            return None
        return self.on_time / self.decided


@dataclass
class Scoreboard:
    period: Period
    computed_at: datetime
    total_received: int
    confidential_received: int
    units: list[Figures] = field(default_factory=list)
    kecamatan: list[Figures] = field(default_factory=list)
    category: list[Figures] = field(default_factory=list)
    channel: list[Figures] = field(default_factory=list)
    months: list[tuple[str, int]] = field(default_factory=list)  # ("2026-11", count), oldest first
    unit_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (id, en)


class WorkingCalendar:
    """Working days between two moments, as casestore.clock counts them, plus local holidays."""

    def __init__(self, first: date, last: date, tz: ZoneInfo, local: Iterable[date] = ()):
        closed = set(local)
        days, day = [], first
        while day <= last:
            if day.weekday() < 5 and day not in holidays_in(day.year) and day not in closed:
                days.append(day)
            day += timedelta(days=1)
        self.days, self.tz = days, tz

    def between(self, start: datetime, end: datetime) -> int:
        """Working days after ``start``'s local date up to and including ``end``'s."""
        a, b = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        return max(0, bisect.bisect_right(self.days, b) - bisect.bisect_right(self.days, a))


def _in_period(period: Period, *, breakdown: bool) -> tuple[Any, ...]:
    where = [Complaint.received_at >= period.start, Complaint.received_at < period.end]
    if breakdown:
        where.append(Complaint.privacy != CONFIDENTIAL)
    return tuple(where)


def _resolved_at() -> Any:
    """complaint id -> when it was first resolved."""
    return (
        select(StatusEvent.complaint_id.label("cid"), func.min(StatusEvent.created_at).label("at"))
        .where(StatusEvent.kind == Action.RESOLVE)
        .group_by(StatusEvent.complaint_id)
        .subquery()
    )


def _counts(session: Session, key: Any, period: Period, now: datetime) -> dict[str, Figures]:
    """Received, resolved, on time, decided and open overdue per value of ``key``."""
    resolved = _resolved_at()
    open_past_hard = and_(
        resolved.c.at.is_(None),
        Complaint.status.in_(list(WATCHED_STATUSES)),
        Complaint.hard_due_at < now,
    )
    overdue = and_(Complaint.status.in_(list(WATCHED_STATUSES)), Complaint.due_at < now)
    on_time = and_(resolved.c.at.is_not(None), resolved.c.at <= Complaint.hard_due_at)

    def total(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = session.execute(
        select(
            key,
            func.count(),
            total(resolved.c.at.is_not(None)),
            total(on_time),
            total(open_past_hard),
            total(overdue),
        )
        .select_from(Complaint)
        .outerjoin(resolved, resolved.c.cid == Complaint.id)
        .where(*_in_period(period, breakdown=True))
        .group_by(key)
    )
    found = {}
    for value, received, done, timely, late_open, late in rows:
        name = value or ""
        found[name] = Figures(
            name, int(received), int(done), int(timely), int(done) + int(late_open), int(late)
        )
    return found


def _medians(pairs: Iterable[tuple[Any, ...]], calendar: WorkingCalendar):
    """Median working days per key of (key, start, end[, paused working days]) rows: the
    days a case waited for its reporter with its clocks paused are not the owner's."""
    spans: dict[str, list[int]] = defaultdict(list)
    for key, start, end, *paused in pairs:
        spans[key or ""].append(max(0, calendar.between(start, end) - int((paused or [0])[0] or 0)))
    return {key: float(statistics.median(values)) for key, values in spans.items()}


def _resolution_pairs(session: Session, key: Any, period: Period) -> Any:
    resolved = _resolved_at()
    return session.execute(
        select(key, Complaint.received_at, resolved.c.at, Complaint.paused_working_days)
        .join(resolved, resolved.c.cid == Complaint.id)
        .where(*_in_period(period, breakdown=True))
    )


def _set_medians(figures: dict[str, Figures], medians: dict[str, float], name: str) -> None:
    for key, value in medians.items():
        row = figures.setdefault(key, Figures(key))
        setattr(row, name, value)


def _grouped(
    session: Session, column: Any, period: Period, now: datetime, calendar: WorkingCalendar
) -> list[Figures]:
    figures = _counts(session, column, period, now)
    _set_medians(
        figures,
        _medians(_resolution_pairs(session, column, period), calendar),
        "median_resolution",
    )
    return _ranked(figures.values())


def _ranked(rows: Iterable[Figures]) -> list[Figures]:
    """Rankable rows by share on time (best first), then the ones with too few cases."""
    rows = list(rows)
    fair = [r for r in rows if r.on_time_share is not None]
    fair.sort(key=lambda r: (-(r.on_time_share or 0), -r.received, r.key))
    rest = sorted((r for r in rows if r.on_time_share is None), key=lambda r: (-r.received, r.key))
    return fair + rest


def _unit_rows(
    session: Session, period: Period, now: datetime, calendar: WorkingCalendar
) -> list[Figures]:
    """Per unit: the cases it ever held (dispatched to it or owned by it), with resolution
    figures for the cases it owns, its first responses and its bounces."""
    figures = _counts(session, Complaint.owner_unit, period, now)
    for row in figures.values():  # received is recounted below from every case it held
        row.received = 0
    held = union(
        select(StatusEvent.to_unit.label("unit"), StatusEvent.complaint_id.label("cid")).where(
            StatusEvent.kind == Action.DISPATCH
        ),
        select(Complaint.owner_unit.label("unit"), Complaint.id.label("cid")),
    ).subquery()
    for unit, count in session.execute(
        select(held.c.unit, func.count(func.distinct(held.c.cid)))
        .join(Complaint, Complaint.id == held.c.cid)
        .where(*_in_period(period, breakdown=True))
        .group_by(held.c.unit)
    ):
        figures.setdefault(unit, Figures(unit)).received = int(count)
    _set_medians(
        figures,
        _medians(_resolution_pairs(session, Complaint.owner_unit, period), calendar),
        "median_resolution",
    )
    _set_medians(
        figures, _medians(_first_responses(session, period), calendar), "median_first_response"
    )
    _bounces(session, period, figures)
    _ratings(session, period, figures)
    return _ranked(figures.values())


def _first_responses(session: Session, period: Period) -> Any:
    dispatch, answer = aliased(StatusEvent), aliased(StatusEvent)
    first_action = (
        select(func.min(answer.created_at))
        .where(
            answer.complaint_id == dispatch.complaint_id,
            answer.id > dispatch.id,
            answer.kind.in_([a.value for a in RESPONSES]),
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(dispatch.to_unit, dispatch.created_at, first_action)
        .join(Complaint, Complaint.id == dispatch.complaint_id)
        .where(dispatch.kind == Action.DISPATCH, *_in_period(period, breakdown=True))
    )
    return ((unit, start, end) for unit, start, end in rows if end is not None)


def _bounces(session: Session, period: Period, figures: dict[str, Figures]) -> None:
    """Given: the unit said "bukan wewenang". Received: it was dispatched a case another unit
    had bounced before."""
    for unit, count in session.execute(
        select(StatusEvent.from_unit, func.count())
        .join(Complaint, Complaint.id == StatusEvent.complaint_id)
        .where(StatusEvent.kind == Action.BOUNCE, *_in_period(period, breakdown=True))
        .group_by(StatusEvent.from_unit)
    ):
        figures.setdefault(unit or "", Figures(unit or "")).bounces_given = int(count)
    dispatch, bounce = aliased(StatusEvent), aliased(StatusEvent)
    bounced_before = (
        select(literal(1))
        .where(
            bounce.complaint_id == dispatch.complaint_id,
            bounce.kind == Action.BOUNCE,
            bounce.id < dispatch.id,
            bounce.from_unit != dispatch.to_unit,
        )
        .exists()
    )
    for unit, count in session.execute(
        select(dispatch.to_unit, func.count())
        .join(Complaint, Complaint.id == dispatch.complaint_id)
        .where(
            dispatch.kind == Action.DISPATCH, bounced_before, *_in_period(period, breakdown=True)
        )
        .group_by(dispatch.to_unit)
    ):
        figures.setdefault(unit or "", Figures(unit or "")).bounces_received = int(count)


def _ratings(session: Session, period: Period, figures: dict[str, Figures]) -> None:
    for unit, average, count in session.execute(
        select(Rating.unit_code, func.avg(Rating.score), func.count())
        .join(Complaint, Complaint.id == Rating.complaint_id)
        .where(*_in_period(period, breakdown=True))
        .group_by(Rating.unit_code)
    ):
        row = figures.setdefault(unit, Figures(unit))
        row.rating_average, row.rating_count = round(float(average), 2), int(count)


def _month_key(session: Session, tz: ZoneInfo, now: datetime) -> Any:
    """received_at's local month as 'YYYY-MM' (Indonesia keeps no summer time, so a fixed
    offset is exact)."""
    offset = now.astimezone(tz).utcoffset() or timedelta(0)
    if session.get_bind().dialect.name == "postgresql":
        shifted = func.timezone("UTC", Complaint.received_at) + offset
        return func.to_char(shifted, "YYYY-MM")
    return func.strftime(
        "%Y-%m", func.datetime(Complaint.received_at, f"{int(offset.total_seconds())} seconds")
    )


def month_starts(end: datetime, tz: ZoneInfo, count: int = 12) -> list[date]:
    """The first days of the ``count`` local months up to the one holding ``end`` (exclusive
    end: a period ending at 1 December ends with November)."""
    last = (end - timedelta(microseconds=1)).astimezone(tz).date().replace(day=1)
    months = [last]
    while len(months) < count:
        prev = months[-1] - timedelta(days=1)
        months.append(prev.replace(day=1))
    return months[::-1]


def _months(session: Session, period: Period, tz: ZoneInfo, now: datetime) -> list[tuple[str, int]]:
    firsts = month_starts(period.end, tz)
    start = datetime.combine(firsts[0], datetime.min.time(), tzinfo=tz).astimezone(UTC)
    key = _month_key(session, tz, now)
    found = dict(
        session.execute(
            select(key, func.count())
            .where(
                Complaint.received_at >= start,
                Complaint.received_at < period.end,
                Complaint.privacy != CONFIDENTIAL,
            )
            .group_by(key)
        ).all()
    )
    return [(f"{d:%Y-%m}", int(found.get(f"{d:%Y-%m}", 0))) for d in firsts]


def scoreboard(session: Session, period: Period, now: datetime, tz: str) -> Scoreboard:
    """Every figure of the public scoreboard for ``period``, as of ``now``."""
    zone = ZoneInfo(tz)
    total, confidential = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Complaint.privacy == CONFIDENTIAL, 1), else_=0)), 0),
        ).where(*_in_period(period, breakdown=False))
    ).one()
    first = (period.start - timedelta(days=1)).astimezone(zone).date()
    last = max(now, period.end).astimezone(zone).date() + timedelta(days=1)
    calendar = WorkingCalendar(first, last, zone, local_holiday_days(session))
    columns = {
        "kecamatan": Complaint.kecamatan_code,
        "category": Complaint.category,
        "channel": Complaint.channel,
    }
    board = Scoreboard(period, now, int(total), int(confidential))
    board.units = _unit_rows(session, period, now, calendar)
    for name, column in columns.items():
        setattr(board, name, _grouped(session, column, period, now, calendar))
    board.months = _months(session, period, zone, now)
    board.unit_names = unit_names(session)
    return board


def unit_names(session: Session) -> dict[str, tuple[str, str]]:
    """unit code -> (name, English name), for the scoreboard's labels."""
    return {
        code: (name, name_en)
        for code, name, name_en in session.execute(select(Unit.code, Unit.name, Unit.name_en))
    }
