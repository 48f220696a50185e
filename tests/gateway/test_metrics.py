"""GET /metrics: refused intake per channel, the backlog read from Redis at scrape time, job
durations, and counters added up across processes (prometheus_client multiprocess files)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from prometheus_client import CollectorRegistry, generate_latest

from dispatcher.metrics import metrics_root, use_metrics_dir
from gateway.ops.metrics import MachineCollector


def value(text: str, name: str, **labels: str) -> float | None:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))  # as exposed
    series = f"{name}{{{wanted}}}" if labels else name
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    return float(found.group(1)) if found else None


def post(client, **fields):
    """The citizen form, as tests/gateway/test_public.py posts it."""
    page = client.get("/").get_data(as_text=True)
    data = {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
        "submission_key": "metrics-key-0123456789abcdef",
        "description": "Jalan berlubang besar di depan SD Negeri 1 Takengon, sudah 2 bulan.",
        "kecamatan": "11.04.17",
        "privacy": "biasa",
    }
    data.update(fields)
    return client.post("/", data=data)


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_backlog_and_job_durations_show(client, runtime, work):
    before = scrape(client)
    assert value(before, "satupintu_redis_up") == 1
    assert value(before, "satupintu_queue_depth", queue="intake") == 0
    assert value(before, "satupintu_spool_records") == 0
    stored_before = value(before, "satupintu_stored_total", outcome="stored") or 0

    assert post(client).status_code == 201
    queued = scrape(client)
    assert value(queued, "satupintu_queue_depth", queue="intake") == 1
    assert value(queued, "satupintu_queue_oldest_age_seconds", queue="intake") >= 0

    work()
    done = scrape(client)
    assert value(done, "satupintu_queue_depth", queue="intake") == 0
    assert value(done, "satupintu_stored_total", outcome="stored") == stored_before + 1
    assert value(done, "satupintu_batch_size_count") >= 1
    drains = value(
        done,
        "satupintu_job_duration_seconds_count",
        queue="intake",
        job="drain_inbox",
        outcome="ok",
    )
    assert drains >= 1


def test_a_refused_submission_counts_as_rejected_for_its_channel(client, runtime):
    before = value(scrape(client), "satupintu_intake_total", channel="web", outcome="rejected")
    assert post(client, description="").status_code == 422  # the citizen sees the form again
    after = value(scrape(client), "satupintu_intake_total", channel="web", outcome="rejected")
    assert after == (before or 0) + 1
    # Reading pages is not intake.
    client.get("/track/0000000000")
    final = scrape(client)
    assert value(final, "satupintu_intake_total", channel="web", outcome="rejected") == after


def test_a_dead_redis_is_reported_not_raised(client, runtime):
    runtime.__dict__["redis"] = __import__("redis").Redis(
        unix_socket_path="/nonexistent/redis.sock", socket_connect_timeout=0.2
    )
    text = scrape(client)
    assert value(text, "satupintu_redis_up") == 0
    assert value(text, "satupintu_spool_records") == 0


COUNT_IN_A_PROCESS = """
import sys
from pathlib import Path
from dispatcher.metrics import use_metrics_dir, count_intake, observe_job
use_metrics_dir(Path(sys.argv[1]), sys.argv[2])
for _ in range(int(sys.argv[3])):
    count_intake("sms", "queued")
observe_job("intake", "store", True, 0.02)
print("counted", flush=True)
sys.stdin.read()  # stay alive (a dead service's files are cleaned up) until told to go
"""


def test_counters_of_several_processes_add_up(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    services = []
    try:
        for service, n in (("web", 3), ("worker", 2)):
            process = subprocess.Popen(
                [sys.executable, "-c", COUNT_IN_A_PROCESS, str(tmp_path), service, str(n)],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            services.append(process)
            assert process.stdout.readline().strip() == "counted"
        registry = CollectorRegistry()
        registry.register(MachineCollector(metrics_root(tmp_path)))
        text = generate_latest(registry).decode()
    finally:
        for process in services:
            process.communicate("", timeout=30)
    assert value(text, "satupintu_intake_total", channel="sms", outcome="queued") == 5
    jobs = {"queue": "intake", "job": "store", "outcome": "ok"}
    assert value(text, "satupintu_job_duration_seconds_count", **jobs) == 2


def test_a_service_cleans_up_after_dead_ones_only(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    root = metrics_root(tmp_path)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    (root / f"worker-{dead.stdout.strip()}").mkdir(parents=True)
    (root / f"web-{os.getppid()}").mkdir()  # a live process (pytest's parent)
    directory = use_metrics_dir(tmp_path, "web")
    try:
        names = sorted(p.name for p in root.iterdir())
        assert names == sorted([f"web-{os.getppid()}", directory.name])
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(directory)
        assert json.dumps(str(directory))  # a plain path, usable by any process
    finally:
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)


def test_accepted_and_repeated_submissions_count_by_outcome(client, runtime):
    def count(outcome: str) -> float:
        return value(scrape(client), "satupintu_intake_total", channel="web", outcome=outcome) or 0

    queued, duplicate = count("queued"), count("duplicate")
    assert post(client).status_code == 201
    assert post(client).status_code in (200, 201)  # the double submit: same key, same case
    assert count("queued") == queued + 1
    assert count("duplicate") == duplicate + 1


def test_reply_send_results_are_counted_per_channel(client, runtime, work):
    from casestore.complaints import queue_reply
    from casestore.contacts import get_or_create_contact
    from dispatcher.outbox import enqueue_notifications

    before = value(scrape(client), "satupintu_outbound_total", channel="sms", result="failed") or 0
    # No Twilio credentials in the test settings: the SMS channel is off, the send fails.
    with runtime.sessions.begin() as session:
        contact = get_or_create_contact(session, "tel:+6281234567890")
        session.flush()
        reply = queue_reply(
            session,
            dedupe_key="metrics-test",
            channel="sms",
            contact=contact,
            complaint=None,
            body="Terima kasih",
        )
        session.flush()
        message_id = reply.id
    enqueue_notifications(runtime.redis, [message_id])
    work()
    after = value(scrape(client), "satupintu_outbound_total", channel="sms", result="failed")
    assert after == before + 1
