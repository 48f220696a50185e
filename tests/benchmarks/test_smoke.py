"""A tiny run of the benchmark (`python -m benchmarks.run`): it completes and writes a
well-formed table. Speed is not asserted here; benchmarks/RESULTS.md holds real runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TARGET_ROWS = (
    "intake ack throughput (saturated)",
    "sustained stored rate, 1 workers",
    "receipt-to-stored p99",
    "burst lost",
    "burst duplicated",
    "burst drained after its end",
    "burst backlog seen on /metrics",
    "real receipt-to-stored p99, during a flood",
    "console page p99, during a flood",
    "flood lost",
    "peak RSS, largest web/worker process",
)


def test_a_tiny_benchmark_run_writes_a_table(tmp_path):
    results = tmp_path / "RESULTS.md"
    argv = [sys.executable, "-m", "benchmarks.run", "--quick", "--duration", "1",
            "--rate", "300", "--drain", "40", "--burst", "60", "--flood", "40", "--scaling", "1",
            "--workers", "1", "--results", str(results)]  # fmt: skip
    # Against PostgreSQL when the suite runs against it (a throwaway database of its own),
    # else SQLite, as the embedded default.
    if not os.environ.get("SATUPINTU_TEST_DATABASE_URL"):
        argv.append("--sqlite")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = results.read_text()
    assert text.startswith("# Benchmark results")
    assert re.search(r"^## \d{4}-\d\d-\d\d \d\d:\d\d UTC, quick run$", text, re.M)
    for line in ("- cpu: ", "- cores: ", "- memory: ", "- python: ", "- commit: ", "- redis: "):
        assert line in text
    assert "| measure | ours | baseline | ratio | target | result | note |" in text
    rows = {
        row.split(" | ")[0].lstrip("| "): row for row in text.splitlines() if row.startswith("| ")
    }
    for name in TARGET_ROWS:
        assert name in rows, f"no row {name!r} in\n{text}"
        assert re.search(r"\| (PASS|FAIL) \|", rows[name]), rows[name]
    assert "| 1 | " in text  # the scaling table's row for one worker
    assert "SatuPintu intake benchmark" in done.stdout  # the terminal table
    # Nothing acknowledged may go missing, whatever the speed.
    assert "| PASS |" in rows["burst lost"] and "| PASS |" in rows["burst duplicated"]
    assert "| PASS |" in rows["flood lost"]
