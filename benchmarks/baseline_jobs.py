"""Baseline (b): one rq job per message doing a single INSERT (SQLAlchemy Core).

The job gets the same JSON record our ``store`` job gets, through the same JSON serializer,
enqueued with the same rq options, and runs in the same SimpleWorker class (one process, or
rq's pool of them) with an engine from ``casestore.db.make_engine`` (same pool settings). It
only inserts one row: what is left between it and our store job is our own work.
Run the workers as ``python -m benchmarks.baseline_jobs --count N`` (burst: exits when idle).
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import BigInteger, Column, Engine, Integer, MetaData, String, Table, Text

from casestore.db import make_engine
from casestore.models import UTCDateTime, utcnow
from dispatcher.queues import job_id, queue
from dispatcher.submit import STORE_FAILURE_TTL, STORE_RESULT_TTL, STORE_RETRY

QUEUE = "baseline"
metadata = MetaData()
bench_rows = Table(
    "bench_rows",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("idempotency_key", String(200), unique=True, nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

_engine: Engine | None = None


def _engine_for_job() -> Engine:
    global _engine
    if _engine is None:
        _engine = make_engine(os.environ["SATUPINTU_DATABASE_URL"])
    return _engine


def insert(record: dict[str, Any]) -> None:
    """The whole job: one row in one transaction."""
    with _engine_for_job().begin() as connection:
        connection.execute(
            bench_rows.insert().values(
                idempotency_key=record["idempotency_key"],
                body=record["text"],
                received_at=datetime.fromisoformat(record["received_at"]),
                created_at=utcnow(),
            )
        )


def create_table(engine: Engine) -> None:
    metadata.drop_all(engine)
    metadata.create_all(engine)


def enqueue(connection: redis.Redis, records: list[dict[str, Any]]) -> None:
    """Queue one insert job per record, with the options submit() gives a store job."""
    q = queue(QUEUE, connection)
    with connection.pipeline() as pipe:
        for record in records:
            q.enqueue(
                "benchmarks.baseline_jobs.insert",
                record,
                job_id=job_id("baseline", record["idempotency_key"]),
                retry=STORE_RETRY,
                result_ttl=STORE_RESULT_TTL,
                failure_ttl=STORE_FAILURE_TTL,
                description="baseline insert",
                pipeline=pipe,
            )
        pipe.execute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1)
    args = parser.parse_args()
    from config import load_settings
    from dispatcher.metrics import use_metrics_dir
    from dispatcher.runtime import Runtime, install
    from dispatcher.worker import run_pool, run_worker

    settings = load_settings()
    use_metrics_dir(settings.data_dir, "baseline")  # as `satupintu worker` does
    runtime = Runtime(settings)
    install(runtime)
    if args.count == 1:
        run_worker(runtime, burst=True, queues=[QUEUE])
    else:
        run_pool(runtime, args.count, burst=True, queues=[QUEUE])


if __name__ == "__main__":
    main()
