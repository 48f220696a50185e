"""The benchmark's output: a rich table on the terminal and a section in RESULTS.md."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from datetime import UTC
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.bench import Measure, Results

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> dict[str, str]:
    """What ran the benchmark: CPU, cores, memory, Python, commit, load at the time."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    root = Path(__file__).resolve().parent.parent
    commit = _git(root, "rev-parse", "--short", "HEAD") or "unknown"
    if _git(root, "status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "commit": commit,
        "load average at the end (1, 5, 15 min)": load,
    }


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _verdict(measure: Measure) -> str:
    if measure.passed is None:
        return ""
    return "PASS" if measure.passed else "FAIL"


def rows(results: Results) -> list[list[str]]:
    table = []
    for m in results.measures:
        ratio = m.ratio
        table.append(
            [
                m.name,
                f"{_number(m.ours)} {m.unit}".strip(),
                f"{_number(m.baseline)} {m.unit}".strip() if m.baseline is not None else "",
                f"{ratio:.0%}" if ratio is not None else "",
                m.target,
                _verdict(m),
                m.note,
            ]
        )
    return table


HEADERS = ["measure", "ours", "baseline", "ratio", "target", "result", "note"]


def print_tables(results: Results, console: Console) -> None:
    table = Table(title=f"SatuPintu intake benchmark ({results.database})")
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for row in rows(results):
        style = {"PASS": "green", "FAIL": "red"}.get(row[5])
        table.add_row(*row[:5], f"[{style}]{row[5]}[/]" if style else row[5], row[6])
    console.print(table)
    if results.scaling:
        scaling = Table(title="drain rate by worker processes (stored/s)")
        for header in ("workers", "ours", "baseline (b)", "ratio"):
            scaling.add_column(header)
        for n, ours, base in results.scaling:
            scaling.add_row(str(n), _number(ours), _number(base), _ratio(ours, base))
        console.print(scaling)
    if results.cpu_per_message:
        cpu = Table(title="CPU per stored message (steady phase)")
        cpu.add_column("process group")
        cpu.add_column("ms/message")
        for name, ms in results.cpu_per_message.items():
            cpu.add_row(name, f"{ms:.2f}")
        console.print(cpu)


def _ratio(ours: float, base: float) -> str:
    if not base or math.isnan(base) or math.isnan(ours):
        return ""
    return f"{ours / base:.0%}"


def markdown(results: Results) -> str:
    o = results.options
    when = results.started.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    kind = "quick run" if o.quick else "full run"
    lines = [f"## {when}, {kind}", ""]
    for name, value in {**machine(), **results.versions}.items():
        lines.append(f"- {name}: {value}")
    mix = ", ".join(f"{k} {v:g}" for k, v in o.mix.items())
    lines += [
        f"- web: gunicorn {o.worker_class}, {o.web_workers} workers x {o.threads} threads; "
        f"rq: {o.workers} SimpleWorker processes; load generator: {o.connections} "
        f"keep-alive connections, mix {mix}, {o.retries:.0%} provider retries",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
    ]
    for row in rows(results):
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")
    if results.scaling:
        lines += [
            "",
            "| workers | ours stored/s | baseline (b) stored/s | ratio |",
            "|---|---|---|---|",
        ]
        for n, ours, base in results.scaling:
            lines.append(f"| {n} | {_number(ours)} | {_number(base)} | {_ratio(ours, base)} |")
    if results.cpu_per_message:
        cells = ", ".join(f"{k} {v:.2f}" for k, v in results.cpu_per_message.items())
        lines += ["", f"CPU ms per message (steady phase): {cells}."]
    if results.peak_rss:
        cells = ", ".join(f"{k} {v:.0f}" for k, v in sorted(results.peak_rss.items()))
        lines += ["", f"Peak RSS MiB (VmHWM): {cells}."]
    for note in results.notes:
        lines += ["", f"Note: {note}"]
    return "\n".join(lines) + "\n"


def append_results(results: Results, path: Path = RESULTS) -> None:
    if not path.exists():
        path.write_text(
            "# Benchmark results\n\nEach section is one run of `python -m benchmarks.run` "
            "(see benchmarks/README.md); newest last. Targets are ratios against baselines "
            "measured in the same run.\n"
        )
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + markdown(results))
