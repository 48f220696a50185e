"""Periodic jobs are enqueued once per slot, however many schedulers run."""

from __future__ import annotations

import pytest

from dispatcher import schedule
from dispatcher.queues import MAINTENANCE, queue


@pytest.fixture
def periodic(monkeypatch):
    jobs = [
        schedule.PeriodicJob("tick", "dispatcher.schedule.PeriodicJob", every_seconds=60),
        schedule.PeriodicJob(
            "off", "dispatcher.schedule.PeriodicJob", every_seconds=60, enabled=lambda s: False
        ),
    ]
    monkeypatch.setattr(schedule, "PERIODIC_JOBS", jobs)
    return jobs


def test_two_schedulers_enqueue_a_slot_once(runtime, periodic):
    now = 1_800_000_000.0
    assert schedule.enqueue_due(runtime.redis, runtime.settings, now) == ["tick"]
    assert schedule.enqueue_due(runtime.redis, runtime.settings, now + 5) == []
    assert queue(MAINTENANCE, runtime.redis).count == 1


def test_the_next_slot_is_enqueued_again(runtime, periodic):
    now = 1_800_000_000.0
    schedule.enqueue_due(runtime.redis, runtime.settings, now)
    assert schedule.enqueue_due(runtime.redis, runtime.settings, now + 60) == ["tick"]
    assert queue(MAINTENANCE, runtime.redis).count == 2


def test_periodic_job_names_are_unique():
    names = [job.name for job in schedule.PERIODIC_JOBS]
    assert len(names) == len(set(names))
