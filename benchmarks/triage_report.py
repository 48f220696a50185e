"""The triage report: the issue's "done when" figures on the held-out corpus.

    python -m benchmarks.triage_report             # the shipped model (or --model FILE)
    python -m benchmarks.triage_report --results benchmarks/TRIAGE_RESULTS.md

Not a timed test: it scores both held-out sets, config/data/triage/heldout.tsv (split off the
corpus) and heldout_style.tsv (written later in other styles), neither used for training or
for choosing a threshold, the way intake takes an SMS, prints the summary, per category and the
confusion tables (the same as `satupintu triage evaluate`), and says which target is missed.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

TARGETS = {
    "junk_to_agency": ("<=", 0.02),
    "junk_to_case": ("<=", 0.10),
    "complaint_to_case": (">=", 0.95),
    "right_unit": (">=", 0.90),
    "wrong_unit": ("<=", 0.05),
}


def missed(figures: dict[str, float]) -> list[str]:
    out = []
    for name, (op, target) in TARGETS.items():
        value = figures[name]
        ok = value <= target if op == "<=" else value >= target
        if not ok:
            out.append(f"{name} {100 * value:.1f}% (target {op} {100 * target:.0f}%)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a model file (default: the shipped one)")
    parser.add_argument("--results", type=Path, help="append the report to this file")
    args = parser.parse_args(argv)

    from config import load_settings
    from config.triage_model import DEFAULT_MODEL, HELDOUT_SETS, read_corpus
    from dispatcher.runtime import Runtime
    from dispatcher.triage_eval import evaluate
    from gateway.cli.triage import print_evaluation

    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(
            environ={}, env="test", data_dir=Path(data_dir), secret_key="triage-report",
            triage_model=args.model or str(DEFAULT_MODEL),
        )  # fmt: skip
        runtime = Runtime(settings)
        results = {name: evaluate(read_corpus(p), runtime) for name, p in HELDOUT_SETS.items()}
    sections = []
    for name, result in results.items():
        buffer = io.StringIO()
        print_evaluation(result, Console(file=buffer, width=100, force_terminal=False))
        misses = missed(result.figures())
        verdict = "all targets met" if not misses else "missed: " + "; ".join(misses)
        sections.append(f"### {name}.tsv\n\n```\n{buffer.getvalue()}{verdict}\n```\n")
        sys.stdout.write(f"== {name}.tsv\n{buffer.getvalue()}{verdict}\n")
    if args.results:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with args.results.open("a", encoding="utf-8") as handle:
            handle.write(f"\n## {stamp}, model {args.model or DEFAULT_MODEL.name}\n\n")
            handle.write("\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
