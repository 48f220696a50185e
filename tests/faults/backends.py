"""The fault test's own Redis and database, which it may kill, restart and cut off.

Redis: the embedded server (dispatcher/redis_server.py) on the embedded defaults, or the
system's ``redis-server`` binary next to PostgreSQL; either on a private Unix socket in a
temp dir with an append-only file, restarted on the same files after a kill.

Database: a SQLite file, made unavailable by another connection holding its write lock (what
a long migration does; writers wait out busy_timeout, then fail and retry); or a database of
its own on the PostgreSQL server named by SATUPINTU_TEST_DATABASE_URL, made unreachable by
refusing connections and ending the open ones (what a restart or failover looks like).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import redis
from sqlalchemy import make_url, text

from casestore.db import make_engine
from dispatcher.redis_server import EmbeddedRedis


class EmbeddedRedisServer:
    """The project's embedded Redis, with appendfsync as configured, killable."""

    def __init__(self, directory: Path, appendfsync: str) -> None:
        self.server = EmbeddedRedis(directory, appendfsync)

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> None:
        self.server.start()

    def kill(self) -> None:
        process = self.server.process
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop(self) -> None:
        self.server.stop()


class RedisServerBinary:
    """A ``redis-server`` (the system's, as production runs) on a socket of its own."""

    def __init__(self, directory: Path, appendfsync: str, executable: str) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.appendfsync = appendfsync
        self.executable = executable
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 15.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        config = self.directory / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {self.socket}",
                    "unixsocketperm 700",
                    f"dir {self.directory}",
                    "appendonly yes",
                    f"appendfsync {self.appendfsync}",
                    f"logfile {self.directory / 'redis.log'}",
                ]
            )
            + "\n"
        )
        self.process = subprocess.Popen(
            [self.executable, str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1)
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not answer")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def redis_server_for(backend: str, directory: Path, appendfsync: str):
    if backend == "sqlite":
        return EmbeddedRedisServer(directory, appendfsync)
    executable = shutil.which("redis-server")
    if executable is None:
        return None
    return RedisServerBinary(directory, appendfsync, executable)


class SqliteDatabase:
    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.path = directory / "satupintu.db"
        self.url = f"sqlite:///{self.path}"

    def create(self) -> None:
        pass

    def outage(self, seconds: float) -> threading.Thread:
        """Hold the write lock for ``seconds`` from another connection, in a thread."""
        taken = threading.Event()

        def hold() -> None:
            connection = sqlite3.connect(self.path, timeout=120, isolation_level=None)
            try:
                connection.execute("BEGIN EXCLUSIVE")
                taken.set()
                time.sleep(seconds)
                connection.execute("ROLLBACK")
            finally:
                connection.close()

        thread = threading.Thread(target=hold, name="sqlite-lock", daemon=True)
        thread.start()
        taken.wait(120)
        return thread

    def drop(self) -> None:
        pass


class PostgresDatabase:
    """A database of its own on the test server, so cutting it off disturbs nobody else."""

    name = "postgresql"

    def __init__(self, server_url: str) -> None:
        self.admin_url = server_url
        self.database = f"satupintu_faults_{secrets.token_hex(4)}"
        self.url = (
            make_url(server_url).set(database=self.database).render_as_string(hide_password=False)
        )
        self.admin = make_engine(server_url, isolation_level="AUTOCOMMIT")

    def _execute(self, *statements: str) -> None:
        # The name is ours (hex digits), and DDL cannot take it as a bound parameter.
        with self.admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))

    def _cut_off(self) -> None:
        self._execute(f"ALTER DATABASE {self.database} ALLOW_CONNECTIONS false")
        with self.admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": self.database},
            )

    def create(self) -> None:
        self._execute(f"CREATE DATABASE {self.database}")

    def outage(self, seconds: float) -> threading.Thread:
        """Refuse connections and end the open ones; let them in again after ``seconds``."""
        self._cut_off()

        def restore() -> None:
            time.sleep(seconds)
            self._execute(f"ALTER DATABASE {self.database} ALLOW_CONNECTIONS true")

        thread = threading.Thread(target=restore, name="postgres-outage", daemon=True)
        thread.start()
        return thread

    def drop(self) -> None:
        self._cut_off()
        self._execute(f"DROP DATABASE IF EXISTS {self.database}")
        self.admin.dispose()


def database_for(directory: Path):
    server_url = os.environ.get("SATUPINTU_TEST_DATABASE_URL")
    if server_url:
        return PostgresDatabase(server_url)
    return SqliteDatabase(directory)
