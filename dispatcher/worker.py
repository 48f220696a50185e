"""Running rq workers: long-lived SimpleWorkers on the intake and notify queues.

SimpleWorker runs jobs in its own process, so the pooled database engine and the loaded
reference data are reused for every job instead of being rebuilt after each fork.
"""

from __future__ import annotations

import logging

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from dispatcher.queues import QUEUE_NAMES, queue
from dispatcher.runtime import Runtime


def make_worker(runtime: Runtime, name: str | None = None) -> SimpleWorker:
    connection = runtime.redis
    return SimpleWorker(
        [
            queue(name, connection) for name in QUEUE_NAMES
        ],  # intake first: it is what citizens wait on
        connection=connection,
        serializer=JSONSerializer,
        name=name,
    )


def run_worker(runtime: Runtime, *, burst: bool = False, with_scheduler: bool = True) -> bool:
    """Work until stopped (SIGTERM finishes the job in hand first) or, in burst, until idle.

    The scheduler runs scheduled retries; rq lets only one worker at a time hold it.
    """
    worker = make_worker(runtime)
    return worker.work(
        burst=burst,
        with_scheduler=with_scheduler,
        logging_level=logging.getLevelName(logging.getLogger().level),
    )
