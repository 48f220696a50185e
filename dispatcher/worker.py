"""Running rq workers: long-lived SimpleWorkers, one or a pool of them, on our queues.

SimpleWorker runs jobs in its own process, so the pooled database engine and the loaded
reference data are reused for every job instead of being rebuilt after each fork. A pool is
rq's WorkerPool of SimpleWorkers: it forks N of them, restarts one that dies, and on SIGINT or
SIGTERM asks each to finish the job in hand (rq ignores the second copy of the signal that a
terminal or systemd also delivers to the children within a second).

Recovery (dispatcher/recovery.py) runs in every worker's maintenance round, every
MAINTENANCE_SECONDS instead of rq's ten minutes: jobs of dead workers run again at once,
dead schedulers' locks are freed, and this host's spool is drained. A single worker also
outlives Redis going away: when rq's loop gives up, it starts a fresh worker once Redis
answers again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Sequence
from multiprocessing import get_context
from multiprocessing.process import BaseProcess

import redis
from rq import Queue, SimpleWorker
from rq.exceptions import DequeueTimeout, StopRequested
from rq.job import Job
from rq.registry import ReadyJobRegistry
from rq.serializers import JSONSerializer
from rq.worker import WorkerStatus
from rq.worker_pool import WorkerPool

from dispatcher import runtime as runtime_module
from dispatcher.queues import QUEUE_NAMES
from dispatcher.recovery import (
    release_dead_scheduler_locks,
    release_stale_cleaning_locks,
    requeue_abandoned,
)
from dispatcher.redis_server import die_with_parent
from dispatcher.runtime import Runtime

log = logging.getLogger(__name__)

# rq's registry cleanup and our recovery run this often (rq's default is ten minutes).
MAINTENANCE_SECONDS = 15
RESTART_PAUSE_SECONDS = (1, 2, 5, 10)
BLOCK_SECONDS = 1.0  # how long an idle worker waits on its first queue before looking again


class JSONQueue(Queue):
    """A Queue that reads and writes JSON unless told otherwise (what the pool builds).

    Its dequeue never lets a job out of Redis's sight. rq moves a popped job into the
    queue's intermediate list (where its cleanup finds a job whose worker died) only for a
    worker on a single queue; with several it pops the job outright, and a worker killed,
    or a Redis restarted, before the job is marked started loses it for good. Here every
    pop is an LMOVE into the intermediate list, queues tried in order, and the wait when all
    are empty blocks on the first queue for at most a second at a time.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("serializer", JSONSerializer)
        super().__init__(*args, **kwargs)

    @classmethod
    def dequeue_any(
        cls,
        queues,
        timeout: int | None,
        connection: redis.Redis,
        job_class=None,
        serializer=None,
        death_penalty_class=None,
    ):
        queues = list(queues)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for source in queues:
                job_id = connection.lmove(source.key, source.intermediate_queue_key)
                if job_id is not None:
                    break
            else:
                if deadline is None:  # burst: do not wait
                    return None
                wait = min(BLOCK_SECONDS, deadline - time.monotonic())
                if wait <= 0:
                    raise DequeueTimeout(timeout, [q.key for q in queues])
                source = queues[0]
                job_id = connection.blmove(source.key, source.intermediate_queue_key, wait)
                if job_id is None:
                    continue
            found = cls._fetch_dequeued_job(
                connection,
                source.key,
                job_id.decode(),
                job_class=job_class,
                serializer=serializer,
                death_penalty_class=death_penalty_class,
            )
            if found is not None:
                return found
            connection.lrem(source.intermediate_queue_key, 1, job_id)  # its job expired


class GatewayWorker(SimpleWorker):
    """A SimpleWorker that times every job for /metrics (one in-memory observation)."""

    queue_class = JSONQueue
    stop_signalled = False

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False):
        # Every dequeue went through the intermediate list (JSONQueue.dequeue_any): leave
        # it as the job is marked started, in the same transaction, whatever the queues.
        super().prepare_job_execution(job, remove_from_intermediate_queue=True)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("maintenance_interval", MAINTENANCE_SECONDS)
        # An idle worker blocks on the queue for worker_ttl - 15 s and runs maintenance only
        # in between: rq's 420 s would leave recovery waiting minutes.
        kwargs.setdefault("worker_ttl", MAINTENANCE_SECONDS + 20)
        super().__init__(*args, **kwargs)

    def unsubscribe(self) -> None:
        # rq unsubscribes, then joins its pubsub thread; a thread that has just read the
        # unsubscribe reply waits up to rq's 60 s sleep_time for a subscription that never
        # comes, so a worker stopping soon after it started (a burst, a quick SIGTERM) hung
        # for a minute. Tell the thread to stop first and wake it from that wait.
        thread = getattr(self, "pubsub_thread", None)
        if thread is not None:
            thread.stop(timeout=0)
            self.pubsub.subscribed_event.set()
        super().unsubscribe()

    def execute_job(self, job: Job, queue: Queue) -> None:
        # SimpleWorker.execute_job, plus one step while still busy (a SIGTERM then waits
        # for the loop instead of landing in rq's exception handlers as StopRequested).
        execution = self.prepare_execution(job)
        self.perform_job(job, queue, execution)
        # rq enqueues a finished job's dependents (a contact's next message) from its ready
        # registry under WATCH, and concedes those another worker touched meanwhile to the
        # next maintenance; pick them up now (one ZRANGE when there is nothing to do).
        ReadyJobRegistry(
            queue.name, connection=self.connection, serializer=self.serializer
        ).cleanup()
        self.set_state(WorkerStatus.IDLE)

    def run_maintenance_tasks(self) -> None:
        try:
            if release_dead_scheduler_locks(self.connection) and self.scheduler is not None:
                # Take over now: rq would try again only at the next round.
                self.scheduler.acquire_locks(auto_start=True)
            release_stale_cleaning_locks(self.connection)
            requeue_abandoned(self.connection)
            for queue_name in QUEUE_NAMES:  # dependents rq conceded, whoever holds rq's lock
                ReadyJobRegistry(
                    queue_name, connection=self.connection, serializer=self.serializer
                ).cleanup()
            _drain_spool(self.connection)
            # Records no drain job will take (a web process died between push and enqueue).
            from dispatcher.drain import sweep_inbox

            sweep_inbox(self.connection)
        except (redis.RedisError, StopRequested):
            raise  # rq's loop waits for Redis, or stops
        except Exception:  # recovery must never take the worker down with it
            log.exception("worker recovery failed; the next round tries again")
        super().run_maintenance_tasks()

    def handle_warm_shutdown_request(self) -> None:
        # rq says this at INFO, which its logger (at WARNING, see _logging_level) drops: a
        # stop is no idle chatter, an operator wants to see it.
        log.info("worker %s [PID %d]: warm shut down requested", self.name, self.pid)

    def request_stop(self, signum, frame) -> None:
        self.stop_signalled = True
        try:
            super().request_stop(signum, frame)  # asks Redis whether a job is in hand
        except redis.RedisError as exc:
            # Redis is away: nothing can be recorded anyway, and rq's loop would take the
            # error for a lost connection and carry on. Stop; recovery reruns any job.
            raise StopRequested from exc

    def perform_job(self, job: Job, queue: Queue, execution) -> bool:
        from dispatcher.metrics import observe_job

        started = time.perf_counter()
        ok = super().perform_job(job, queue, execution)
        name = (job.func_name or "").rpartition(".")[2]
        elapsed = time.perf_counter() - started
        observe_job(queue.name, name, ok, elapsed)
        if ok and name != "run_periodic":  # periodic jobs say so themselves when they did work
            log.info("%s job %s done in %.0f ms", queue.name, name, elapsed * 1000)
        return ok


def _logging_level() -> str:
    """rq's own level: at INFO, rq logs four lines per job and per maintenance round (every
    15 s), a dozen a minute on an idle gateway; its warnings and errors (a failed job and its
    traceback) stay, and GatewayWorker logs one line per job that did work instead."""
    level = logging.getLogger().getEffectiveLevel()
    return logging.getLevelName(level if level < logging.INFO else max(level, logging.WARNING))


def make_worker(
    runtime: Runtime, name: str | None = None, queues: Sequence[str] = QUEUE_NAMES
) -> SimpleWorker:
    connection = runtime.redis
    return GatewayWorker(
        # intake first: it is what citizens wait on
        [JSONQueue(queue_name, connection=connection) for queue_name in queues],
        connection=connection,
        serializer=JSONSerializer,
        name=name,
    )


def run_worker(
    runtime: Runtime,
    *,
    burst: bool = False,
    with_scheduler: bool = True,
    queues: Sequence[str] = QUEUE_NAMES,
) -> bool:
    """Work until stopped (SIGTERM finishes the job in hand first) or, in burst, until idle.

    The scheduler runs scheduled retries; rq lets only one worker at a time hold it. It is
    a forked child of this process and is told to stop when this process dies. If Redis
    goes away and rq's loop gives up, a fresh worker starts once Redis answers again.
    """
    os.register_at_fork(after_in_child=die_with_parent)
    _warm_up(runtime)
    stopping = threading.Event()
    dead: list[GatewayWorker] = []  # workers whose death Redis has not heard of yet
    worked, failures = False, 0
    while True:
        worker = None
        try:
            worker = make_worker(runtime, queues=queues)  # it talks to Redis already
            for old in list(dead):
                old.register_death()  # lets recovery hand its job back to rq at once
                dead.remove(old)
            ran = worker.work(
                burst=burst, with_scheduler=with_scheduler, logging_level=_logging_level()
            )
            worked, failures = worked or ran, 0
        except redis.RedisError as exc:
            log.warning("worker lost Redis (%s); a fresh one starts when it is back", exc)
            if worker is not None:
                dead.append(worker)
            failures += 1
        if burst or (worker is not None and (worker.stop_signalled or worker._stop_requested)):
            return worked
        # rq's loop gave up (Redis went away mid-job): pause, then start afresh.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        if stopping.wait(RESTART_PAUSE_SECONDS[min(failures, len(RESTART_PAUSE_SECONDS) - 1)]):
            return worked


def _warm_up(runtime: Runtime) -> None:
    """Load the reply senders' libraries, the triage model and its stemmer, and SQLAlchemy's
    mappers before the first job (never fatal). A pool does it once, before the fork, so its
    members share them instead of each building its own while the others store (four
    workers on two cores paid it four times, in the middle of the work)."""
    from adapters.registry import warm_up
    from casestore.db import configure_models
    from config.triage_model import stemmer
    from dispatcher.triage import category_index, model_for

    try:
        warm_up(runtime.settings)
    except Exception:
        log.exception("warming up the reply senders failed; the first send will load them")
    try:
        model_for(runtime)
        category_index(runtime)
        stemmer()
        configure_models()
    except Exception:
        log.exception("loading the triage model failed; the first record will load it")


def _drain_spool(connection: redis.Redis) -> None:
    """Re-submit this host's spool (a poll job may have spooled while Redis was away)."""
    from dispatcher.submit import drain_spool

    with contextlib.suppress(redis.RedisError):
        drained = drain_spool(connection, runtime_module.current().spool)
        if drained:
            log.info("spool: %d record(s) re-submitted", drained)


def _pool_child(name: str, queue_names: Sequence[str], *_rq_connection, **options) -> None:
    """A pool member: a worker like `satupintu worker`'s, in a forked process.

    It drops the parent's sockets and pooled connections (not ours to use after fork) but
    keeps the loaded reference data, and makes its Redis connection from the settings, as
    every process does, rather than from rq's copy of the parent's pool arguments, which a
    Sentinel-managed connection would not survive.
    """
    inherited = runtime_module.current()
    inherited.__dict__.pop("engine", None)
    inherited.__dict__.pop("redis", None)
    run_worker(inherited, burst=options.get("burst", False), queues=list(queue_names))


class GatewayPool(WorkerPool):
    """rq's WorkerPool whose forked members run our worker loop from a fresh runtime."""

    def get_worker_process(
        self, name: str, burst: bool, _sleep: float = 0, logging_level: str = "INFO"
    ) -> BaseProcess:
        return get_context("fork").Process(
            target=_pool_child,
            args=(name, self._queue_names, self._connection_class, self._pool_class),
            kwargs={
                "connection_pool_kwargs": self._pool_kwargs,
                "_sleep": _sleep,
                "burst": burst,
                "logging_level": logging_level,
                "worker_class": self.worker_class,
                "job_class": self.job_class,
                "queue_class": self.queue_class,
                "serializer": self.serializer,
                "exception_handlers": self.exception_handlers,
            },
            name=f"satupintu worker {name}",
        )


def run_pool(
    runtime: Runtime, count: int, *, burst: bool = False, queues: Sequence[str] = QUEUE_NAMES
) -> None:
    """Run ``count`` SimpleWorkers as one service until stopped or, in burst, until idle."""
    _warm_up(runtime)  # once, before the fork: the members share the loaded modules
    pool = GatewayPool(
        list(queues),
        connection=runtime.redis,
        num_workers=count,
        worker_class=GatewayWorker,
        serializer=JSONSerializer,
        queue_class=JSONQueue,
    )
    pool.start(burst=burst, logging_level=_logging_level())
