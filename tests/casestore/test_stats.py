"""Intake counts per channel and hour, and the "unusually silent" judgement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casestore.models import Message
from casestore.stats import (
    SILENCE_EXPECTED_MESSAGES,
    channel_activity,
    expected_messages,
    hour_of_day_profile,
    intake_by_hour,
)

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)  # 16:30 WIB, a Saturday


def add(runtime, channel, times, direction="in"):
    with runtime.sessions.begin() as db:
        for n, at in enumerate(times):
            db.add(
                Message(
                    direction=direction,
                    channel=channel,
                    external_id=f"{channel}-{direction}-{n}-{at.timestamp()}",
                    status="received",
                    received_at=at,
                )
            )


def office_hours(days: int, end: datetime, per_hour: int = 6) -> list[datetime]:
    """Messages 01:00-10:00 UTC (08:00-17:00 WIB) every day, nothing at night."""
    times = []
    for day in range(1, days + 1):
        base = (end - timedelta(days=day)).replace(hour=1, minute=0, second=0, microsecond=0)
        for hour in range(9):
            for k in range(per_hour):
                times.append(base + timedelta(hours=hour, minutes=k * (60 // per_hour)))
    return times


def test_counts_ignore_outbound_and_other_channels(runtime):
    add(runtime, "sms", [NOW - timedelta(minutes=10), NOW - timedelta(hours=5)])
    add(runtime, "sms", [NOW - timedelta(minutes=1)], direction="out")
    add(runtime, "web", [NOW - timedelta(minutes=2)])
    with runtime.sessions() as db:
        activity = channel_activity(db, "sms", NOW)
    assert (activity.last_hour, activity.last_day) == (1, 2)
    assert activity.last_received_at == NOW - timedelta(minutes=10)
    assert not activity.silent  # too little history to judge


def test_intake_by_hour_has_48_buckets_in_order(runtime):
    add(runtime, "sms", [NOW - timedelta(minutes=5), NOW - timedelta(minutes=20)])
    add(runtime, "sms", [NOW - timedelta(hours=47, minutes=10), NOW - timedelta(hours=49)])
    with runtime.sessions() as db:
        intake = intake_by_hour(db, ["sms", "web"], NOW)
    assert len(intake.hours) == 48
    assert intake.hours[-1] == NOW.replace(minute=0)
    assert intake.counts["sms"][-1] == 2
    assert intake.counts["sms"][0] == 1  # 47h10m ago falls in the first bucket; 49h does not
    assert sum(intake.counts["sms"]) == 3 and sum(intake.counts["web"]) == 0
    assert intake.peak == 2


def test_silence_in_office_hours_is_flagged_but_not_at_night(runtime):
    history = office_hours(7, NOW.replace(hour=0))
    add(runtime, "sms", history)
    last = max(history)  # 09:50 UTC yesterday
    with runtime.sessions() as db:
        evening = channel_activity(db, "sms", last + timedelta(hours=10))  # 03:50 WIB
        next_day = channel_activity(db, "sms", last + timedelta(hours=17))  # 10:50 WIB
    assert not evening.silent and evening.expected_in_silence < SILENCE_EXPECTED_MESSAGES
    assert next_day.silent and next_day.expected_in_silence >= SILENCE_EXPECTED_MESSAGES


def test_expected_messages_integrates_partial_hours():
    profile = [0.0] * 24
    profile[3] = 6.0
    start = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)
    assert expected_messages(profile, start, start + timedelta(hours=1)) == pytest.approx(3.0)
    assert expected_messages(profile, start, start) == 0
    # Beyond the cap whole days count at the daily rate.
    month = expected_messages(profile, start, start + timedelta(days=30), cap_hours=24)
    assert month == pytest.approx(6.0 * 30, rel=0.05)


def test_hour_of_day_profile_averages_over_the_days():
    counts = {datetime(2026, 11, d, 4, tzinfo=UTC): 7 for d in range(1, 8)}
    profile = hour_of_day_profile(counts)
    assert profile[4] == pytest.approx(7.0) and sum(profile) == pytest.approx(7.0)
