"""Prometheus counters of the intake path and the workers, written by every process.

Only counters and histograms live here: each web or worker process adds to its own, and
/metrics (gateway/ops/metrics.py) adds them up at scrape time. Under gunicorn and the worker pool
that uses prometheus_client's multiprocess mode: every service (one `satupintu web`, one
`satupintu worker`) writes memory-mapped files into ``<data dir>/metrics/<service>-<pid>/``,
which ``use_metrics_dir`` prepares before anything imports prometheus_client (the library
picks its storage once, at import). What describes shared state (queue depth and age, the
spool) is read from Redis and the spool directory when /metrics is scraped, so no process
keeps a gauge that could go stale.

The cost on the hot path is one in-memory increment per message; no Redis round trip.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Job durations: a store job takes milliseconds, a notify job waits on a provider.
JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

_metrics: dict[str, Any] = {}
_building = threading.Lock()


def metrics_root(data_dir: Path) -> Path:
    """Where the processes sharing this data dir write their metric files."""
    return Path(data_dir) / "metrics"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process holds that pid: not ours to clean
        return True
    return True


def use_metrics_dir(data_dir: Path, service: str) -> Path:
    """Point this process (and the children it forks) at a fresh ``<service>-<pid>`` dir.

    Call it first thing in a service's main process. Directories left by services that are
    no longer running are removed, so their counters end (Prometheus sees a reset).
    """
    root = metrics_root(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        kind, _, pid = old.name.rpartition("-")
        if kind and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    directory = root / f"{service}-{os.getpid()}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    os.environ[MULTIPROC_ENV] = str(directory)
    return directory


def _build() -> dict[str, Any]:
    from prometheus_client import Counter, Histogram

    return {
        "intake": Counter(
            "satupintu_intake",
            "Messages received, by channel and outcome (queued, duplicate, spooled, rejected)",
            ["channel", "outcome"],
        ),
        "job": Histogram(
            "satupintu_job_duration_seconds",
            "Time a worker spent on one job, rq's bookkeeping included",
            ["queue", "job", "outcome"],
            buckets=JOB_BUCKETS,
        ),
        "stored": Counter(
            "satupintu_stored",
            "Inbox records handled by drain jobs: stored (new or a provider's repeat), or set"
            " aside as a store job of their own",
            ["outcome"],
        ),
        "batch": Histogram(
            "satupintu_batch_size",
            "Records per drain transaction",
            buckets=(1, 2, 5, 10, 20, 50, 100),
        ),
        "refused": Counter(
            "satupintu_refused",
            "Intake submissions refused, by channel and reason (malformed, bad_signature, "
            "forbidden, no_key, too_large, invalid, rate_limited)",
            ["channel", "reason"],
        ),
        "outbound": Counter(
            "satupintu_outbound",
            "Replies to citizens handed to a provider, by channel and result",
            ["channel", "result"],
        ),
    }


def _get(name: str) -> Any:
    if not _metrics:
        # Once per process, under a lock: two gthread threads building them at once made the
        # second fail with DuplicateTimeseries (a 500 on the first requests after a start).
        with _building:
            if not _metrics:
                _metrics.update(_build())
    return _metrics[name]


def count_intake(channel: str, outcome: str) -> None:
    """One message taken in (or refused) on ``channel``."""
    _get("intake").labels(channel, outcome).inc()


def count_refused(channel: str, reason: str) -> None:
    """One submission refused on ``channel`` (gateway/ops/refusals.py names the reason)."""
    _get("refused").labels(channel, reason).inc()


def observe_job(queue: str, job: str, ok: bool, seconds: float) -> None:
    _get("job").labels(queue, job, "ok" if ok else "failed").observe(seconds)


def count_stored(stored: int, set_aside: int) -> None:
    """One drain batch: how many records it stored and how many went on alone."""
    _get("stored").labels("stored").inc(stored)
    if set_aside:
        _get("stored").labels("set_aside").inc(set_aside)
    _get("batch").observe(stored + set_aside)


def count_outbound(channel: str, result: str) -> None:
    """One send attempt's result: sent, delivered, failed, suppressed, retry..."""
    _get("outbound").labels(channel, result).inc()
