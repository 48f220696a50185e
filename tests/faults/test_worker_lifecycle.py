"""Real `satupintu worker` processes: SIGTERM finishes the job in hand; SIGKILL loses nothing.

The job sleeps inside its open transaction (tests/faults/slowjobs.py), so the signal lands
mid-write, where it hurts most.
"""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime

import pytest
from faults.harness import WORKER_ARGV, service_env, wait_until
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from casestore.models import Complaint, Message
from dispatcher.queues import INTAKE, queue
from dispatcher.submit import STORE_RETRY
from normalizer import normalize
from normalizer.records import Channel, InboundMessage

pytestmark = pytest.mark.slow


def enqueue_slow_store(runtime, sid: str, seconds: float) -> Job:
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="twilio",
        external_id=sid,
        sender="tel:+6281234567890",
        text="Jembatan gantung di Rusip Antara rusak",
        received_at=datetime(2026, 11, 28, 3, 0, tzinfo=UTC),
    )
    record = normalize(inbound, runtime.rules)
    return queue(INTAKE, runtime.redis).enqueue(
        "slowjobs.store_slowly",
        record.to_dict(),
        seconds,
        job_id=f"slow-{sid}",
        retry=STORE_RETRY,
        description="store sms message (slowly)",
    )


def started(runtime, job: Job) -> bool:
    return job.id in StartedJobRegistry(INTAKE, connection=runtime.redis, serializer=JSONSerializer)


def stored(runtime) -> tuple[int, int]:
    with runtime.sessions() as session:
        complaints = session.scalar(select(func.count()).select_from(Complaint))
        inbound = session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        )
    return complaints, inbound


def test_sigterm_finishes_the_job_in_hand_then_stops(runtime, services):
    job = enqueue_slow_store(runtime, "SM" + "7" * 32, seconds=3)
    worker = services(WORKER_ARGV, service_env(runtime.settings), "worker")
    assert wait_until(lambda: started(runtime, job), timeout=30), worker.output()
    worker.signal(signal.SIGTERM)
    assert worker.process.wait(30) == 0, worker.output()
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert stored(runtime) == (1, 1)
    assert "warm shut down" in worker.output()


def test_a_killed_workers_job_runs_again_at_once_and_stores_once(runtime, services):
    job = enqueue_slow_store(runtime, "SM" + "8" * 32, seconds=5)
    env = service_env(runtime.settings)
    first = services(WORKER_ARGV, env, "worker-killed")
    assert wait_until(lambda: started(runtime, job), timeout=30), first.output()
    time.sleep(0.5)  # inside the transaction now
    first.kill()  # SIGKILL, the worker and its scheduler: no goodbye to Redis
    assert stored(runtime) == (0, 0)  # the open transaction died with it

    # The job is still "started" in Redis; rq alone would wait out its heartbeat
    # (the job timeout plus a minute). A worker that starts looks at once.
    restarted_at = time.monotonic()
    second = services(WORKER_ARGV, env, "worker-restarted")
    assert wait_until(lambda: not started(runtime, job), timeout=30), second.output()
    assert "handed back to rq" in second.output()
    job.refresh()
    assert job.retries_left == STORE_RETRY.max - 1  # one retry spent on the crash
    # Run again from the start, slow part and all, then stored once.
    assert wait_until(lambda: stored(runtime) == (1, 1), timeout=40), second.output()
    print(f"recovered and stored {time.monotonic() - restarted_at:.1f} s after the restart")
    # The commit comes first, then rq records the job finished.
    assert wait_until(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, timeout=10)
    assert stored(runtime) == (1, 1)
