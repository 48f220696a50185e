"""The scoreboard's figures from a seeded history whose answers are worked out by hand: a
local holiday inside the clocks, a bounce, a case past its hard limit, a confidential case
and two cases either side of a local month boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from casestore.models import Complaint
from casestore.scoreboard import MIN_CASES, WorkingCalendar, month_starts, scoreboard
from tests.scoreboard_history import NOVEMBER, NOW, TZ, at, seed


@pytest.fixture
def history(store_session):
    seed(store_session)
    return scoreboard(store_session, NOVEMBER, NOW, TZ)


def rows(figures):
    return {row.key: row for row in figures}


def test_unit_figures_count_working_days_without_the_local_holiday(history):
    pupr = rows(history.units)["dinas-pupr"]
    assert pupr.received == 5 and pupr.enough
    assert pupr.median_first_response == 1.5  # [2, 1, 2, 1]
    assert pupr.median_resolution == 4.0  # [4, 1, 4]
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
    assert rows(history.category)["jalan"].median_resolution == 4.0  # [4, 4]


def test_calendar_and_months_without_a_database():
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(TZ)
    calendar = WorkingCalendar(date(2026, 12, 1), date(2027, 1, 10), zone)
    # 24 and 25 December are cuti bersama and Christmas; 1 January is New Year.
    assert calendar.between(at(23, month=12), datetime(2026, 12, 28, 3, tzinfo=UTC)) == 1
    assert calendar.between(at(31, month=12), datetime(2027, 1, 2, 3, tzinfo=UTC)) == 0
    assert month_starts(NOVEMBER.end, zone)[-1] == date(2026, 11, 1)
    assert len(month_starts(NOVEMBER.end, zone)) == 12


def test_each_case_keeps_the_policy_in_force_when_it_was_received(store_session):
    seed(store_session)
    stamped = dict(
        store_session.execute(select(Complaint.tracking_id, Complaint.sla_policy_version)).all()
    )
    versions = sorted(stamped.values())
    assert versions.count("local-sop-2026-11") == 1  # the one case received from 3 November
    assert versions.count("permenpanrb-62-2018") == len(versions) - 1
    late = store_session.scalar(
        select(Complaint).where(Complaint.sla_policy_version == "local-sop-2026-11")
    )
    # 4 working days after 3 November, skipping the local holiday on the 4th: 10 November.
    assert late.hard_due_at == at(10, 2)
