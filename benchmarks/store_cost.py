"""What storing a message costs in-process: SQL statements and CPU per message, per-record
path against the set-wise batch path, in the same run.

```sh
python -m benchmarks.store_cost                 # 1,000 new SMS and the mixed corpus, SQLite
python -m benchmarks.store_cost --count 2000 --database-url postgresql+psycopg://...
```

Both paths store the same records in batches of 50 (one transaction a batch, as the drain
job does): (1) ``store_record`` for each record, the drain before issue 22; (2)
``store_records`` (dispatcher/intake/batch.py). Statements are counted at the cursor
(an executemany or a multi-row INSERT is one); CPU is this process's (time.process_time),
so the database server's own CPU is not in it on PostgreSQL. Triage and routing caches are
warmed first, and the two paths run in turn, ``--rounds`` times each, into an emptied
database (ids restarted); the medians are printed with their ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from benchmarks.store_corpus import CORPUS, START, batches, build_corpus, empty_store
from casestore.db import make_engine
from casestore.migrate import upgrade
from config import load_settings
from dispatcher import runtime as runtime_module
from dispatcher.intake import store_record
from dispatcher.intake.batch import store_records
from dispatcher.intake.holds import triage_of
from dispatcher.redis_server import EmbeddedRedis
from dispatcher.runtime import Runtime
from dispatcher.triage import route_record
from normalizer import normalize
from normalizer.records import Channel, ComplaintRecord, InboundMessage
from tools.traffic import in_own_words, load_texts

SECRET = "store-cost-benchmark-secret"


def new_sms(runtime: Runtime, count: int, seed: int = 1) -> list[dict[str, Any]]:
    """``count`` new SMS complaints, each from a sender never seen before."""
    rng = random.Random(seed)
    texts = load_texts(CORPUS)
    out = []
    for n in range(count):
        inbound = InboundMessage(
            channel=Channel.SMS,
            provider="twilio",
            external_id=f"SM{rng.getrandbits(128):032x}",
            sender=f"tel:+62813{10**7 + n:08d}",
            text=in_own_words(rng, rng.choice(texts)),
            received_at=START + timedelta(seconds=n),
        )
        out.append(normalize(inbound, runtime.rules).to_dict())
    return out


@contextmanager
def _counted(runtime: Runtime) -> Iterator[list[int]]:
    seen = [0]

    def count(*_args: Any) -> None:
        seen[0] += 1

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)


def per_record(runtime: Runtime, payloads: list[dict[str, Any]]) -> None:
    for batch in batches(payloads):
        with runtime.sessions.begin() as session:
            for payload in batch:
                store_record(session, ComplaintRecord.from_dict(payload), runtime)


def set_wise(runtime: Runtime, payloads: list[dict[str, Any]]) -> None:
    for batch in batches(payloads):
        with runtime.sessions.begin() as session:
            store_records(session, [ComplaintRecord.from_dict(p) for p in batch], runtime)


def measure(
    runtime: Runtime, path: Callable[[Runtime, list[dict[str, Any]]], None], payloads: list
) -> tuple[float, float]:
    """(statements, CPU ms) per message of one pass of ``path`` into an emptied database."""
    empty_store(runtime)
    with _counted(runtime) as seen:
        started = time.process_time()
        path(runtime, payloads)
        cpu = time.process_time() - started
    return seen[0] / len(payloads), cpu * 1000 / len(payloads)


def compare(runtime: Runtime, name: str, payloads: list, rounds: int) -> list[str]:
    for payload in payloads:  # warm triage's and routing's caches for both paths alike
        record = ComplaintRecord.from_dict(payload)
        route_record(record, runtime, triage_of(record, runtime))
    results: dict[str, list[tuple[float, float]]] = {"per record": [], "set-wise": []}
    for _ in range(rounds):
        results["per record"].append(measure(runtime, per_record, payloads))
        results["set-wise"].append(measure(runtime, set_wise, payloads))
    medians = {
        path: (statistics.median(s for s, _ in r), statistics.median(c for _, c in r))
        for path, r in results.items()
    }
    (s1, c1), (s2, c2) = medians["per record"], medians["set-wise"]
    return [
        f"| {name} ({len(payloads)}) | per record | {s1:.2f} | {c1:.2f} |  |",
        f"| {name} ({len(payloads)}) | set-wise | {s2:.2f} | {c2:.2f} | "
        f"statements {s2 / s1:.0%}, CPU {c2 / c1:.0%} of per record |",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'store_cost.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        redis_server = EmbeddedRedis(Path(tmp) / "redis")
        redis_server.start()
        try:
            settings = load_settings(
                environ={},
                env="test",
                data_dir=Path(tmp) / "var",
                database_url=url,
                redis_url=redis_server.url,
                secret_key=SECRET,
            )
            runtime = Runtime(settings)
            runtime_module.install(runtime)
            rows = ["| corpus | path | statements / msg | CPU ms / msg | ratio |"]
            rows.append("|---|---|---|---|---|")
            rows += compare(runtime, "new SMS", new_sms(runtime, args.count), args.rounds)
            rows += compare(runtime, "mixed", build_corpus(runtime, args.count), args.rounds)
            empty_store(runtime)
            runtime_module.install(None)
        finally:
            redis_server.stop()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {engine.dialect.name}, batches of 50")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
