"""The benchmark's services and measures: the Bench that starts them (benchmarks/services.py)
and what every phase (benchmarks/phases.py) uses to plan, send, reset and count.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console
from sqlalchemy import func, select, text

from benchmarks import baseline_jobs
from benchmarks import profile as profiling
from benchmarks.services import (
    Database,
    RedisServer,
    Service,
    free_port,
    python_module,
)
from casestore.models import Base, Message, Quarantine
from dispatcher import inbox
from tools import loadgen
from tools.traffic import Plan, load_texts, plan_traffic
from tools.wire import FormSession, Target, fetch_form_session

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
    flood_size: int = 5_000  # SMS from a few numbers in the flood phase (benchmarks/flood.py)
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
            flood_size=300,
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
                if http_get(url + "/healthz")[0] == 200:
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

    def plan_flood(self, count: int, senders: list[str]) -> Plan:
        """``count`` SMS from ``senders`` only, no retries (the flood phase)."""
        self.seed += 1
        return plan_traffic(
            self.target(self.url),
            count,
            {"sms": 100},
            retries=0.0,
            seed=self.seed,
            senders=senders,
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
        return count, (aware(last) - aware(first)).total_seconds()

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
        times = [aware(t) for *_, t in inbound] + [aware(t) for _, t in held]
        return Processed(keys=keys, times=times, held=len(held))

    def queued(self, name: str = "intake") -> int:
        """Jobs on the queue; for intake, plus the records waiting in the inbox."""
        assert self.redis is not None
        client = self.redis.client()
        waiting = inbox.depth(client).records if name == "intake" else 0
        return int(client.llen(f"rq:queue:{name}")) + waiting


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
