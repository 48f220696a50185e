"""The local spool: where an acknowledged record waits when Redis cannot take it.

Append-only JSON-lines segments under the data dir, fsynced before the provider is answered.
Writers hold an exclusive flock while appending; the drainer takes the same lock to rename
a segment away, so a line is either in a segment still being written or in one being drained,
never lost between the two. Segments drain oldest first, lines in the order they were written.
Any number of processes may try to drain: a lock file lets one at a time do it.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from config.files import private_dir


@dataclass(frozen=True)
class SpoolStats:
    records: int
    segments: int
    oldest_age_seconds: float | None
    bytes: int


class Spool:
    """A directory of segments; safe for many processes appending and one draining."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self._fd: int | None = None
        self._path: Path | None = None

    def _open_segment(self) -> None:
        private_dir(self.directory)
        name = f"{time.time_ns():020d}-{os.getpid()}.jsonl"
        self._path = self.directory / name
        self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the new name itself must survive a power cut
        finally:
            os.close(dir_fd)

    def _segment_still_ours(self) -> bool:
        assert self._fd is not None and self._path is not None
        try:
            return os.stat(self._path).st_ino == os.fstat(self._fd).st_ino
        except FileNotFoundError:
            return False

    def append(self, payload: dict) -> None:
        """Write one record durably; returns only after fsync."""
        line = (json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            while True:
                if self._fd is None:
                    self._open_segment()
                assert self._fd is not None
                fcntl.flock(self._fd, fcntl.LOCK_EX)
                try:
                    if self._segment_still_ours():
                        _append_durably(self._fd, line)
                        return
                finally:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                # The drainer took this segment away; start a fresh one.
                os.close(self._fd)
                self._fd = None

    def _segments(self, pattern: str) -> list[Path]:
        if not self.directory.exists():
            return []
        return sorted(self.directory.glob(pattern))

    def _claim(self, segment: Path) -> Path | None:
        """Rename a live segment to .draining under its lock; None if it vanished."""
        try:
            fd = os.open(segment, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            claimed = segment.with_suffix(".draining")
            try:
                os.rename(segment, claimed)
            except FileNotFoundError:
                return None
            return claimed
        finally:
            os.close(fd)

    def drain(self, submit: Callable[[dict], object]) -> int:
        """Hand every spooled record to ``submit`` in order; stops at the first failure.

        A segment is deleted only after all its lines were submitted. If ``submit`` raises,
        the rest of the segment is kept (rewritten) for the next drain; records already
        submitted may be submitted again then, which the idempotent store makes harmless.
        Returns 0 at once when another process is draining.
        """
        if not self._segments("*.draining") and not self._segments("*.jsonl"):
            return 0
        if not self._drain_lock.acquire(blocking=False):  # another thread of ours drains
            return 0
        try:
            return self._drain_exclusive(submit)
        finally:
            self._drain_lock.release()

    def _drain_exclusive(self, submit: Callable[[dict], object]) -> int:
        lock_fd = os.open(self.directory / ".drain.lock", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            try:
                # A POSIX lock, not flock: a child forked meanwhile does not inherit it.
                fcntl.lockf(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return 0
            return self._drain_locked(submit)
        finally:
            os.close(lock_fd)  # closing releases the lock

    def _drain_locked(self, submit: Callable[[dict], object]) -> int:
        done = 0
        for segment in self._segments("*.draining") + self._segments("*.jsonl"):
            claimed = segment if segment.suffix == ".draining" else self._claim(segment)
            if claimed is None:
                continue
            lines = claimed.read_bytes().splitlines()
            for index, raw in enumerate(lines):
                if not raw.strip():
                    continue
                try:
                    payload = json.loads(raw)
                except json.JSONDecodeError:
                    # A torn last line from a crash mid-write: it was never acknowledged.
                    continue
                try:
                    submit(payload)
                except Exception:
                    _replace_durably(claimed, b"\n".join(lines[index:]) + b"\n")
                    raise
                done += 1
            claimed.unlink()
        return done

    def records(self) -> Iterator[dict]:
        for segment in self._segments("*.draining") + self._segments("*.jsonl"):
            try:
                lines = segment.read_bytes().splitlines()
            except FileNotFoundError:
                continue
            for raw in lines:
                try:
                    yield json.loads(raw)
                except json.JSONDecodeError:
                    continue

    def stats(self) -> SpoolStats:
        """Records waiting, and how long the oldest segment has waited; cheap enough to scrape."""
        segments = self._segments("*.draining") + self._segments("*.jsonl")
        count = size = 0
        oldest_ns: int | None = None
        for segment in segments:
            try:
                data = segment.read_bytes()
            except FileNotFoundError:  # drained meanwhile
                continue
            # Complete lines only: a torn last line was never acknowledged.
            count += data.count(b"\n")
            size += len(data)
            created_ns = int(segment.name.split("-", 1)[0])
            oldest_ns = created_ns if oldest_ns is None else min(oldest_ns, created_ns)
        oldest = None if oldest_ns is None else max(0.0, time.time() - oldest_ns / 1e9)
        return SpoolStats(
            records=count, segments=len(segments), oldest_age_seconds=oldest, bytes=size
        )


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]  # a full disk may take only part of it


def _append_durably(fd: int, line: bytes) -> None:
    """Write the whole line and fsync it, or leave the file as it was and raise."""
    start = os.lseek(fd, 0, os.SEEK_END)
    try:
        _write_all(fd, line)
        os.fsync(fd)
    except OSError:
        os.ftruncate(fd, start)  # no torn line for the next record to run into
        raise


def _replace_durably(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``, surviving a power cut either way."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
