"""Recovering dead workers' jobs at rq's awkward moments, one step of rq at a time."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from casestore.models import Complaint
from dispatcher.inbox import shard_of, waiting_records
from dispatcher.queues import INTAKE, queue
from dispatcher.recovery import (
    release_dead_scheduler_locks,
    release_stale_cleaning_locks,
    requeue_abandoned,
)
from dispatcher.submit import DRAIN_RETRY, submit
from dispatcher.worker import make_worker
from normalizer import normalize
from normalizer.records import Channel, InboundMessage


def record(runtime, sid: str):
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="twilio",
        external_id=sid,
        sender="tel:+6281234567890",
        text="Saluran air tersumbat di Kebayakan",
        received_at=datetime(2026, 11, 28, 3, 0, tzinfo=UTC),
    )
    return normalize(inbound, runtime.rules)


def complaints(runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Complaint))


def taken_by_a_worker_that_dies(runtime, stage: str) -> Job:
    """A worker dequeues the job and dies at ``stage`` of rq's bookkeeping."""
    sms = record(runtime, "SM" + "9" * 32)
    submit(sms, runtime.redis, runtime.spool)
    doomed = make_worker(runtime)
    doomed.register_birth()
    job, _ = doomed.dequeue_job_and_maintain_ttl(timeout=1)  # now in the intermediate list
    execution = doomed.prepare_execution(job)  # now in the started registry, still "queued"
    if stage == "started":
        doomed.prepare_job_execution(job, remove_from_intermediate_queue=True)  # now "started"
    doomed.register_death()  # what a killed worker cannot do; dead all the same
    assert job.id in StartedJobRegistry(INTAKE, connection=runtime.redis)
    assert execution.worker_name == doomed.name
    return job


def test_a_job_taken_but_never_started_goes_back_to_the_head_of_its_queue(runtime, work):
    job = taken_by_a_worker_that_dies(runtime, "taken")
    assert job.get_status() == JobStatus.QUEUED and queue(INTAKE, runtime.redis).count == 0
    assert len(waiting_records(runtime.redis)) == 1  # the record waits in its inbox shard
    assert requeue_abandoned(runtime.redis) == 1
    assert queue(INTAKE, runtime.redis).get_job_ids() == [job.id]
    assert job.id not in StartedJobRegistry(INTAKE, connection=runtime.redis)
    assert runtime.redis.llen(queue(INTAKE, runtime.redis).intermediate_queue_key) == 0
    job.refresh()
    assert job.retries_left == DRAIN_RETRY.max  # it never ran: no retry spent
    work()
    assert complaints(runtime) == 1


def test_a_job_killed_while_running_is_retried(runtime):
    job = taken_by_a_worker_that_dies(runtime, "started")
    assert job.get_status() == JobStatus.STARTED
    assert requeue_abandoned(runtime.redis) == 1
    job.refresh()
    assert job.get_status() == JobStatus.SCHEDULED and job.retries_left == DRAIN_RETRY.max - 1
    assert requeue_abandoned(runtime.redis) == 0  # once


def test_a_live_workers_job_is_left_alone(runtime):
    submit(record(runtime, "SM" + "6" * 32), runtime.redis, runtime.spool)
    alive = make_worker(runtime)
    alive.register_birth()
    job, _ = alive.dequeue_job_and_maintain_ttl(timeout=1)
    alive.prepare_execution(job)
    try:
        assert requeue_abandoned(runtime.redis) == 0
        assert job.id in StartedJobRegistry(INTAKE, connection=runtime.redis)
    finally:
        alive.register_death()


def test_locks_left_by_the_dead_are_released_and_the_living_keep_theirs(runtime):
    connection = runtime.redis
    cleaning = queue(INTAKE, connection).registry_cleaning_key
    connection.set(cleaning, 1, ex=899)  # just taken: someone is cleaning
    assert release_stale_cleaning_locks(connection) == 0
    connection.set(cleaning, 1, ex=600)  # taken five minutes ago: its holder died
    assert release_stale_cleaning_locks(connection) == 1
    assert not connection.exists(cleaning)

    lock = "rq:scheduler-lock:intake"
    connection.set(lock, "dead-scheduler", ex=61)
    dead_pid = 2**22 + 1  # above Linux's pid_max: never a running process
    connection.hset(
        "rq:scheduler:dead-scheduler",
        mapping={"hostname": socket.gethostname(), "pid": dead_pid, "name": "dead-scheduler"},
    )
    connection.set("rq:scheduler-lock:notify", "live-scheduler", ex=61)
    connection.hset(
        "rq:scheduler:live-scheduler",
        mapping={"hostname": socket.gethostname(), "pid": 1, "name": "live-scheduler"},
    )
    assert release_dead_scheduler_locks(connection) == 1
    assert not connection.exists(lock)
    assert connection.get("rq:scheduler-lock:notify") == b"live-scheduler"


def test_jobs_of_the_serializer_we_use_are_readable(runtime):
    sms = record(runtime, "SM" + "5" * 32)
    submit(sms, runtime.redis, runtime.spool)
    (job_id,) = queue(INTAKE, runtime.redis).get_job_ids()
    job = Job.fetch(job_id, connection=runtime.redis, serializer=JSONSerializer)
    assert job.args == [shard_of(sms.contact_urn, sms.idempotency_key)]  # the drain job's shard
    (waiting,) = waiting_records(runtime.redis)
    assert waiting["external_id"] == "SM" + "5" * 32
