"""The per-process metrics are built once even when threads race to the first increment."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

RACE = textwrap.dedent(
    """
    import threading
    from dispatcher import metrics

    errors = []
    start = threading.Barrier(16)

    def first_request():
        start.wait()
        try:
            metrics.count_intake("sms", "queued")
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=first_request) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(errors or "ok")
    """
)


def test_sixteen_threads_racing_to_the_first_count_all_succeed(tmp_path):
    # A fresh interpreter each time: the race is only at a process's first increment.
    for _ in range(5):
        result = subprocess.run(
            [sys.executable, "-c", RACE],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env={"PYTHONPATH": str(Path(__file__).parents[2])},
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "ok"
