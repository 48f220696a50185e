"""The flood phase: does a spam flood in the inbox starve real work?

Two passes with the same workers and the same real traffic (new complaints from distinct
citizens at a tenth of the sustained rate, a coordinator loading the console's case list
every ``CONSOLE_EVERY`` seconds): first with nothing else, then right after a flood of
``flood_size`` SMS from ``FLOODERS`` numbers (each far over the per-sender limit, so the
store holds them in quarantine) was pushed into the inbox. Reported: the real complaints'
receipt-to-stored p50/p99 and the console page's p50/p99 in each pass, and the ratios
(flood / none). Everything of the flood is checked in the end: nothing lost.
"""

from __future__ import annotations

import http.client
import math
import re
import secrets
import threading
import time
from urllib.parse import urlencode, urlsplit

from sqlalchemy import func, select

from benchmarks.bench import Bench, Measure, aware
from casestore.models import Complaint, Message, Quarantine
from tools import loadgen

FLOODERS = 4  # each sends its first SMS_RATE_LIMIT (20) in the normal lane
CONSOLE_EVERY = 0.25  # seconds between console page loads
CONSOLE_PATH = "/console/cases"
_CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


class ConsoleUser:
    """A coordinator logged in over HTTP (CSRF token, session cookie), loading a page."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.netloc = urlsplit(url).netloc
        self.cookie = ""
        status, _, body = self._request("GET", "/console/login")
        found = _CSRF.search(body)
        if status != 200 or not found:
            raise RuntimeError(f"console login page: {status}")
        form = {"csrf_token": found.group(1).decode(), "username": username, "password": password}
        status, _, _ = self._request(
            "POST",
            "/console/login",
            urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302:
            raise RuntimeError(f"console login refused: {status}")

    def _request(self, method: str, path: str, body: bytes | None = None, headers=None):
        connection = http.client.HTTPConnection(self.netloc, timeout=30)
        try:
            sent = dict(headers or {})
            if self.cookie:
                sent["Cookie"] = self.cookie
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    self.cookie = value.split(";", 1)[0]
            return response.status, response.getheaders(), data
        finally:
            connection.close()

    def page_ms(self, path: str = CONSOLE_PATH) -> float:
        started = time.perf_counter()
        status, _, _ = self._request("GET", path)
        if status != 200:
            raise RuntimeError(f"console page {path}: {status}")
        return (time.perf_counter() - started) * 1000


def _operator(bench: Bench) -> tuple[str, str]:
    from casestore.operators import create_operator

    username, password = "bench-coordinator", secrets.token_urlsafe(18)
    with bench.rt.sessions.begin() as session:
        create_operator(session, username=username, password=password, role="coordinator")
    return username, password


def _poll_console(user: ConsoleUser, times: list[float], stop: threading.Event) -> None:
    while not stop.wait(CONSOLE_EVERY):
        try:
            times.append(user.page_ms())
        except (OSError, http.client.HTTPException, RuntimeError):
            times.append(math.inf)


def _real_pass(bench: Bench, user: ConsoleUser, rate: float, seconds: float) -> tuple:
    """Real complaints at ``rate`` and the console polled; (stored delays s, page ms)."""
    plan = bench.plan(max(5, int(rate * seconds)), retries=0.0)
    keys = {request.key for request in plan.requests}
    pages: list[float] = []
    stop = threading.Event()
    poller = threading.Thread(target=_poll_console, args=(user, pages, stop))
    poller.start()
    try:
        bench.send(bench.url, plan, rate)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_delays(bench, keys)) < len(keys):
            time.sleep(0.25)
    finally:
        stop.set()
        poller.join()
    return _delays(bench, keys), pages, len(keys)


def _delays(bench: Bench, keys: set[str]) -> list[float]:
    with bench.rt.engine.connect() as connection:
        rows = connection.execute(
            select(Complaint.idempotency_key, Complaint.received_at, Complaint.created_at)
        ).all()
    return [
        (aware(c) - aware(r)).total_seconds() for k, r, c in rows if k.rsplit(":", 1)[-1] in keys
    ]


def _inbound(bench: Bench) -> int:
    with bench.rt.engine.connect() as connection:
        stored = connection.execute(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        ).scalar()
        held = connection.execute(select(func.count()).select_from(Quarantine)).scalar()
    return int(stored or 0) + int(held or 0)


def flood(bench: Bench) -> None:
    """Real complaints and a console page, without and with a flood waiting in the inbox."""
    assert bench.workers is not None
    bench.reset(keep_workers=True)
    user = ConsoleUser(bench.url, *_operator(bench))
    rate = max(2.0, bench.sustained * 0.1)
    seconds = max(5.0, bench.o.duration * 2)
    calm_delays, calm_pages, calm_count = _real_pass(bench, user, rate, seconds)

    size = bench.o.flood_size
    flooders = [f"+628139999{n:04d}" for n in range(FLOODERS)]
    flood_plan = bench.plan_flood(size, flooders)
    before = _inbound(bench)
    flood_rate = max(50.0, min(bench.ack_capacity * 0.8, bench.sustained * 4))
    bench.send(bench.url, flood_plan, flood_rate)
    backlog = bench.queued("intake")
    flood_delays, flood_pages, flood_count = _real_pass(bench, user, rate, seconds)
    still_waiting = bench.queued("intake")
    deadline = time.monotonic() + max(180.0, size / max(bench.sustained, 1) * 3)
    expected = before + size + flood_count
    while time.monotonic() < deadline and _inbound(bench) < expected:
        time.sleep(0.5)
    lost = max(0, expected - _inbound(bench))

    def p(values: list[float], q: float, scale: float = 1.0) -> float:
        return loadgen.percentile(values, q) * scale if values else math.nan

    calm_p99, flood_p99 = p(calm_delays, 0.99, 1000), p(flood_delays, 0.99, 1000)
    calm_page, flood_page = p(calm_pages, 0.99), p(flood_pages, 0.99)
    stored_ratio = flood_p99 / calm_p99 if calm_p99 else math.nan
    page_ratio = flood_page / calm_page if calm_page else math.nan
    bench.results.measures += [
        Measure(
            "flood in the inbox when real traffic began",
            backlog,
            None,
            "records",
            note=f"{size} SMS from {FLOODERS} numbers at {flood_rate:.0f}/s; "
            f"{still_waiting} still waiting after the real pass",
        ),
        Measure("real complaints' offered rate (flood phase)", rate, None, "msg/s"),
        Measure(
            "real receipt-to-stored p99, during a flood",
            flood_p99,
            calm_p99,
            "ms",
            "<= 200% of no flood",
            passed=stored_ratio <= 2.0 and len(flood_delays) == flood_count,
            note=f"p50 {p(flood_delays, 0.5, 1000):.0f} vs {p(calm_delays, 0.5, 1000):.0f} ms; "
            f"{len(flood_delays)}/{flood_count} and {len(calm_delays)}/{calm_count} stored",
        ),
        Measure(
            "console page p99, during a flood",
            flood_page,
            calm_page,
            "ms",
            "<= 200% of no flood",
            passed=page_ratio <= 2.0,
            note=f"{CONSOLE_PATH}; p50 {p(flood_pages, 0.5):.0f} vs {p(calm_pages, 0.5):.0f} ms; "
            f"{len(flood_pages)} and {len(calm_pages)} loads",
        ),
        Measure("flood lost", lost, None, "msg", "0", passed=lost == 0),
    ]
    bench.say(
        f"flood {size}: real stored p99 {flood_p99:.0f} ms (calm {calm_p99:.0f}), console p99 "
        f"{flood_page:.0f} ms (calm {calm_page:.0f}), lost {lost}"
    )
