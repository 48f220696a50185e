"""The benchmark's phases, against services it starts itself (benchmarks/services.py).

Each measurement of ours has its baseline measured in the same run, on the same servers,
interleaved, because this machine is shared and its speed drifts:
- intake: our webhook vs baseline (a), a bare Flask endpoint doing one Redis write, both
  under the same gunicorn options, offered more than either can take;
- store: our pipeline vs baseline (b), one rq job per message doing one INSERT, draining a
  preloaded queue with the same number of SimpleWorker processes (1, 2, 4);
- steady: the whole gateway at half our sustained rate: ack latency, receipt-to-stored
  latency from the case store's own timestamps, CPU per message of each process group;
- burst: 20,000 messages at twice the sustained rate: lost, duplicated, drain time, and the
  backlog as /metrics showed it while it lasted.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from rich.console import Console
from sqlalchemy import func, select, text
from werkzeug.datastructures import MultiDict

from benchmarks import baseline_jobs
from benchmarks import profile as profiling
from benchmarks.services import (
    CpuMeter,
    Database,
    RedisServer,
    Service,
    free_port,
    python_module,
)
from casestore.models import Base, Complaint, Message, Quarantine
from dispatcher import inbox
from gateway import loadgen
from gateway.traffic import (
    FormSession,
    Plan,
    Target,
    fetch_form_session,
    load_texts,
    plan_traffic,
)

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "routing_corpus.csv"
TWILIO_SID = "AC" + "be0c4" * 6 + "be"
TWILIO_TOKEN = "bench-" + "0" * 26


@dataclass
class Options:
    quick: bool = False
    rate: float = 2500.0  # offered in the intake tests: more than either server can take
    duration: float = 8.0  # seconds of each intake test; the steady phase runs 3x this
    workers: int = 2
    web_workers: int = 2
    worker_class: str = "gthread"
    threads: int = 4
    connections: int = 32
    rounds: int = 2
    drain_size: int = 3000
    scaling: tuple[int, ...] = (1, 2, 4)
    burst_size: int = 20_000
    mix: dict[str, float] = field(default_factory=lambda: {"sms": 85, "api": 10, "web": 5})
    retries: float = 0.02
    seed: int = 1708
    profile: Path | None = None  # record py-spy profiles of the web and a worker here
    sqlite: bool = False  # SQLite even when PostgreSQL answers (the embedded default)

    @classmethod
    def quick_run(cls, **changes) -> Options:
        base = cls(
            quick=True,
            rate=2000.0,  # still more than either server takes, or the ratio means nothing
            duration=1.5,
            rounds=1,
            drain_size=150,
            scaling=(1, 2),
            burst_size=400,
        )
        for key, value in changes.items():
            setattr(base, key, value)
        return base


@dataclass
class Processed:
    keys: list[tuple[str, str]]  # (channel, external id) of every message the store took
    times: list[datetime]
    held: int

    @property
    def rate(self) -> float:
        if len(self.times) < 2:
            return math.nan
        span = (max(self.times) - min(self.times)).total_seconds()
        return (len(self.times) - 1) / span if span else math.nan


@dataclass
class Measure:
    """One row of the results table."""

    name: str
    ours: float | None
    baseline: float | None = None
    unit: str = ""
    target: str = ""
    passed: bool | None = None  # None: no target on this row
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.ours is None or not self.baseline:
            return None
        return self.ours / self.baseline


@dataclass
class Results:
    started: datetime
    options: Options
    database: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    measures: list[Measure] = field(default_factory=list)
    scaling: list[tuple[int, float, float]] = field(default_factory=list)  # n, ours, base
    cpu_per_message: dict[str, float] = field(default_factory=dict)  # group -> ms
    peak_rss: dict[str, float] = field(default_factory=dict)  # process -> MiB
    notes: list[str] = field(default_factory=list)


class Bench:
    def __init__(self, options: Options, console: Console | None = None) -> None:
        self.o = options
        self.console = console or Console(stderr=True)
        self.workdir = Path(tempfile.mkdtemp(prefix="satupintu-bench-"))
        self.results = Results(started=datetime.now(UTC), options=options)
        if options.quick:
            self.results.notes.append(
                "quick run: loads far too small for the ratios and the burst to mean much; "
                "it shows the benchmark works. Judge the targets on a full run."
            )
        self.texts = load_texts(CORPUS) if CORPUS.exists() else None
        self.services: list[Service] = []
        self.redis: RedisServer | None = None
        self.db: Database | None = None
        self.workers: Service | None = None
        self.seed = options.seed

    # --- set-up -------------------------------------------------------------------------

    def say(self, message: str) -> None:
        self.console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {message}")

    def setup(self) -> None:
        self.say(f"working in {self.workdir}")
        self.redis = RedisServer(self.workdir / "redis").start()
        if self.o.sqlite:
            self.db = Database.sqlite(self.workdir, "asked for with --sqlite")
        else:
            self.db = Database.create(self.workdir)
        self.results.database = self.db.label
        self.say(f"database: {self.db.label}; redis {self.redis.version()} (appendonly)")
        self.port, self.baseline_port, twilio_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.baseline_url = f"http://127.0.0.1:{self.baseline_port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.env.update(
            {
                "SATUPINTU_ENV": "production",
                "SATUPINTU_DATA_DIR": str(self.workdir / "var"),
                "SATUPINTU_DATABASE_URL": self.db.url,
                "SATUPINTU_REDIS_URL": self.redis.url,
                "SATUPINTU_SECRET_KEY": secrets.token_urlsafe(32),
                "SATUPINTU_PUBLIC_URL": self.url,
                "SATUPINTU_TWILIO_ACCOUNT_SID": TWILIO_SID,
                "SATUPINTU_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                "SATUPINTU_TWILIO_FROM": "1708",
                "SATUPINTU_TWILIO_API_URL": f"http://127.0.0.1:{twilio_port}",
                # The load comes from one address; a real crowd comes from thousands.
                "SATUPINTU_SUBMIT_RATE_LIMIT": "0",
                "SATUPINTU_SUBMIT_RATE_LIMIT_PER_BROWSER": "0",  # one form session for all
                "SATUPINTU_SUBMIT_RATE_LIMIT_SAME_TEXT": "0",
                "SATUPINTU_LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self._service(
            "fake-twilio", python_module("benchmarks.fake_twilio", "--port", str(twilio_port))
        )
        self._service("db-upgrade", python_module("gateway.cli", "db", "upgrade")).wait(120)
        self._harness_runtime()
        baseline_jobs.create_table(self.rt.engine)
        web = ["--workers", str(self.o.web_workers), "--worker-class", self.o.worker_class]
        web += ["--threads", str(self.o.threads)]
        self.web = self._service(
            "web", python_module("gateway.cli", "web", "--bind", f"127.0.0.1:{self.port}", *web)
        )
        self.baseline_web = self._service(
            "baseline-web",
            python_module(
                "benchmarks.baseline_web",
                "--bind",
                f"127.0.0.1:{self.baseline_port}",
                "--redis",
                self.redis.url,
                *web,
            ),
        )
        self._wait_healthy(self.url, self.web)
        self._wait_healthy(self.baseline_url, self.baseline_web)
        self.form: FormSession | None = None
        if self.o.mix.get("web"):
            self.form = fetch_form_session(Target(url=self.url))
        self.results.versions = {"redis": self.redis.version(), "database": self.db.label}

    def _harness_runtime(self) -> None:
        from config import load_settings
        from dispatcher.runtime import Runtime

        settings = load_settings(environ=self.env)
        self.rt = Runtime(settings)

    def _service(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Service:
        service = Service(name, argv, env or self.env, self.workdir / f"{name}.log").start()
        self.services.append(service)
        return service

    def _wait_healthy(self, url: str, service: Service, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not service.running():
                raise RuntimeError(f"{service.name} exited:\n{service.tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if _get(url + "/healthz")[0] == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{service.name} did not answer in {timeout:.0f} s:\n{service.tail()}")

    def teardown(self) -> None:
        for service in reversed(self.services):
            service.stop()
        if hasattr(self, "rt"):
            self.rt.close()
        if self.redis is not None:
            self.redis.stop()
        if self.db is not None:
            with contextlib.suppress(Exception):
                self.db.drop()

    # --- helpers ------------------------------------------------------------------------

    def target(self, url: str) -> Target:
        return Target(
            url=url,
            public_url=self.url,
            twilio_auth_token=TWILIO_TOKEN,
            twilio_account_sid=TWILIO_SID,
        )

    def plan(self, count: int, url: str | None = None, retries: float | None = None) -> Plan:
        self.seed += 1
        return plan_traffic(
            self.target(url or self.url),
            count,
            self.o.mix,
            retries=self.o.retries if retries is None else retries,
            form_session=self.form,
            seed=self.seed,
            **({"texts": self.texts} if self.texts else {}),
        )

    def send(self, url: str, plan: Plan, rate: float, on_done=None) -> loadgen.RunResult:
        return loadgen.run(
            url, plan.requests, rate, connections=self.o.connections, on_done=on_done
        )

    def reset(self, keep_workers: bool = False) -> None:
        """Empty Redis and the case store (units stay), between phases; with running workers
        (``keep_workers``) only the case store: Redis holds their registrations."""
        assert self.redis is not None and self.db is not None
        if not keep_workers:
            self.redis.client().flushall()
        tables = [t for t in Base.metadata.sorted_tables if t.name != "units"]
        tables.append(baseline_jobs.bench_rows)
        with self.rt.engine.begin() as connection:
            if self.db.postgres:
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(tables):
                    connection.execute(table.delete())

    def start_workers(
        self,
        count: int,
        burst: bool,
        module: str = "gateway.cli",
        profile: str = "",
        intake_only: bool = False,
    ) -> Service:
        if module == "gateway.cli":
            argv = python_module(module, "worker", "--count", str(count))
            argv += ["--burst"] if burst else []
            # The drain tests time the store jobs; the replies they queue are timed in the
            # steady phase, where workers serve every queue as in production.
            argv += ["--queue", "intake"] if intake_only else []
        else:
            argv = python_module(module, "--count", str(count))
        if profile and self.o.profile is not None:
            argv = profiling.record_command(self.o.profile / profile, argv)
        return self._service(f"workers-{count}{'-burst' if burst else ''}", argv)

    def stored_span(self, table) -> tuple[int, float]:
        """Rows and the seconds between the first and the last insert."""
        with self.rt.engine.connect() as connection:
            count, first, last = connection.execute(
                select(func.count(), func.min(table.c.created_at), func.max(table.c.created_at))
            ).one()
        if count < 2:
            return count, 0.0
        return count, (_aware(last) - _aware(first)).total_seconds()

    def processed(self) -> Processed:
        """What the store jobs made of the messages: inbound rows, and records held back
        for an operator (quarantine: too little information, over the rate limit)."""
        with self.rt.engine.connect() as connection:
            inbound = connection.execute(
                select(Message.channel, Message.external_id, Message.created_at).where(
                    Message.direction == "in"
                )
            ).all()
            held = connection.execute(
                select(Quarantine.idempotency_key, Quarantine.created_at)
            ).all()
        keys = [(c, e) for c, e, _ in inbound] + [tuple(k.split(":", 1)) for k, _ in held]
        times = [_aware(t) for *_, t in inbound] + [_aware(t) for _, t in held]
        return Processed(keys=keys, times=times, held=len(held))

    def queued(self, name: str = "intake") -> int:
        """Jobs on the queue; for intake, plus the records waiting in the inbox."""
        assert self.redis is not None
        client = self.redis.client()
        waiting = inbox.depth(client).records if name == "intake" else 0
        return int(client.llen(f"rq:queue:{name}")) + waiting

    # --- phases -------------------------------------------------------------------------

    def intake(self) -> None:
        """Ack throughput, ours vs baseline (a), offered more than either takes."""
        count = int(self.o.rate * self.o.duration)
        ours_runs, base_runs = [], []
        for round_ in range(self.o.rounds):
            for label, url, runs in (
                ("baseline (a)", self.baseline_url, base_runs),
                ("ours", self.url, ours_runs),
            ):
                plan = self.plan(count, url)
                spy = None
                if self.o.profile is not None and round_ == 0:
                    name = "web.txt" if url == self.url else "web-baseline.txt"
                    server = self.web if url == self.url else self.baseline_web
                    assert server.process is not None
                    spy = profiling.attach(
                        self.o.profile / name, server.process.pid, self.o.duration
                    )
                result = self.send(url, plan, self.o.rate)
                if spy is not None:
                    spy.wait(60)
                summary = loadgen.summarize(result)
                runs.append(summary)
                self.say(
                    f"intake round {round_ + 1} {label}: {summary.throughput:.0f} acks/s, "
                    f"{summary.ok}/{summary.sent} ok, errors {summary.errors or 'none'}, "
                    f"client lag {result.max_lag * 1000:.0f} ms"
                )
        ours = _median([s.throughput for s in ours_runs])
        base = _median([s.throughput for s in base_runs])
        errors = sum(sum(s.errors.values()) for s in ours_runs)
        self.results.measures.append(
            Measure(
                "intake ack throughput (saturated)",
                ours,
                base,
                "acks/s",
                ">= 50% of (a)",
                passed=ours >= 0.5 * base and errors == 0,
                note=f"median of {self.o.rounds}; errors {errors}",
            )
        )
        self.ack_capacity = ours

    def drain(self) -> None:
        """Stored per second, ours vs baseline (b), with 1, 2, 4 worker processes."""
        size = self.o.drain_size
        for n in self.o.scaling:
            self.reset()
            plan = self.plan(size, retries=0.0)
            self.send(self.url, plan, min(self.o.rate, max(200.0, self.ack_capacity * 0.8)))
            queued = self.queued()
            started = time.monotonic()
            first = n == self.o.scaling[0]
            self.start_workers(
                n, burst=True, profile="worker.txt" if first else "", intake_only=True
            ).wait(timeout=size / 5 + 120)
            done = self.processed()
            count, ours = len(done.keys), done.rate
            self.say(
                f"drain {n} worker(s) ours: {count}/{queued} stored ({done.held} held) "
                f"at {ours:.0f}/s "
                f"({time.monotonic() - started:.1f} s with start-up and replies)"
            )
            self.reset()
            baseline_jobs.enqueue(self.rt.redis, self._records(plan))
            self.start_workers(
                n,
                burst=True,
                module="benchmarks.baseline_jobs",
                profile="worker-baseline.txt" if first else "",
            ).wait(timeout=size / 5 + 120)
            count_b, span_b = self.stored_span(baseline_jobs.bench_rows)
            base = (count_b - 1) / span_b if span_b else math.nan
            self.say(f"drain {n} worker(s) baseline (b): {count_b} rows at {base:.0f}/s")
            self.results.scaling.append((n, ours, base))
        by_n = {n: (ours, base) for n, ours, base in self.results.scaling}
        ours, base = by_n.get(self.o.workers, (math.nan, math.nan))
        # Half and twice this rate drive the next phases; without a number, go slow.
        self.sustained = ours if ours == ours and ours > 0 else 20.0
        self.results.measures.append(
            Measure(
                f"sustained stored rate, {self.o.workers} workers",
                ours,
                base,
                "msg/s",
                ">= 80% of (b)",
                passed=ours >= 0.8 * base,
                note="preloaded queue drained; from the store's created_at",
            )
        )

    def _records(self, plan: Plan) -> list[dict]:
        """The store-job payloads our web made of this plan's SMS (same bytes for (b))."""
        from adapters import twilio_sms
        from normalizer import normalize

        records = []
        for request in plan.requests:
            body = request.wire.split(b"\r\n\r\n", 1)[1]
            if request.channel != "sms":
                # (b) gets one job per message whatever its channel: reuse an SMS body.
                continue
            form = MultiDict(parse_qsl(body.decode(), keep_blank_values=True))
            records.append(normalize(twilio_sms.parse(form), self.rt.rules).to_dict())
        while records and len(records) < len(plan.requests):
            clone = dict(records[len(records) % len(records)])
            clone["idempotency_key"] = f"{clone['idempotency_key']}-{len(records)}"
            records.append(clone)
        return records

    def steady(self) -> None:
        """Half the sustained rate: latencies and CPU per message, web + workers running.

        The sustained rate is the store-only drain's, but here the same workers also send
        every SMS citizen their reply; a second, informative pass at a quarter of it shows
        the receipt-to-stored latency when the workers are not saturated by both.
        """
        self.reset()
        self.workers = self.start_workers(self.o.workers, burst=False)
        self._wait_for_workers(self.o.workers)
        self._steady_pass(0.5, "half of sustained", target=True)
        self.reset(keep_workers=True)
        self._steady_pass(0.25, "a quarter of sustained", target=False)

    def _steady_pass(self, fraction: float, label: str, *, target: bool) -> None:
        rate = max(5.0, self.sustained * fraction)
        seconds = self.o.duration * 3 if target else self.o.duration * 2
        plan = self.plan(int(rate * seconds))
        assert self.redis is not None and self.db is not None and self.workers is not None
        groups: dict[str, Callable] = {
            "web": self.web.pids,
            "workers": self.workers.pids,
            "redis": self.redis.pids,
        }
        if self.db.postgres:
            groups["postgresql"] = self.db.backend_pids
        with CpuMeter(groups) as meter:
            result = self.send(self.url, plan, rate)
            self._wait_stored(sum(plan.unique.values()), timeout=60)
            self._wait_idle(timeout=60)
        summary = loadgen.summarize(result)
        unique = sum(plan.unique.values())
        delays = self._receipt_to_stored()
        p99 = loadgen.percentile(delays, 0.99) * 1000
        p50 = loadgen.percentile(delays, 0.5) * 1000
        note = f"{len(delays)} complaints; errors {summary.errors or 'none'}"
        if not target:
            self.results.measures += [
                Measure(f"offered rate ({label})", rate, None, "msg/s"),
                Measure(f"receipt-to-stored p50 at {fraction:g}", p50, None, "ms"),
                Measure(f"receipt-to-stored p99 at {fraction:g}", p99, None, "ms", note=note),
            ]
            self.say(f"steady {rate:.0f}/s: stored p50 {p50:.0f} ms p99 {p99:.0f} ms")
            return
        self.results.cpu_per_message = {
            name: seconds * 1000 / unique for name, seconds in meter.seconds().items()
        }
        self.results.measures += [
            Measure(f"offered rate ({label})", rate, None, "msg/s"),
            Measure("ack latency p50", summary.p50_ms, None, "ms"),
            Measure("ack latency p99", summary.p99_ms, None, "ms"),
            Measure("receipt-to-stored p50", p50, None, "ms"),
            Measure(
                "receipt-to-stored p99",
                p99,
                None,
                "ms",
                "<= 250 ms",
                passed=p99 <= 250,
                note=note,
            ),
        ]
        self.say(
            f"steady {rate:.0f}/s: ack p50 {summary.p50_ms:.1f} ms p99 {summary.p99_ms:.1f} ms, "
            f"stored p99 {p99:.0f} ms"
        )

    def burst(self) -> None:
        """burst_size messages at twice the sustained rate: nothing lost, nothing doubled."""
        assert self.workers is not None
        self.workers.stop()
        self.reset()
        self.workers = self.start_workers(self.o.workers, burst=False)
        self._wait_for_workers(self.o.workers)
        rate = max(10.0, self.sustained * 2)
        plan = self.plan(self.o.burst_size)
        depth_seen: list[int] = []
        stop = threading.Event()
        watcher = threading.Thread(target=self._watch_backlog, args=(depth_seen, stop))
        watcher.start()
        acked: set[tuple[str, str]] = set()
        result = self.send(
            self.url,
            plan,
            rate,
            on_done=lambda o: acked.add((o.channel, o.key)) if o.ok else None,
        )
        burst_end = time.time()
        summary = loadgen.summarize(result)
        unique = sum(plan.unique.values())
        timeout = max(180.0, unique / max(self.sustained, 1) * 3)
        self._wait_stored(len(acked), timeout=timeout)
        stop.set()
        watcher.join()
        done = self.processed()
        with self.rt.engine.connect() as connection:
            complaints, distinct = connection.execute(
                select(func.count(), func.count(func.distinct(Complaint.idempotency_key)))
            ).one()
        stored_ids = {external_id for _, external_id in done.keys}
        lost = sum(
            1 for _, key in acked if key not in stored_ids and not _suffixed(key, stored_ids)
        )
        doubled = (len(done.keys) - len(set(done.keys))) + (complaints - distinct)
        last = max(done.times, default=None)
        drained_after = (last.timestamp() - burst_end) if last else math.nan
        peak = max(depth_seen, default=0)
        self.results.measures += [
            Measure(
                "burst offered rate (2x sustained)",
                rate,
                None,
                "msg/s",
                note=f"{unique} messages + {plan.retries} retries",
            ),
            Measure(
                "burst ack latency p99",
                summary.p99_ms,
                None,
                "ms",
                note=f"errors {summary.errors or 'none'}",
            ),
            Measure(
                "burst lost",
                lost,
                None,
                "msg",
                "0",
                passed=lost == 0,
                note=f"{len(acked)} acknowledged",
            ),
            Measure("burst duplicated", doubled, None, "msg", "0", passed=doubled == 0),
            Measure(
                "burst drained after its end",
                max(0.0, drained_after),
                None,
                "s",
                "<= 120 s",
                passed=drained_after <= 120,
            ),
            Measure(
                "burst backlog seen on /metrics",
                peak,
                None,
                "records",
                "> 0",
                passed=peak > 0,
                note="peak satupintu_queue_depth{queue=intake}",
            ),
        ]
        self.say(
            f"burst {unique} at {rate:.0f}/s: lost {lost}, doubled {doubled}, drained "
            f"{drained_after:.1f} s after, backlog peak {peak}"
        )

    def memory(self) -> None:
        rss: dict[str, float] = {}
        for service in (self.web, self.workers):
            if service is None:
                continue
            service.note_rss()
            for pid, kib in service.peak_rss.items():
                rss[f"{service.name} pid {pid}"] = kib / 1024
        self.results.peak_rss = rss
        worst = max(rss.values(), default=math.nan)
        self.results.measures.append(
            Measure(
                "peak RSS, largest web/worker process",
                worst,
                None,
                "MiB",
                "< 150 MiB",
                passed=worst < 150,
                note="VmHWM",
            )
        )

    # --- waiting ------------------------------------------------------------------------

    def _wait_for_workers(self, count: int, timeout: float = 60) -> None:
        assert self.redis is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.redis.client().scard("rq:workers") >= count:
                return
            time.sleep(0.1)
        raise RuntimeError(f"workers did not start:\n{self.workers.tail() if self.workers else ''}")

    def _wait_stored(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.rt.engine.connect() as connection:
            while time.monotonic() < deadline:
                stored = (
                    connection.execute(
                        select(func.count()).select_from(Message).where(Message.direction == "in")
                    ).scalar()
                    + connection.execute(select(func.count()).select_from(Quarantine)).scalar()
                )
                connection.rollback()
                if stored >= count:
                    return
                time.sleep(0.25)
        self.results.notes.append(
            f"gave up waiting for {count} stored messages after {timeout:.0f} s"
        )

    def _wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (self.queued("intake") or self.queued("notify")):
            time.sleep(0.25)

    def _receipt_to_stored(self) -> list[float]:
        with self.rt.engine.connect() as connection:
            rows = connection.execute(select(Complaint.received_at, Complaint.created_at)).all()
        return [(_aware(c) - _aware(r)).total_seconds() for r, c in rows]

    def _watch_backlog(self, seen: list[int], stop: threading.Event) -> None:
        pattern = re.compile(rb'^satupintu_queue_depth\{queue="intake"\} ([0-9.e+]+)$', re.M)
        while not stop.wait(1.0):
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, body = _get(self.url + "/metrics")
                found = pattern.search(body) if status == 200 else None
                if found:
                    seen.append(int(float(found.group(1))))


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _suffixed(key: str, stored: set[str]) -> bool:
    """An API key is stored with the partner's prefix when a partner sent it."""
    return any(s.endswith(":" + key) for s in stored) if len(stored) < 50_000 else False
