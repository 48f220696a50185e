"""The scoreboard's figures from a seeded history whose answers are worked out by hand: a
local holiday inside the clocks, a bounce, a case past its hard limit, a confidential case
and two cases either side of a local month boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casestore import complaints as store
from casestore.lifecycle import Action, apply_action, start_clocks
from casestore.models import LocalHoliday, Rating
from casestore.scoreboard import MIN_CASES, Period, WorkingCalendar, month_starts, scoreboard
from tests.case_records import complaint_record

TZ = "Asia/Jakarta"
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NOVEMBER = Period(
    "2026-11", datetime(2026, 10, 31, 17, 0, tzinfo=UTC), datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
)
_serial = iter(range(1, 10**6))


def at(day: int, hour: int = 3, month: int = 11) -> datetime:  # 03:00 UTC is 10:00 WIB
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def case(session, received_at=None, *, privacy="public", category="jalan", kec="11.04.01"):
    n = next(_serial)
    complaint = store.open_complaint(
        session,
        complaint_record(
            f"sms:sb{n}",
            received_at or at(2),
            privacy=privacy,
            category=category,
            kecamatan_code=kec,
        ),
        tracking_id=f"SB{n:08d}",
        contact=None,
        owner_unit="diskominfo",
    )
    start_clocks(complaint, TZ)
    session.flush()
    return complaint


def act(session, complaint, action, when, **fields):
    apply_action(session, complaint, action, actor="op", now=when, tz=TZ, **fields)


def dispatched(session, to="dinas-pupr", **kw):
    complaint = case(session, **kw)
    act(session, complaint, Action.VERIFY, at(2, 3))
    act(session, complaint, Action.DISPATCH, at(2, 4), unit=to)
    return complaint


@pytest.fixture
def history(store_session):
    s = store_session
    s.add(LocalHoliday(day=date(2026, 11, 4), name="Hari jadi Takengon", added_by="koord"))
    a = dispatched(s)
    act(s, a, Action.START, at(5))  # 3 Nov, (4 Nov closed), 5 Nov: 2 working days
    act(s, a, Action.RESOLVE, at(9), message_to_reporter="Sudah diperbaiki")  # 3,5,6,9: 4
    b = dispatched(s, category="air", kec="11.04.02")
    act(s, b, Action.START, at(3))
    act(s, b, Action.RESOLVE, at(3), message_to_reporter="Selesai")  # 1
    c = dispatched(s)
    act(s, c, Action.START, at(6))  # 3, 5, 6: 3
    c.hard_due_at = at(9)  # a stricter local SOP: resolved after its hard limit
    act(s, c, Action.RESOLVE, at(10), message_to_reporter="Selesai")  # 3,5,6,9,10: 5
    d = dispatched(s)
    act(s, d, Action.BOUNCE, at(3), reason="not_authority")  # first response: 1
    act(s, d, Action.DISPATCH, at(5), unit="dinas-perkim")
    dispatched(s)  # never answered: overdue by 1 December
    secret = dispatched(s, privacy="confidential", category="air", kec="11.04.03")
    act(s, secret, Action.START, at(3))
    case(s, datetime(2026, 10, 31, 18, 0, tzinfo=UTC), kec="11.04.02")  # 1 Nov 01:00 WIB
    case(s, datetime(2026, 10, 31, 16, 0, tzinfo=UTC))  # 31 Oct 23:00 WIB: October
    for complaint, score in ((a, 5), (b, 2)):
        s.add(
            Rating(
                complaint_id=complaint.id,
                score=score,
                comment="kata-kata warga",
                channel="sms",
                unit_code="dinas-pupr",
                low=score <= 2,
                rated_at=at(12),
            )
        )
    s.flush()
    return scoreboard(s, NOVEMBER, NOW, TZ)


def rows(figures):
    return {row.key: row for row in figures}


def test_unit_figures_count_working_days_without_the_local_holiday(history):
    pupr = rows(history.units)["dinas-pupr"]
    assert pupr.received == 5 and pupr.enough
    assert pupr.median_first_response == 1.5  # [2, 1, 3, 1]
    assert pupr.median_resolution == 4.0  # [4, 1, 5]
    assert (pupr.on_time, pupr.decided) == (2, 3)
    assert pupr.on_time_share == pytest.approx(2 / 3)
    assert (pupr.bounces_given, pupr.bounces_received) == (1, 0)
    assert pupr.open_overdue == 1
    assert (pupr.rating_average, pupr.rating_count) == (3.5, 2)


def test_a_unit_with_too_few_cases_is_not_ranked(history):
    perkim = rows(history.units)["dinas-perkim"]
    assert perkim.received == 1 < MIN_CASES and not perkim.enough
    assert perkim.bounces_received == 1
    assert perkim.on_time_share is None
    ranked = [row.key for row in history.units]
    assert ranked.index("dinas-pupr") < ranked.index("dinas-perkim")


def test_confidential_cases_count_in_totals_only(history):
    assert history.total_received == 7  # six public (one just after midnight WIB) + one secret
    assert history.confidential_received == 1
    assert "11.04.03" not in rows(history.kecamatan)
    assert rows(history.category)["air"].received == 1
    assert sum(r.received for r in history.channel) == 6
    assert sum(count for _, count in history.months) == 6 + 1  # October's case too
    assert rows(history.units)["dinas-pupr"].received == 5


def test_groups_and_months_follow_local_time(history):
    kec = rows(history.kecamatan)
    assert kec["11.04.01"].received == 4 and kec["11.04.02"].received == 2
    months = dict(history.months)
    assert history.months[0][0] == "2025-12" and history.months[-1][0] == "2026-11"
    assert (months["2026-10"], months["2026-11"]) == (1, 6)
    assert rows(history.category)["jalan"].median_resolution == 4.5  # [4, 5]


def test_calendar_and_months_without_a_database():
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(TZ)
    calendar = WorkingCalendar(date(2026, 12, 1), date(2027, 1, 10), zone)
    # 24 and 25 December are cuti bersama and Christmas; 1 January is New Year.
    assert calendar.between(at(23, month=12), datetime(2026, 12, 28, 3, tzinfo=UTC)) == 1
    assert calendar.between(at(31, month=12), datetime(2027, 1, 2, 3, tzinfo=UTC)) == 0
    assert month_starts(NOVEMBER.end, zone)[-1] == date(2026, 11, 1)
    assert len(month_starts(NOVEMBER.end, zone)) == 12
