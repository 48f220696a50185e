"""Profiles of the hot path with py-spy, and a summary of where the time goes.

`python -m benchmarks.run --profile DIR` records the web processes during our first intake
test and one worker draining the first preloaded queue, as py-spy's collapsed stacks
(``web.txt``, ``worker.txt``: one line per distinct stack, ``frame;frame;... count``); then
``python -m benchmarks.profile DIR/worker.txt`` prints the functions that hold most samples,
inclusive (anywhere on the stack) and exclusive (at the top). py-spy samples from outside
the process, so the profiled code runs at full speed; it needs ptrace rights (root, or
``kernel.yama.ptrace_scope=0``) and `pip install py-spy`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")  # installed into this venv
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record_command(output: Path, argv: list[str], rate: int = 250) -> list[str]:
    """Run ``argv`` under py-spy, writing collapsed stacks to ``output``."""
    spy = py_spy()
    if spy is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    return [spy, "record", "--format", "raw", "--rate", str(rate), "--nonblocking",
            "--subprocesses", "-o", str(output), "--", *argv]  # fmt: skip


def attach(output: Path, pid: int, seconds: float, rate: int = 250) -> subprocess.Popen:
    """Record a running process and its children for ``seconds``."""
    spy = py_spy()
    if spy is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    argv = [spy, "record", "--format", "raw", "--rate", str(rate), "--nonblocking",
            "--subprocesses", "--duration", str(max(1, round(seconds))), "--pid", str(pid),
            "-o", str(output)]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _frame(raw: str) -> str:
    # "function (path/to/file.py:123)" -> "function (file.py)": lines split one function.
    name, _, where = raw.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})" if path else name


def summarize(
    path: Path, top: int = 25
) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """Total samples, the top inclusive and the top exclusive frames."""
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";") if f]
        # The first frame names the process/thread; skip idle waits in the event loop.
        total += n
        for frame in set(frames[1:]):
            inclusive[frame] += n
        if frames:
            exclusive[frames[-1]] += n
    return total, inclusive.most_common(top), exclusive.most_common(top)


def children(path: Path, parent: str, top: int = 25) -> tuple[int, list[tuple[str, int]]]:
    """Where the samples under ``parent`` (a frame as printed) go: its direct callees."""
    below: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_frame(f) for f in stack.split(";") if f]
        if parent not in frames:
            continue
        index = len(frames) - 1 - frames[::-1].index(parent)  # the innermost call of it
        total += int(count)
        below[frames[index + 1] if index + 1 < len(frames) else "(itself)"] += int(count)
    return total, below.most_common(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stacks", type=Path, nargs="+")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--under", help='show the callees of this frame, e.g. "store (dispatcher/jobs.py)"'
    )
    args = parser.parse_args()
    for path in args.stacks:
        if args.under:
            total, below = children(path, args.under, args.top)
            print(f"\n== {path}: {total} samples under {args.under}")
            for frame, n in below:
                print(f"{n / max(total, 1):6.1%}  {frame}")
            continue
        total, inclusive, exclusive = summarize(path, args.top)
        print(f"\n== {path}: {total} samples")
        print("-- inclusive (share of samples with the frame anywhere on the stack)")
        for frame, n in inclusive:
            print(f"{n / total:6.1%}  {frame}")
        print("-- exclusive (share of samples with the frame on top)")
        for frame, n in exclusive:
            print(f"{n / total:6.1%}  {frame}")


if __name__ == "__main__":
    main()
