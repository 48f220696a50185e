"""Working days and LAPOR! deadlines: weekends, national holidays and cuti bersama, local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from casestore.clock import (
    ANSWER_DAYS,
    FOLLOW_UP_DAYS,
    HARD_LIMIT_DAYS,
    VERIFY_DAYS,
    Clock,
    add_working_days,
    deadline,
    hard_limit,
    holidays_in,
    is_working_day,
    working_days_between,
)

WIB = ZoneInfo("Asia/Jakarta")


def wib(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WIB)


def named(year: int, english_name: str) -> date:
    """A holiday's date as the holidays package has it (so Idul Fitri is never hard-coded)."""
    days = holidays.country_holidays("ID", years=year, language="en_US")
    return min(day for day, name in days.items() if name.startswith(english_name))


def test_weekends_are_not_working_days():
    assert add_working_days(wib(2026, 11, 27), 1) == wib(2026, 11, 30)  # Fri -> Mon
    assert add_working_days(wib(2026, 11, 28), 1) == wib(2026, 11, 30)  # Sat -> Mon
    assert add_working_days(wib(2026, 11, 30), 5) == wib(2026, 12, 7)  # Mon -> next Mon


def test_christmas_and_its_joint_leave_day_are_skipped():
    christmas = named(2026, "Christmas Day")
    assert christmas == date(2026, 12, 25)
    # Christmas Eve 2026 is cuti bersama: offices are closed, the clock does not run.
    assert date(2026, 12, 24) in holidays_in(2026)
    assert not is_working_day(date(2026, 12, 24)) and not is_working_day(christmas)
    # Wednesday 23 December + 1 working day: Thu 24 (leave), Fri 25 (Christmas), weekend.
    assert add_working_days(wib(2026, 12, 23), 1) == wib(2026, 12, 28)
    # Verification clock of a complaint received that Wednesday: Mon, Tue, Wed next week.
    assert add_working_days(wib(2026, 12, 23), VERIFY_DAYS) == wib(2026, 12, 30)
    # New Year's Day 2027 is a Friday holiday too.
    assert add_working_days(wib(2026, 12, 31), 1) == wib(2027, 1, 4)


@pytest.mark.parametrize("year", [2026, 2027])
def test_idul_fitri_is_skipped_whatever_its_date(year: int):
    eid = named(year, "Eid al-Fitr")
    start = datetime.combine(eid - timedelta(days=10), time(9), tzinfo=WIB)
    result = add_working_days(start, 10)
    local = result.astimezone(WIB).date()
    assert is_working_day(local) and local > eid
    days = [start.date() + timedelta(days=n) for n in range(1, (local - start.date()).days + 1)]
    assert sum(is_working_day(d) for d in days) == 10
    assert not is_working_day(eid) and not is_working_day(eid + timedelta(days=1))
    # The clock runs past the holiday: more calendar days than working days.
    assert (local - start.date()).days > 14


def test_days_are_counted_in_local_time():
    # Friday 20:00 UTC is already Saturday 03:00 in Jakarta: the next working day is Monday.
    friday_evening_utc = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert add_working_days(friday_evening_utc, 1) == wib(2026, 11, 30, 3, 0)
    # Counted in UTC the same instant is still Friday: a different Monday time.
    assert add_working_days(friday_evening_utc, 1, "UTC") == datetime(
        2026, 11, 30, 20, 0, tzinfo=UTC
    )
    assert add_working_days(friday_evening_utc, 1).tzinfo == UTC


def test_zero_and_negative_counts():
    start = wib(2026, 12, 28)  # Monday after Christmas
    assert add_working_days(start, 0) == start
    assert add_working_days(start, -1) == wib(2026, 12, 23)  # back over the holiday
    assert add_working_days(add_working_days(start, 7), -7) == start


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        add_working_days(datetime(2026, 12, 1, 10, 0), 1)


def test_working_days_between():
    assert working_days_between(wib(2026, 12, 23), wib(2026, 12, 28)) == 1
    assert working_days_between(wib(2026, 12, 28), wib(2026, 12, 23)) == -1
    assert working_days_between(wib(2026, 12, 1), wib(2026, 12, 1, 18)) == 0
    start = wib(2026, 3, 2)
    assert working_days_between(start, add_working_days(start, 23)) == 23


def test_hard_limit_is_sixty_working_days():
    received = wib(2026, 12, 1)
    assert working_days_between(received, hard_limit(received)) == HARD_LIMIT_DAYS


RECEIVED = wib(2026, 12, 21, 9)  # Monday before Christmas
NOW = wib(2026, 12, 23, 15)  # Wednesday


@pytest.mark.parametrize(
    ("clock", "due", "warn"),
    [
        (Clock.VERIFY, add_working_days(RECEIVED, VERIFY_DAYS), NOW),  # due Mon 28, warn now
        (Clock.REDISPATCH, add_working_days(NOW, VERIFY_DAYS), add_working_days(NOW, 2)),
        (
            Clock.FOLLOW_UP,
            add_working_days(NOW, FOLLOW_UP_DAYS),
            add_working_days(NOW, FOLLOW_UP_DAYS - 1),
        ),
        (Clock.RESOLUTION, hard_limit(RECEIVED), add_working_days(hard_limit(RECEIVED), -1)),
        (Clock.ANSWER, add_working_days(NOW, ANSWER_DAYS), None),
        (Clock.STOPPED, None, None),
    ],
)
def test_deadline_per_clock(clock, due, warn):
    found = deadline(clock, now=NOW, received_at=RECEIVED, hard_due_at=None)
    assert (found.clock, found.due_at, found.warn_at) == (clock, due, warn)


def test_verify_deadline_crosses_christmas():
    found = deadline(Clock.VERIFY, now=RECEIVED, received_at=RECEIVED, hard_due_at=None)
    assert found.due_at == wib(2026, 12, 28, 9)  # Tue 22, Wed 23, (24-27 off), Mon 28
    assert found.warn_at == wib(2026, 12, 23, 9)  # one working day before: Wednesday


def test_every_owner_clock_is_capped_by_the_hard_limit():
    hard = wib(2026, 12, 24, 9)
    found = deadline(Clock.FOLLOW_UP, now=NOW, received_at=RECEIVED, hard_due_at=hard)
    assert found.due_at == hard
    assert found.warn_at == NOW  # less than a working day left: warn at once
    # The citizen's answer window is not the owner's deadline and is not capped.
    answer = deadline(Clock.ANSWER, now=NOW, received_at=RECEIVED, hard_due_at=hard)
    assert answer.due_at == add_working_days(NOW, ANSWER_DAYS)
