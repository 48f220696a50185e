"""What the fault tests share: child processes to start, kill and stop, and waiting.

Workers and the web server run as the production commands do, each in its own process group
(so a kill takes an rq scheduler child with it, as a crashed container or `systemctl kill`
would), with the test's Redis and database in their environment and their output in a log
file that a failing test can print.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from config import Settings

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a worker or web process of this test runs with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
    env.update(
        {
            "SATUPINTU_ENV": "test",
            "SATUPINTU_DATA_DIR": str(settings.data_dir),
            "SATUPINTU_DATABASE_URL": settings.database_url,
            "SATUPINTU_REDIS_URL": settings.resolved_redis_url(),
            "SATUPINTU_SECRET_KEY": settings.secret_key,
            "SATUPINTU_LOG_LEVEL": "INFO",
            # tests/faults for the slow test job (slowjobs.py), the project root for the rest.
            "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)]),
        }
    )
    env.update(extra)
    return env


class Service:
    """One child process (a worker or the web server) in its own process group."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int, group: bool = False) -> None:
        if self.alive():
            if group:
                os.killpg(self.pid, signum)
            else:
                os.kill(self.pid, signum)

    def kill(self) -> None:
        """SIGKILL the process and everything it forked; reap it (no zombie left)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait; SIGKILL whatever is left after ``timeout``."""
        if self.process is None:
            return None
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)  # the rq scheduler child, if one was left
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


WORKER_ARGV = [sys.executable, "-m", "gateway.cli", "worker"]


def wait_until(condition: Callable[[], bool], timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
