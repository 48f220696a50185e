"""Working-day clocks: the LAPOR! deadlines, counted in the district's working days.

Pure calendar arithmetic, no I/O. A working day is Monday to Friday, minus Indonesia's
national holidays and the government's joint leave days (cuti bersama), both from the
``holidays`` package: on cuti bersama the offices that answer complaints are closed, so a
deadline that counted them would expire while nobody could act. Days are counted in local
time (``settings.timezone``, Asia/Jakarta for Aceh); times are returned in UTC.

The numbers come from the SLA policy (config/sla_policy.py, issue 20): ``deadline`` and
``hard_limit`` take a case's ``Terms`` (the national ones when none are given) and the
district's local holidays (``closed``), which the case store keeps and passes in.

Why here and not in ``dispatcher``: the lifecycle (casestore/lifecycle.py) sets ``due_at`` on
every transition, and casestore must not import the dispatcher (data flows one way).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from config.sla_policy import NATIONAL, Terms

DEFAULT_TIMEZONE = "Asia/Jakarta"
COUNTRY = "ID"
# "public": the national holidays; "government": cuti bersama, when government offices close.
HOLIDAY_CATEGORIES = ("public", "government")

# The LAPOR! clocks, in working days (the national terms; a case's own come from its policy).
VERIFY_DAYS = NATIONAL.verify_days  # verify (and dispatch) within 3 working days of receipt
FOLLOW_UP_DAYS = NATIONAL.follow_up_days  # the unit follows up within 5 of dispatch
ANSWER_DAYS = NATIONAL.answer_days  # the citizen may answer within 10 of resolution, then closed
HARD_LIMIT_DAYS = NATIONAL.hard_limit_days  # resolved within 60 of receipt, whatever happened
WARN_DAYS_BEFORE = NATIONAL.warn_days_before  # warn the owner one working day before a deadline


class Clock(StrEnum):
    """Which deadline a status runs against (stored on events so operators can read it)."""

    VERIFY = "verify"  # receipt + 3: verify and dispatch
    REDISPATCH = "redispatch"  # bounced: the coordinator re-dispatches within 3 from now
    FOLLOW_UP = "follow_up"  # dispatched (or reopened): the unit acts within 5 from now
    RESOLUTION = "resolution"  # in progress: the hard limit
    ANSWER = "answer"  # resolved: the citizen's window, then the case closes by itself
    WAIT = "wait"  # waiting for the reporter: the most it waits, then it goes on by policy
    STOPPED = "stopped"  # closed, rejected, archived, duplicate: no deadline


@dataclass(frozen=True)
class Deadline:
    """When a case is due, and when its owner is warned (None: no warning)."""

    clock: Clock
    due_at: datetime | None
    warn_at: datetime | None


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


@lru_cache(maxsize=32)
def holidays_in(year: int) -> frozenset[date]:
    """The holidays of ``year`` on which offices are closed: national ones and cuti bersama."""
    return frozenset(holidays.country_holidays(COUNTRY, years=year, categories=HOLIDAY_CATEGORIES))


def is_working_day(day: date, closed: Collection[date] = ()) -> bool:
    """Monday to Friday, not a national holiday or cuti bersama, not in ``closed`` (the
    district's local holidays)."""
    return day.weekday() < 5 and day not in holidays_in(day.year) and day not in closed


def add_working_days(
    start: datetime,
    n: int,
    tz: str | ZoneInfo = DEFAULT_TIMEZONE,
    closed: Collection[date] = (),
) -> datetime:
    """The same local time of day on the ``n``-th working day after ``start``'s local date
    (before it when ``n`` is negative), in UTC. ``n == 0`` returns ``start`` itself.

    Friday 10:00 + 1 is Monday 10:00; Saturday 10:00 + 1 is also Monday 10:00 (the count
    starts from the day after the start, working or not).
    """
    if start.tzinfo is None:
        raise ValueError("add_working_days needs a timezone-aware start")
    if n == 0:
        return start.astimezone(UTC)
    zone = _zone(tz)
    local = start.astimezone(zone)
    day, step, remaining = local.date(), (1 if n > 0 else -1), abs(n)
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day, closed):
            remaining -= 1
    return datetime.combine(day, local.time(), tzinfo=zone).astimezone(UTC)


def working_days_between(
    start: datetime,
    end: datetime,
    tz: str | ZoneInfo = DEFAULT_TIMEZONE,
    closed: Collection[date] = (),
) -> int:
    """Working days after ``start``'s local date up to and including ``end``'s (negative when
    ``end`` is earlier): how many working days a case has been waiting, or has left."""
    zone = _zone(tz)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        count += is_working_day(day, closed)
    return sign * count


def hard_limit(
    received_at: datetime,
    tz: str | ZoneInfo = DEFAULT_TIMEZONE,
    terms: Terms = NATIONAL,
    closed: Collection[date] = (),
) -> datetime:
    """The date by which a case must be resolved, whatever happens in between."""
    return add_working_days(received_at, terms.hard_limit_days, tz, closed)


def deadline(
    clock: Clock,
    *,
    now: datetime,
    received_at: datetime,
    hard_due_at: datetime | None,
    tz: str | ZoneInfo = DEFAULT_TIMEZONE,
    terms: Terms = NATIONAL,
    closed: Collection[date] = (),
) -> Deadline:
    """The deadline a case gets when ``clock`` starts at ``now``.

    Every clock but the citizen's answer window is capped by the hard limit, so ``due_at`` is
    the one date to watch. The warning falls one working day before it, or at ``now`` when
    less than that is left.
    """
    if clock is Clock.STOPPED:
        return Deadline(clock, None, None)
    if clock is Clock.ANSWER:
        return Deadline(clock, add_working_days(now, terms.answer_days, tz, closed), None)
    if clock is Clock.WAIT:
        return Deadline(clock, add_working_days(now, terms.max_wait_days, tz, closed), None)
    hard = hard_due_at or hard_limit(received_at, tz, terms, closed)
    due = {
        Clock.VERIFY: lambda: add_working_days(received_at, terms.verify_days, tz, closed),
        Clock.REDISPATCH: lambda: add_working_days(now, terms.verify_days, tz, closed),
        Clock.FOLLOW_UP: lambda: add_working_days(now, terms.follow_up_days, tz, closed),
        Clock.RESOLUTION: lambda: hard,
    }[clock]()
    due = min(due, hard)
    warn = max(add_working_days(due, -terms.warn_days_before, tz, closed), now)
    return Deadline(clock, due, warn)


def now() -> datetime:
    """The current time, aware UTC: the one reading of the wall clock that time-bound rules
    (WhatsApp's 24-hour window) take. Tests move it by replacing this function."""
    return datetime.now(UTC)
