"""`python -m benchmarks.run [--quick] [--rate R] [--duration S] [--workers N]`.

Starts its own Redis, a throwaway PostgreSQL database (SQLite when PostgreSQL does not
answer), our web and workers and the two baselines; runs the phases of benchmarks/phases.py;
prints the table and appends it to benchmarks/RESULTS.md. Exit status 0 even when a target
fails: the table says which.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from rich.console import Console

from benchmarks import flood, phases
from benchmarks.bench import Bench, Options
from benchmarks.report import RESULTS, append_results, print_tables
from tools.traffic import parse_mix


def parse_args(argv: list[str] | None = None) -> tuple[Options, Path | None]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small load in about a minute")
    parser.add_argument("--rate", type=float, help="offered rate of the intake tests (msg/s)")
    parser.add_argument("--duration", type=float, help="seconds per intake test")
    parser.add_argument("--workers", type=int, help="rq worker processes (default 2)")
    parser.add_argument("--web-workers", type=int, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-class", help="gunicorn worker class (default gthread)")
    parser.add_argument("--threads", type=int, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--burst", type=int, dest="burst_size", help="burst size (20000)")
    parser.add_argument("--flood", type=int, dest="flood_size", help="flood size (5000)")
    parser.add_argument("--drain", type=int, dest="drain_size", help="messages per drain test")
    parser.add_argument("--scaling", help="worker counts to compare, e.g. 1,2,4")
    parser.add_argument("--rounds", type=int, help="interleaved intake rounds (2)")
    parser.add_argument("--mix", help="channel shares, e.g. sms=85,api=10,web=5")
    parser.add_argument("--sqlite", action="store_true", help="SQLite, not PostgreSQL")
    parser.add_argument("--profile", type=Path, help="record py-spy profiles into this dir")
    parser.add_argument("--results", type=Path, default=RESULTS, help="file to append to")
    parser.add_argument("--no-results", action="store_true", help="print only")
    args = parser.parse_args(argv)
    changes = {
        name: getattr(args, name)
        for name in (
            "rate",
            "duration",
            "workers",
            "web_workers",
            "worker_class",
            "threads",
            "burst_size",
            "flood_size",
            "drain_size",
            "rounds",
        )
        if getattr(args, name) is not None
    }
    if args.sqlite:
        changes["sqlite"] = True
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        changes["profile"] = args.profile.resolve()
    if args.scaling:
        changes["scaling"] = tuple(int(n) for n in args.scaling.split(","))
    if args.mix:
        changes["mix"] = parse_mix(args.mix)
    options = Options.quick_run(**changes) if args.quick else Options(**changes)
    return options, None if args.no_results else args.results


def main(argv: list[str] | None = None) -> int:
    options, results_path = parse_args(argv)
    # A SIGTERM (a timeout, CI) still stops the services and drops the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    console = Console(width=160)
    bench = Bench(options, Console(stderr=True))
    try:
        bench.setup()
        for phase in (
            phases.intake,
            phases.drain,
            phases.steady,
            phases.burst,
            flood.flood,
            phases.memory,
        ):
            phase(bench)
    except KeyboardInterrupt:
        bench.results.notes.append("interrupted")
        raise
    except Exception as exc:
        bench.results.notes.append(f"stopped early: {type(exc).__name__}: {exc}")
        console.print(f"[red]benchmark stopped early: {exc}[/]")
        for service in bench.services:
            if service.tail():
                console.print(f"[dim]--- {service.name}[/]\n{service.tail()}")
        raise
    finally:
        bench.teardown()
        print_tables(bench.results, console)
        if results_path is not None and bench.results.measures:
            append_results(bench.results, results_path)
            console.print(f"appended to {results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
