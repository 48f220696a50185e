"""`satupintu worker --count N`: a pool of SimpleWorkers (rq's WorkerPool) as real processes,
draining the intake queue in burst mode and stopping on SIGTERM without dropping a job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from rq import Worker
from sqlalchemy import func, select

from casestore.models import Complaint
from dispatcher.inbox import waiting_records
from dispatcher.submit import submit
from normalizer import normalize
from normalizer.records import Channel, InboundMessage

pytestmark = pytest.mark.slow

TEXTS = (
    "Lampu jalan mati di Kampung Bale, Kec. Lut Tawar",
    "Jalan berlubang di depan pasar Takengon sudah sebulan",
    "Air PDAM tidak mengalir di Kebayakan sejak kemarin",
    "Sampah menumpuk di terminal Paya Ilang, mohon diangkut",
)


def submit_many(runtime, count: int) -> None:
    for n in range(count):
        inbound = InboundMessage(
            channel=Channel.WEB,
            provider="webform",
            external_id=f"pool-key-{n:04d}-abcdefgh",
            sender=f"tel:+62812345{n:05d}",  # one citizen each: no ordering chain between them
            text=f"{TEXTS[n % len(TEXTS)]} (laporan {n})",
            received_at=datetime.now(UTC),
            declared={"privacy": "public"},
        )
        submit(normalize(inbound, runtime.rules), runtime.redis, runtime.spool)


def worker_env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env | {
        "SATUPINTU_ENV": "test",
        "SATUPINTU_DATA_DIR": str(settings.data_dir),
        "SATUPINTU_DATABASE_URL": settings.database_url,
        "SATUPINTU_REDIS_URL": settings.redis_url,
        "SATUPINTU_SECRET_KEY": settings.secret_key,
        "SATUPINTU_LOG_LEVEL": "WARNING",
    }


def complaints(runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Complaint))


def test_a_pool_drains_the_queue_in_burst_mode_and_exits(runtime, settings):
    submit_many(runtime, 12)
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "worker", "--count", "2", "--burst"],
        env=worker_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert complaints(runtime) == 12
    assert len(waiting_records(runtime.redis)) == 0
    # Both members wrote job durations into the pool's metrics directory.
    pool_dirs = list((settings.data_dir / "metrics").glob("worker-*"))
    assert len(pool_dirs) == 1
    assert len(list(pool_dirs[0].glob("histogram_*.db"))) >= 1


def test_sigterm_stops_the_pool_after_the_jobs_in_hand(runtime, settings):
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "worker", "--count", "2"],
        env=worker_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(Worker.all(connection=runtime.redis)) < 2:
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "the pool's workers never registered"
            time.sleep(0.1)
        submit_many(runtime, 6)
        deadline = time.monotonic() + 60
        while complaints(runtime) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert complaints(runtime) == 6
    assert Worker.all(connection=runtime.redis) == []  # each member said goodbye to Redis


def test_a_worker_can_serve_only_some_queues(runtime, settings):
    submit_many(runtime, 2)
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "worker", "--burst", "--queue", "notify"],
        env=worker_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert len(waiting_records(runtime.redis)) == 2  # intake untouched
    assert complaints(runtime) == 0
