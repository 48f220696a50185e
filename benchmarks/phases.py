"""The benchmark's phases, each a function of one set-up Bench (benchmarks/bench.py).

Each measurement of ours has its baseline measured in the same run, on the same servers,
interleaved, because this machine is shared and its speed drifts:
- intake: our webhook vs baseline (a), a bare Flask endpoint doing one Redis write, both
  under the same gunicorn options, offered more than either can take;
- store (``drain``): our pipeline vs baseline (b), one rq job per message doing one INSERT,
  draining a preloaded queue with the same number of SimpleWorker processes (1, 2, 4);
- steady: the whole gateway at half our sustained rate: ack latency, receipt-to-stored
  latency from the case store's own timestamps, CPU per message of each process group;
- burst: 20,000 messages at twice the sustained rate: lost, duplicated, drain time, and the
  backlog as /metrics showed it while it lasted;
- memory: each process group's resident memory.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import parse_qsl

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from benchmarks import baseline_jobs
from benchmarks import profile as profiling
from benchmarks.bench import Bench, Measure, aware, http_get
from benchmarks.services import (
    CpuMeter,
)
from casestore.models import Complaint, Message, Quarantine
from tools import loadgen
from tools.traffic import Plan


def intake(bench: Bench) -> None:
    """Ack throughput, ours vs baseline (a), offered more than either takes."""
    count = int(bench.o.rate * bench.o.duration)
    ours_runs, base_runs = [], []
    for round_ in range(bench.o.rounds):
        for label, url, runs in (
            ("baseline (a)", bench.baseline_url, base_runs),
            ("ours", bench.url, ours_runs),
        ):
            plan = bench.plan(count, url)
            spy = None
            if bench.o.profile is not None and round_ == 0:
                name = "web.txt" if url == bench.url else "web-baseline.txt"
                server = bench.web if url == bench.url else bench.baseline_web
                assert server.process is not None
                spy = profiling.attach(bench.o.profile / name, server.process.pid, bench.o.duration)
            result = bench.send(url, plan, bench.o.rate)
            if spy is not None:
                spy.wait(60)
            summary = loadgen.summarize(result)
            runs.append(summary)
            bench.say(
                f"intake round {round_ + 1} {label}: {summary.throughput:.0f} acks/s, "
                f"{summary.ok}/{summary.sent} ok, errors {summary.errors or 'none'}, "
                f"client lag {result.max_lag * 1000:.0f} ms"
            )
    ours = _median([s.throughput for s in ours_runs])
    base = _median([s.throughput for s in base_runs])
    errors = sum(sum(s.errors.values()) for s in ours_runs)
    bench.results.measures.append(
        Measure(
            "intake ack throughput (saturated)",
            ours,
            base,
            "acks/s",
            ">= 60% of (a)",
            passed=ours >= 0.6 * base and errors == 0,
            note=f"median of {bench.o.rounds}; errors {errors}",
        )
    )
    bench.ack_capacity = ours


def drain(bench: Bench) -> None:
    """Stored per second, ours vs baseline (b), with 1, 2, 4 worker processes."""
    size = bench.o.drain_size
    for n in bench.o.scaling:
        bench.reset()
        plan = bench.plan(size, retries=0.0)
        bench.send(bench.url, plan, min(bench.o.rate, max(200.0, bench.ack_capacity * 0.8)))
        queued = bench.queued()
        started = time.monotonic()
        first = n == bench.o.scaling[0]
        stop = threading.Event()
        waits: Counter = Counter()
        sampler = threading.Thread(target=_sample_waits, args=(bench, waits, stop))
        sampler.start()
        try:
            bench.start_workers(
                n, burst=True, profile="worker.txt" if first else "", intake_only=True
            ).wait(timeout=size / 5 + 120)
        finally:
            stop.set()
            sampler.join()
        if waits:
            waited = _waits(waits)
            bench.results.notes.append(f"PostgreSQL waits, {n} worker(s) draining: {waited}")
        done = bench.processed()
        count, ours = len(done.keys), done.rate
        bench.say(
            f"drain {n} worker(s) ours: {count}/{queued} stored ({done.held} held) "
            f"at {ours:.0f}/s "
            f"({time.monotonic() - started:.1f} s with start-up and replies)"
        )
        bench.reset()
        baseline_jobs.enqueue(bench.rt.redis, _records(bench, plan))
        bench.start_workers(
            n,
            burst=True,
            module="benchmarks.baseline_jobs",
            profile="worker-baseline.txt" if first else "",
        ).wait(timeout=size / 5 + 120)
        count_b, span_b = bench.stored_span(baseline_jobs.bench_rows)
        base = (count_b - 1) / span_b if span_b else math.nan
        bench.say(f"drain {n} worker(s) baseline (b): {count_b} rows at {base:.0f}/s")
        bench.results.scaling.append((n, ours, base))
    by_n = {n: (ours, base) for n, ours, base in bench.results.scaling}
    ours, base = by_n.get(bench.o.workers, (math.nan, math.nan))
    # Half and twice this rate drive the next phases; without a number, go slow.
    bench.sustained = ours if ours == ours and ours > 0 else 20.0
    bench.results.measures.append(
        Measure(
            f"sustained stored rate, {bench.o.workers} workers",
            ours,
            base,
            "msg/s",
            ">= 150% of (b)",
            passed=ours >= 1.5 * base,
            note="preloaded queue drained; from the store's created_at",
        )
    )
    more = max((n for n in by_n if n > bench.o.workers), default=None)
    if more is not None:
        bench.results.measures.append(
            Measure(
                f"stored rate, {more} workers against {bench.o.workers}",
                by_n[more][0],
                ours,
                "msg/s",
                ">= 100%",
                passed=by_n[more][0] >= ours,
                note=f"baseline (b) {_ratio_text(by_n[more][1], base)} from {bench.o.workers} "
                f"to {more}",
            )
        )


def _records(bench: Bench, plan: Plan) -> list[dict]:
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
        records.append(normalize(twilio_sms.parse(form), bench.rt.rules).to_dict())
    while records and len(records) < len(plan.requests):
        clone = dict(records[len(records) % len(records)])
        clone["idempotency_key"] = f"{clone['idempotency_key']}-{len(records)}"
        records.append(clone)
    return records


def steady(bench: Bench) -> None:
    """Half the sustained rate: latencies and CPU per message, web + workers running.

    The sustained rate is the store-only drain's, but here the same workers also send
    every SMS citizen their reply; a second, informative pass at a quarter of it shows
    the receipt-to-stored latency when the workers are not saturated by both.
    """
    bench.reset()
    bench.workers = bench.start_workers(bench.o.workers, burst=False)
    _wait_for_workers(bench, bench.o.workers)
    _steady_pass(bench, 0.5, "half of sustained", target=True)
    bench.reset(keep_workers=True)
    _steady_pass(bench, 0.25, "a quarter of sustained", target=False)


def _steady_pass(bench: Bench, fraction: float, label: str, *, target: bool) -> None:
    rate = max(5.0, bench.sustained * fraction)
    seconds = bench.o.duration * 3 if target else bench.o.duration * 2
    plan = bench.plan(int(rate * seconds))
    assert bench.redis is not None and bench.db is not None and bench.workers is not None
    groups: dict[str, Callable] = {
        "web": bench.web.pids,
        "workers": bench.workers.pids,
        "redis": bench.redis.pids,
    }
    if bench.db.postgres:
        groups["postgresql"] = bench.db.backend_pids
    with CpuMeter(groups) as meter:
        result = bench.send(bench.url, plan, rate)
        _wait_stored(bench, sum(plan.unique.values()), timeout=60)
        _wait_idle(bench, timeout=60)
    summary = loadgen.summarize(result)
    unique = sum(plan.unique.values())
    delays = _receipt_to_stored(bench)
    p99 = loadgen.percentile(delays, 0.99) * 1000
    p50 = loadgen.percentile(delays, 0.5) * 1000
    note = f"{len(delays)} complaints; errors {summary.errors or 'none'}"
    if not target:
        bench.results.measures += [
            Measure(f"offered rate ({label})", rate, None, "msg/s"),
            Measure(f"receipt-to-stored p50 at {fraction:g}", p50, None, "ms"),
            Measure(f"receipt-to-stored p99 at {fraction:g}", p99, None, "ms", note=note),
        ]
        bench.say(f"steady {rate:.0f}/s: stored p50 {p50:.0f} ms p99 {p99:.0f} ms")
        return
    bench.results.cpu_per_message = {
        name: seconds * 1000 / unique for name, seconds in meter.seconds().items()
    }
    total_cpu = sum(bench.results.cpu_per_message.values())
    bench.results.measures += [
        Measure(
            "total CPU per stored and acknowledged message",
            total_cpu,
            None,
            "ms",
            "<= 5 ms",
            passed=total_cpu <= 5,
            note="web + workers (replies included) + redis + postgresql, steady phase",
        ),
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
    bench.say(
        f"steady {rate:.0f}/s: ack p50 {summary.p50_ms:.1f} ms p99 {summary.p99_ms:.1f} ms, "
        f"stored p99 {p99:.0f} ms"
    )


def burst(bench: Bench) -> None:
    """burst_size messages at twice the sustained rate: nothing lost, nothing doubled."""
    assert bench.workers is not None
    bench.workers.stop()
    bench.reset()
    bench.workers = bench.start_workers(bench.o.workers, burst=False)
    _wait_for_workers(bench, bench.o.workers)
    rate = max(10.0, bench.sustained * 2)
    plan = bench.plan(bench.o.burst_size)
    depth_seen: list[int] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_backlog, args=(bench, depth_seen, stop))
    watcher.start()
    acked: set[tuple[str, str]] = set()
    result = bench.send(
        bench.url,
        plan,
        rate,
        on_done=lambda o: acked.add((o.channel, o.key)) if o.ok else None,
    )
    burst_end = time.time()
    summary = loadgen.summarize(result)
    unique = sum(plan.unique.values())
    timeout = max(180.0, unique / max(bench.sustained, 1) * 3)
    _wait_stored(bench, len(acked), timeout=timeout)
    stop.set()
    watcher.join()
    done = bench.processed()
    with bench.rt.engine.connect() as connection:
        complaints, distinct = connection.execute(
            select(func.count(), func.count(func.distinct(Complaint.idempotency_key)))
        ).one()
    stored_ids = {external_id for _, external_id in done.keys}
    lost = sum(1 for _, key in acked if key not in stored_ids and not _suffixed(key, stored_ids))
    doubled = (len(done.keys) - len(set(done.keys))) + (complaints - distinct)
    last = max(done.times, default=None)
    drained_after = (last.timestamp() - burst_end) if last else math.nan
    peak = max(depth_seen, default=0)
    bench.results.measures += [
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
            "<= 60 s",
            passed=drained_after <= 60,
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
    bench.say(
        f"burst {unique} at {rate:.0f}/s: lost {lost}, doubled {doubled}, drained "
        f"{drained_after:.1f} s after, backlog peak {peak}"
    )


def memory(bench: Bench) -> None:
    rss: dict[str, float] = {}
    for service in (bench.web, bench.workers):
        if service is None:
            continue
        service.note_rss()
        for pid, kib in service.peak_rss.items():
            rss[f"{service.name} pid {pid}"] = kib / 1024
    bench.results.peak_rss = rss
    worst = max(rss.values(), default=math.nan)
    bench.results.measures.append(
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


# --- waiting -------------------------------------------------------------------------------


def _wait_for_workers(bench: Bench, count: int, timeout: float = 60) -> None:
    assert bench.redis is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bench.redis.client().scard("rq:workers") >= count:
            return
        time.sleep(0.1)
    raise RuntimeError(f"workers did not start:\n{bench.workers.tail() if bench.workers else ''}")


def _wait_stored(bench: Bench, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with bench.rt.engine.connect() as connection:
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
    bench.results.notes.append(f"gave up waiting for {count} stored messages after {timeout:.0f} s")


def _wait_idle(bench: Bench, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (bench.queued("intake") or bench.queued("notify")):
        time.sleep(0.25)


def _receipt_to_stored(bench: Bench) -> list[float]:
    with bench.rt.engine.connect() as connection:
        rows = connection.execute(select(Complaint.received_at, Complaint.created_at)).all()
    return [(aware(c) - aware(r)).total_seconds() for r, c in rows]


def _watch_backlog(bench: Bench, seen: list[int], stop: threading.Event) -> None:
    pattern = re.compile(rb'^satupintu_queue_depth\{queue="intake"\} ([0-9.e+]+)$', re.M)
    while not stop.wait(1.0):
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, body = http_get(bench.url + "/metrics")
            found = pattern.search(body) if status == 200 else None
            if found:
                seen.append(int(float(found.group(1))))


def _sample_waits(bench: Bench, waits: Counter, stop: threading.Event) -> None:
    """pg_stat_activity every 50 ms: what the bench database's active backends wait on."""
    assert bench.db is not None
    while not stop.wait(0.05):
        with contextlib.suppress(Exception):
            waits.update(bench.db.wait_sample())


def _waits(waits: Counter) -> str:
    total = sum(waits.values())
    top = waits.most_common(6)
    return ", ".join(
        f"{kind}:{event or '-'} {count * 100 / total:.0f}%" for (kind, event), count in top
    )


def _ratio_text(a: float, b: float) -> str:
    return f"{a / b:.0%}" if b else "n/a"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _suffixed(key: str, stored: set[str]) -> bool:
    """An API key is stored with the partner's prefix when a partner sent it."""
    return any(s.endswith(":" + key) for s in stored) if len(stored) < 50_000 else False
