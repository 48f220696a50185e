"""Retries and dead letters: what waits for a retry, what goes to the failed registry, and
`satupintu replay` putting it back after a fix."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select

from casestore.models import Complaint
from dispatcher import dead_letters
from dispatcher import runtime as runtime_module
from dispatcher.failures import is_transient, reason_of
from dispatcher.inbox import shard_keys, shard_of, waiting_records
from dispatcher.queues import INTAKE, MAINTENANCE, job_id, queue
from dispatcher.runtime import Runtime
from dispatcher.submit import DRAIN_RETRY, STORE_RETRY, submit
from gateway.cli import main
from normalizer import normalize
from normalizer.records import Channel, InboundMessage


def web_record(runtime, key: str, text: str = "Lampu jalan mati di Kampung Bale, Lut Tawar"):
    inbound = InboundMessage(
        channel=Channel.WEB,
        provider="webform",
        external_id=key,
        sender="tel:+6281234567890",
        text=text,
        received_at=datetime(2026, 11, 28, 3, 0, tzinfo=UTC),
        declared={"privacy": "public"},
    )
    return normalize(inbound, runtime.rules)


def complaints(runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Complaint))


@pytest.fixture
def database_down(runtime, tmp_path):
    """Jobs in this process meet a database that cannot be opened; yields, then restores."""
    broken = Runtime(runtime.settings.replace(database_url=f"sqlite:///{tmp_path}/gone/x.db"))
    broken.__dict__["redis"] = runtime.redis  # Redis is fine; only the database is away
    runtime_module.install(broken)
    yield broken
    broken.__dict__.pop("redis")
    runtime_module.install(runtime)


@pytest.fixture
def cli(cli_settings, monkeypatch):
    """`satupintu ...` against the test's Redis and database, as an operator runs it."""
    monkeypatch.setenv("COLUMNS", "240")  # whole job ids and reasons on one line

    def run(*args):
        return CliRunner().invoke(main, list(args))

    return run


def test_which_failures_are_transient():
    locked = sa_exc.OperationalError("UPDATE", {}, Exception("database is locked"))
    race = sa_exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
    bad_value = sa_exc.DataError("INSERT", {}, Exception("value too long"))
    assert is_transient(locked) and is_transient(race)
    assert is_transient(ConnectionRefusedError()) and is_transient(TimeoutError())
    assert not is_transient(bad_value) and not is_transient(KeyError("unit"))
    assert reason_of(KeyError("unit")) == "KeyError: 'unit'"
    assert reason_of(bad_value).startswith("DataError: (builtins.Exception) value too long")


def test_a_database_outage_is_retried_with_backoff_then_stored(runtime, work, database_down):
    record = web_record(runtime, "key-transient-00000001")
    submit(record, runtime.redis, runtime.spool)
    shard = shard_of(record.contact_urn, record.idempotency_key)
    drain_job = runtime.redis.get(shard_keys(shard).active).decode()
    work()
    job = Job.fetch(drain_job, connection=runtime.redis)
    assert job.id in ScheduledJobRegistry(INTAKE, connection=runtime.redis)
    assert job.retries_left == DRAIN_RETRY.max - 1
    assert FailedJobRegistry(INTAKE, connection=runtime.redis).count == 0
    # The record waits in the shard, taken but not stored, for the retry.
    assert [r["idempotency_key"] for r in waiting_records(runtime.redis)] == [
        record.idempotency_key
    ]

    runtime_module.install(runtime)  # the database is back
    time.sleep(DRAIN_RETRY.intervals[0] + 0.2)
    worker = work_with_scheduler(runtime)
    assert worker is not None
    assert complaints(runtime) == 1


def work_with_scheduler(runtime):
    from dispatcher.worker import make_worker

    worker = make_worker(runtime)
    worker.work(burst=True, with_scheduler=True)  # enqueues due retries, then runs them
    return worker


def test_a_record_that_cannot_be_read_is_a_dead_letter_with_reason_and_payload(runtime, work):
    payload = {"intent": "new", "text": "Jalan rusak", "raw": {"Body": "Jalan rusak"}}
    job = queue(INTAKE, runtime.redis).enqueue(
        "dispatcher.jobs.store", payload, retry=STORE_RETRY, description="store web message"
    )
    work()
    assert job.id in FailedJobRegistry(INTAKE, connection=runtime.redis)
    job.refresh()
    assert job.retries_left == 0  # no retries spent on what waiting cannot fix
    (failed,) = dead_letters.failed_jobs(runtime.redis)
    assert failed.id == job.id and failed.queue == INTAKE
    assert failed.function == "dispatcher.jobs.store"
    assert failed.reason.startswith("malformed record: missing field")
    assert failed.payload == payload  # the record as submitted, raw payload and all
    assert failed.failed_at is not None


def test_replay_runs_a_failed_job_again_after_the_fix(runtime, work, cli, database_down):
    record = web_record(runtime, "key-replay-000000001")
    # A store job whose retries ran out while the database was away (none left here).
    job = queue(INTAKE, runtime.redis).enqueue(
        "dispatcher.jobs.store", record.to_dict(), job_id=job_id("store", "replay-me")
    )
    work()
    runtime_module.install(runtime)  # the database is back
    (failed,) = dead_letters.failed_jobs(runtime.redis)
    assert failed.id == job.id and "unable to open database file" in failed.reason
    assert failed.reason.startswith("sqlalchemy.exc.OperationalError")

    dry = cli("replay", "--all", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert job.id in dry.output and "would replay: 1" in dry.output
    assert FailedJobRegistry(INTAKE, connection=runtime.redis).count == 1

    result = cli("replay", "--reason", "UNABLE TO OPEN")
    assert result.exit_code == 0, result.output
    assert "requeued" in result.output and "back on their queues" in result.output
    assert FailedJobRegistry(INTAKE, connection=runtime.redis).count == 0
    replayed = Job.fetch(job.id, connection=runtime.redis, serializer=JSONSerializer)
    assert replayed.retries_left == STORE_RETRY.max  # a fresh budget after the fix
    work()
    assert complaints(runtime) == 1
    again = cli("replay", job.id)  # no longer failed: said so, nothing done
    assert again.exit_code == 1 and "not a failed job" in again.output


def test_replay_filters_by_queue_since_and_reason(runtime, work, cli):
    intake = queue(INTAKE, runtime.redis)
    bad = [intake.enqueue("dispatcher.jobs.store", {"n": n}) for n in range(3)]
    work()
    assert FailedJobRegistry(INTAKE, connection=runtime.redis).count == 3

    assert cli("replay").exit_code == 2  # nothing chosen: a usage error, nothing done
    assert cli("replay", bad[0].id, "--all").exit_code == 2
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert "would replay: 0" in cli("replay", "--since", future, "--dry-run").output
    assert "would replay: 3" in cli("replay", "--since", "10m", "--dry-run").output
    assert "would replay: 0" in cli("replay", "--queue", "notify", "--dry-run").output
    assert cli("replay", "--since", "yesterday").exit_code == 2

    result = cli("replay", bad[0].id, bad[1].id)
    assert result.exit_code == 0, result.output
    assert FailedJobRegistry(INTAKE, connection=runtime.redis).count == 1
    work()  # still unreadable: back in the registry, each with its reason
    assert FailedJobRegistry(INTAKE, connection=runtime.redis).count == 3
    assert all(
        f.reason.startswith("malformed record") for f in dead_letters.failed_jobs(runtime.redis)
    )


def test_status_prints_queues_spool_failed_jobs_and_channels(runtime, work, cli):
    submit(web_record(runtime, "key-status-000000001"), runtime.redis, runtime.spool)
    work()
    submit(web_record(runtime, "key-status-000000002"), runtime.redis, runtime.spool)
    queue(INTAKE, runtime.redis).enqueue("dispatcher.jobs.store", {"broken": True})
    runtime.spool.append({"unreadable": "by this version"})
    result = cli("status")
    assert result.exit_code == 0, result.output
    out = result.output
    for heading in ("Queues", "Spool", "Worker", "Channels"):
        assert heading in out
    assert "intake" in out and "notify" in out and "web" in out
    assert "Failed jobs" not in out
    # The worker drains the spool too; a record it cannot read becomes a dead letter.
    work()
    failed = cli("status")
    assert "Failed jobs (2" in failed.output and "malformed record" in failed.output
    payloads = [f.payload for f in dead_letters.failed_jobs(runtime.redis)]
    assert {"unreadable": "by this version"} in payloads and runtime.spool.stats().records == 0


def test_status_without_redis_still_shows_the_spool_and_fails(runtime, cli, monkeypatch, tmp_path):
    monkeypatch.setenv("SATUPINTU_REDIS_URL", f"unix://{tmp_path}/nobody.sock")
    runtime.spool.append({"waiting": "for redis"})
    result = cli("status")
    assert result.exit_code == 1
    assert "Redis" in result.output and "not answering" in result.output
    assert "Spool" in result.output


def test_a_periodic_job_meeting_an_outage_is_passed_over_not_a_dead_letter(runtime, work):
    from dispatcher import schedule

    broken = Runtime(runtime.settings.replace(database_url="sqlite:////nonexistent/gone/x.db"))
    broken.__dict__["redis"] = runtime.redis
    runtime_module.install(broken)
    try:
        assert "outbox-sweep" in schedule.enqueue_due(runtime.redis, runtime.settings)
        work()
    finally:
        broken.__dict__.pop("redis")
        runtime_module.install(runtime)
    assert FailedJobRegistry(MAINTENANCE, connection=runtime.redis).count == 0
    finished = queue(MAINTENANCE, runtime.redis).finished_job_registry.get_job_ids()
    (sweep,) = [job_id for job_id in finished if job_id.startswith("periodic-outbox-sweep-")]
    result = Job.fetch(sweep, connection=runtime.redis, serializer=JSONSerializer).latest_result()
    assert "unable to open database file" in result.return_value["passed_over"]


def test_a_periodic_job_with_a_bug_is_a_dead_letter(runtime, work, monkeypatch):
    from dispatcher import outbox, schedule

    def broken_sweep():
        raise KeyError("a bug")

    monkeypatch.setattr(outbox, "sweep_outbox", broken_sweep)
    assert "outbox-sweep" in schedule.enqueue_due(runtime.redis, runtime.settings)
    work()
    assert FailedJobRegistry(MAINTENANCE, connection=runtime.redis).count == 1
