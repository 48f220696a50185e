"""GET /metrics: Prometheus text for this machine's processes and the shared backlog.

Two sources, both read at scrape time:
- the counters every web and worker process on this machine writes (dispatcher/metrics.py):
  intake per channel and outcome, job durations, outbound send results, summed over all the
  ``<data dir>/metrics/<service>-<pid>/`` directories (prometheus_client's multiprocess files);
  a process that is not under `satupintu web`/`worker` (tests, a shell) shows its own;
- what is shared, read from Redis and the spool (dispatcher.backlog, as `satupintu status`
  does): jobs waiting per queue and the age of the oldest, retries waiting, jobs running and
  failed, live workers, and the spool's records, size and age.

Every web on every machine reports the same queue numbers: aggregate them with max(), and the
counters with sum(). Refused intake requests (4xx on an intake route) are counted here, after
the view answered, so the views stay thin: ``satupintu_refused{channel, reason}``, and in Redis
for the monitor (gateway/ops/refusals.py).
"""

from __future__ import annotations

import glob
import os
from collections import Counter
from pathlib import Path

from flask import Blueprint, Response, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from dispatcher.backlog import backlog_snapshot
from dispatcher.metrics import MULTIPROC_ENV, count_intake, metrics_root
from dispatcher.metrics import count_refused as count_refusal_metric
from dispatcher.runtime import Runtime
from gateway.context import runtime
from gateway.ops.refusals import record_refusal, refusal_of

bp = Blueprint("metrics", __name__)

# Intake routes (POST) and their channel, for counting refused requests.
INTAKE_ROUTES = {
    "/": "web",
    "/track/<tracking_id>": "web",
    "/webhooks/twilio/sms": "sms",
    "/webhooks/twitter": "twitter",
    "/api/v1/complaints": "api",
    "/api/v1/complaints/<tracking_id>/messages": "api",
}


class MachineCollector:
    """Adds up the metric files of every service on this machine."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def collect(self):
        files = glob.glob(os.path.join(self.root, "*", "*.db"))
        return MultiProcessCollector.merge(files, accumulate=True)


class BacklogCollector:
    """Queue depth and age, workers and spool (dispatcher.backlog), read at scrape time."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self):
        backlog = backlog_snapshot(self.rt)
        up = GaugeMetricFamily("satupintu_redis_up", "1 if Redis answered this scrape")
        up.add_metric([], 1 if backlog.redis_ok else 0)
        yield up
        depth = GaugeMetricFamily(
            "satupintu_queue_depth", "Jobs waiting in the queue for a worker", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "satupintu_queue_oldest_age_seconds",
            "How long the job at the head of the queue has waited (0 when it is empty)",
            labels=["queue"],
        )
        states = GaugeMetricFamily(
            "satupintu_queue_jobs",
            "Jobs outside the queue proper: started (running), scheduled (waiting to retry), "
            "deferred, failed (dead letters)",
            labels=["queue", "state"],
        )
        for q in backlog.queues:
            depth.add_metric([q.name], q.queued)
            age.add_metric([q.name], q.oldest_age_seconds or 0.0)
            for state in ("started", "scheduled", "deferred", "failed"):
                states.add_metric([q.name, state], getattr(q, state))
        yield depth
        yield age
        yield states
        if backlog.redis_ok:
            workers = GaugeMetricFamily(
                "satupintu_workers", "rq workers with a live heartbeat, by state", labels=["state"]
            )
            for state, n in sorted(Counter(w.state for w in backlog.workers).items()):
                workers.add_metric([state], n)
            yield workers
        spool = backlog.spool
        records = GaugeMetricFamily(
            "satupintu_spool_records", "Acknowledged records waiting in the local spool for Redis"
        )
        records.add_metric([], spool.records)
        size = GaugeMetricFamily("satupintu_spool_bytes", "Size of the local spool")
        size.add_metric([], spool.bytes)
        oldest = GaugeMetricFamily(
            "satupintu_spool_oldest_age_seconds", "Age of the oldest spool segment (0: empty)"
        )
        oldest.add_metric([], spool.oldest_age_seconds or 0.0)
        yield records
        yield size
        yield oldest


@bp.get("/metrics")
def metrics() -> Response:
    rt = runtime()
    shared = CollectorRegistry()
    shared.register(BacklogCollector(rt))
    directory = os.environ.get(MULTIPROC_ENV)
    root = metrics_root(rt.settings.data_dir)
    if directory and Path(directory).parent == root:
        machine = CollectorRegistry()
        machine.register(MachineCollector(root))
        body = generate_latest(machine)
    else:
        body = generate_latest(REGISTRY)
    body += generate_latest(shared)
    return Response(body, content_type=CONTENT_TYPE_LATEST)  # it names its charset


@bp.after_app_request
def count_refused(response: Response) -> Response:
    """A refused request on an intake route counts as a rejected message of that channel,
    and (issue 23) as a refusal per channel and reason: in this process for /metrics, and in
    Redis for the monitor, whichever web process answered."""
    if 400 <= response.status_code < 500 and request.method == "POST":
        rule = request.url_rule
        channel = INTAKE_ROUTES.get(rule.rule) if rule is not None else None
        if channel is not None:
            count_intake(channel, "rejected")
    refusal = refusal_of(request, response)
    if refusal is not None:
        count_refusal_metric(*refusal)
        record_refusal(runtime().redis, *refusal)
    return response
