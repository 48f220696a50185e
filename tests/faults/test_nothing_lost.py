"""The proof: a burst of signed Twilio webhooks while things break, and nothing lost or doubled.

Real processes all the way: gunicorn (`satupintu web`, two workers), two `satupintu worker`s,
`satupintu scheduler`, a Redis server and the database, with Twilio's REST API replaced by a
local fake for the replies. 2,000 citizens' messages arrive over about forty seconds, and
200 of them a second time (Twilio retries a webhook it thinks failed). Meanwhile one worker
is SIGKILLed and restarted, Redis is SIGKILLed and restarted on its append-only file, the
database becomes unavailable for a while, and the other worker is stopped with SIGTERM and
restarted. Then every message the gateway acknowledged must be in the case store exactly
once: lost = 0, duplicated = 0.

Backends: on the embedded defaults (SQLite, the embedded Redis) unless
SATUPINTU_TEST_DATABASE_URL names a PostgreSQL server, where the test makes a database of its
own and starts the system's redis-server. Redis runs with ``appendfsync always``: the
guarantee against a crash of Redis itself (README, "The guarantee").
"""

from __future__ import annotations

import http.client
import random
import signal
import socket
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from fakes.twilio_api import FakeTwilioApi
from faults.backends import database_for, redis_server_for
from faults.harness import WORKER_ARGV, service_env, wait_until
from rq.job import Job
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    ReadyJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.serializers import JSONSerializer
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from casestore.models import Complaint, Message
from config import load_settings
from dispatcher.backlog import backlog_snapshot
from dispatcher.queues import INTAKE, queue
from dispatcher.runtime import Runtime
from dispatcher.submit import store_job_id
from gateway.cli.context import prepare_database

pytestmark = pytest.mark.slow

MESSAGES = 2000
RESENT = 200
SENDERS = 500  # four messages each: well inside the per-sender SMS limit
BURST_SECONDS = 40.0
CLIENTS = 8
ACCOUNT_SID = "AC" + "f417" * 8
AUTH_TOKEN = "faults-test-auth-token-f417f417"

PLACES = [
    "Kampung Bale",
    "Bebesen",
    "Takengon Timur",
    "Pegasing",
    "Bies",
    "Kebayakan",
    "Silih Nara",
]
PROBLEMS = [
    "Jalan berlubang besar",
    "Lampu jalan mati",
    "Air PDAM tidak mengalir",
    "Sampah menumpuk",
    "Jembatan kayu rusak",
    "Saluran air tersumbat",
    "Pohon tumbang menutup jalan",
    "Puskesmas tutup pada jam kerja",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Offer:
    sid: str
    params: list[tuple[str, str]]
    at: float  # seconds after the burst starts


@dataclass
class Tally:
    acknowledged: set[str] = field(default_factory=set)
    statuses: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, sid: str, outcome: str) -> None:
        with self.lock:
            self.statuses[outcome] += 1
            if outcome == "200":
                self.acknowledged.add(sid)


def offers(rng: random.Random) -> list[Offer]:
    made = []
    for n in range(MESSAGES):
        sid = f"SM{rng.getrandbits(128):032x}"
        sender = f"+62812{n % SENDERS:07d}"
        body = (
            f"{rng.choice(PROBLEMS)} di {rng.choice(PLACES)} dekat rumah no {n}, "
            f"sudah {rng.randint(2, 30)} hari. Mohon ditindaklanjuti."
        )
        params = [
            ("ToCountry", "ID"),
            ("SmsMessageSid", sid),
            ("NumMedia", "0"),
            ("SmsSid", sid),
            ("SmsStatus", "received"),
            ("Body", body),
            ("FromCountry", "ID"),
            ("To", "1708"),
            ("NumSegments", "1"),
            ("MessageSid", sid),
            ("AccountSid", ACCOUNT_SID),
            ("From", sender),
            ("ApiVersion", "2010-04-01"),
        ]
        made.append(Offer(sid, params, at=BURST_SECONDS * n / MESSAGES))
    # Twilio's retries of a webhook: the same message and signature, a little later.
    for original in rng.sample(made[: MESSAGES * 9 // 10], RESENT):
        later = min(BURST_SECONDS, original.at + rng.uniform(0.5, 6.0))
        made.append(Offer(original.sid, original.params, at=later))
    return sorted(made, key=lambda offer: offer.at)


def post(port: int, public_url: str, offer: Offer) -> str:
    path = "/webhooks/twilio/sms"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        public_url + path, dict(offer.params)
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request(
            "POST",
            path,
            body=urlencode(offer.params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
                "User-Agent": "TwilioProxy/1.1",
            },
        )
        response = connection.getresponse()
        response.read()
        return str(response.status)
    except OSError as exc:
        return type(exc).__name__
    finally:
        connection.close()


def where_is(runtime: Runtime, sid: str) -> str:
    """Where a message that did not reach the store is: for the failure message."""
    connection = runtime.redis
    job_id = store_job_id(f"sms:{sid}")
    if not Job.exists(job_id, connection=connection):
        spooled = any(r.get("external_id") == sid for r in runtime.spool.records())
        return f"{sid}: no job in Redis; {'in' if spooled else 'not in'} the spool"
    job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    dependencies = []
    for dependency in job._dependency_ids:
        found = Job.fetch_many([dependency], connection=connection, serializer=JSONSerializer)[0]
        dependencies.append(f"{dependency}={found.get_status() if found else 'gone'}")
    registries = [
        name
        for name, registry in (
            ("started", StartedJobRegistry),
            ("scheduled", ScheduledJobRegistry),
            ("deferred", DeferredJobRegistry),
            ("ready", ReadyJobRegistry),
            ("failed", FailedJobRegistry),
        )
        if job.id in registry(INTAKE, connection=connection)
    ]
    intake = queue(INTAKE, connection)
    queued = job.id in intake.get_job_ids()
    intermediate = job.id.encode() in connection.lrange(intake.intermediate_queue_key, 0, -1)
    locks = {
        key.decode(): connection.ttl(key)
        for key in connection.keys("rq:clean_registries:*") + connection.keys("rq:scheduler-lock:*")
    }
    return (
        f"{sid}: job {job.id} status {job.get_status()}, retries left {job.retries_left}, "
        f"in queue {queued}, intermediate {intermediate}, registries {registries}, "
        f"depends on {dependencies}, locks {locks}"
    )


@pytest.fixture
def stack(tmp_path, services):
    """Redis, the database, the fake Twilio API, the web server, workers and the scheduler."""
    backend = database_for(tmp_path)
    redis_server = redis_server_for(backend.name, tmp_path / "redis", appendfsync="always")
    if redis_server is None:
        pytest.skip("no redis-server binary to run next to PostgreSQL")
    backend.create()
    redis_server.start()
    twilio = FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN).start()
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    settings = load_settings(
        environ={},
        env="test",
        data_dir=tmp_path / "var",
        database_url=backend.url,
        redis_url=redis_server.url,
        secret_key="faults-test-secret-not-for-production",
        public_url=public_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from="+628110001708",
        twilio_api_url=twilio.url,
    )
    runtime = Runtime(settings)
    prepare_database(runtime)
    env = service_env(
        settings,
        SATUPINTU_PUBLIC_URL=public_url,
        SATUPINTU_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        SATUPINTU_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        SATUPINTU_TWILIO_FROM="+628110001708",
        SATUPINTU_TWILIO_API_URL=twilio.url,
        SATUPINTU_LOG_LEVEL="WARNING",
    )
    cli = [sys.executable, "-m", "gateway.cli"]
    web = services([*cli, "web", "--bind", f"127.0.0.1:{port}", "--workers", "2"], env, "web")
    workers = [services(WORKER_ARGV, env, f"worker-{n}") for n in (1, 2)]
    services([*cli, "scheduler"], env, "scheduler")

    def healthy() -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False

    assert wait_until(healthy, timeout=60), web.output()
    yield {
        "backend": backend,
        "redis": redis_server,
        "runtime": runtime,
        "env": env,
        "port": port,
        "public_url": public_url,
        "workers": workers,
        "twilio": twilio,
        "services": services,
    }
    services.stop_all()  # before Redis and the database go
    runtime.close()
    twilio.stop()
    redis_server.stop()
    backend.drop()


@pytest.mark.timeout(600)
def test_a_burst_through_crashes_and_outages_loses_nothing_and_doubles_nothing(stack):
    runtime, backend, redis_server = stack["runtime"], stack["backend"], stack["redis"]
    services, env = stack["services"], stack["env"]
    rng = random.Random(20261128)
    planned = offers(rng)
    offered = {offer.sid for offer in planned}
    tally = Tally()
    log: list[str] = []
    peak_spool = 0
    started = time.monotonic()

    def at(seconds: float) -> None:
        time.sleep(max(0.0, started + seconds - time.monotonic()))

    def note(event: str) -> None:
        log.append(f"{time.monotonic() - started:6.1f} s  {event}")

    def send(offer: Offer) -> None:
        at(offer.at)
        tally.note(offer.sid, post(stack["port"], stack["public_url"], offer))

    def watch_spool() -> None:
        nonlocal peak_spool
        while time.monotonic() - started < BURST_SECONDS + 20:
            peak_spool = max(peak_spool, runtime.spool.stats().records)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch_spool, daemon=True)
    watcher.start()
    with ThreadPoolExecutor(CLIENTS) as clients:
        futures = [clients.submit(send, offer) for offer in planned]
        first, second = stack["workers"]

        at(5)
        first.kill()
        note("worker-1 SIGKILLed (with its scheduler)")
        at(6)
        first = services(WORKER_ARGV, env, "worker-1-restarted")
        note("worker-1 restarted")

        at(10)
        redis_server.kill()
        note("Redis SIGKILLed")
        at(13)
        redis_server.start()
        note("Redis restarted on its append-only file")

        at(16)
        outage_seconds = 33 if backend.name == "sqlite" else 12  # SQLite: past busy_timeout
        outage = backend.outage(outage_seconds)
        note(f"database unavailable for {outage_seconds} s")

        at(24)
        second.signal(signal.SIGTERM)
        note("worker-2 SIGTERMed (finishes the job in hand)")
        second.process.wait(60)
        note(f"worker-2 exited with {second.process.returncode}")
        second = services(WORKER_ARGV, env, "worker-2-restarted")
        note("worker-2 restarted")

        for future in futures:
            future.result()
        note("burst over")
    outage.join(60)
    note("database back")

    def stored_sids() -> set[str]:
        with runtime.sessions() as session:
            return set(
                session.scalars(
                    select(Message.external_id).where(
                        Message.direction == "in", Message.channel == "sms"
                    )
                )
            )

    def all_stored() -> bool:
        try:
            return tally.acknowledged <= stored_sids()
        except Exception:  # the database may still be coming back
            return False

    drained = wait_until(all_stored, timeout=240, every=1.0)
    note("every acknowledged message stored" if drained else "gave up waiting")
    snapshot = backlog_snapshot(runtime)

    stored = stored_sids()
    with runtime.sessions() as session:
        inbound_rows = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.direction == "in", Message.channel == "sms")
        )
        cases_per_message = Counter(
            session.scalars(
                select(Complaint.idempotency_key).where(Complaint.channel == "sms")
            ).all()
        )
        # A message joins its sender's open case when it repeats it (intake/new_complaint.py):
        # either way it belongs to exactly one case.
        caseless = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.direction == "in",
                Message.channel == "sms",
                Message.complaint_id.is_(None),
            )
        )
    lost = tally.acknowledged - stored
    duplicated = (inbound_rows - len(stored)) + sum(n - 1 for n in cases_per_message.values())
    print(f"\nbackend: {backend.name} + Redis with appendfsync always")
    print("\n".join(log))
    print(
        f"offered {len(offered)} (+{RESENT} provider retries), "
        f"acknowledged {len(tally.acknowledged)}, stored {len(stored & offered)}, "
        f"duplicated {duplicated}, lost {len(lost)}; "
        f"responses {dict(tally.statuses)}; spool peak {peak_spool}; "
        f"new cases {len(cases_per_message)} (the rest joined their sender's case), "
        f"without a case {caseless}; failed jobs {snapshot.failed}; "
        f"replies sent {len(stack['twilio'].sent())}"
    )
    print(f"queues: {snapshot.queues}")

    for sid in sorted(lost)[:10]:
        print(where_is(runtime, sid))
    assert len(lost) == 0, f"acknowledged but not stored: {sorted(lost)[:10]}"
    assert duplicated == 0
    assert tally.acknowledged == offered  # the gateway never turned a message away
    assert tally.statuses["200"] == MESSAGES + RESENT
    assert caseless == 0  # every message reached its case
    assert snapshot.failed == 0, "nothing should need an operator"
    assert snapshot.spool.records == 0
