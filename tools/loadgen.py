"""An open-loop HTTP/1.1 load generator: requests leave on a clock, not when answers come.

Request i is due at ``start + i / rate`` whatever happened to the ones before it, and its
latency is measured from that due time, so a server that stalls is charged for every request
that queued behind the stall (no coordinated omission). A fixed set of connections carries
the requests (keep-alive when the server allows it, a new connection after a server that
closes, such as gunicorn's sync worker); a request due while all connections are busy waits,
and that wait is part of its latency.

Why asyncio with a hand-rolled protocol and not http.client in threads: one thread parsing
only the status line and Content-Length costs tens of microseconds per request, so one core
offers several thousand requests a second; threads contend for the GIL and switch on every
blocking read, which caps http.client near a thousand. The requests are prebuilt bytes
(tools/traffic.py), so nothing is computed while the clock runs.
"""

from __future__ import annotations

import asyncio
import math
import socket
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tools.wire import Prepared


@dataclass
class Outcome:
    channel: str
    key: str
    retry: bool
    due: float  # loop time the request was scheduled for
    done: float = 0.0
    status: int | None = None
    error: str | None = None  # connect, reset, timeout, http_4xx/5xx...

    @property
    def latency(self) -> float:
        return self.done - self.due

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and self.status < 400


class _Closed(ConnectionError):
    """The server closed the connection before a complete response."""

    def __init__(self, received: bool) -> None:
        super().__init__("connection closed")
        self.received = received


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bool]] | None = None
        self.closed = False
        self.used = 0
        self._head: tuple[int, int, int | None, bool] | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            head = self._head
            if head is not None and head[2] is None:  # body delimited by the close
                self.waiter.set_result((head[0], False))
            else:
                self.waiter.set_exception(_Closed(received=bool(self.buffer)))

    def _complete(self) -> None:
        if self._head is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.buffer[:end]).split(b"\r\n")
            status = int(lines[0].split(b" ", 2)[1])
            length, keep = None, lines[0].startswith(b"HTTP/1.1")
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection":
                    keep = value.strip().lower() == b"keep-alive" or (
                        keep and value.strip().lower() != b"close"
                    )
            self._head = (status, end + 4, length, keep)
        status, start, length, keep = self._head
        complete = length is not None and len(self.buffer) - start >= length
        if complete and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, keep))

    def request(self, wire: bytes) -> asyncio.Future[tuple[int, bool]]:
        assert self.transport is not None
        self.buffer.clear()
        self._head = None
        self.used += 1
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(wire)
        return self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


@dataclass
class RunResult:
    outcomes: list[Outcome]
    started: float
    finished: float
    offered_rate: float
    max_lag: float = 0.0  # how late the generator itself was putting a request out (s)
    in_flight_peak: int = 0

    @property
    def duration(self) -> float:
        return max(self.finished - self.started, 1e-9)


@dataclass
class Summary:
    sent: int
    ok: int
    retries: int
    errors: dict[str, int] = field(default_factory=dict)
    throughput: float = 0.0  # answered requests per second over the run
    p50_ms: float = math.nan
    p99_ms: float = math.nan
    max_ms: float = math.nan
    by_channel: dict[str, int] = field(default_factory=dict)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by the nearest-rank method; NaN when there are no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def summarize(result: RunResult) -> Summary:
    outcomes = result.outcomes
    latencies = [o.latency for o in outcomes if o.ok]
    errors = Counter(o.error or f"http_{o.status}" for o in outcomes if not o.ok)
    answered = [o for o in outcomes if o.status is not None]
    end = max((o.done for o in answered), default=result.finished)
    return Summary(
        sent=len(outcomes),
        ok=len(latencies),
        retries=sum(1 for o in outcomes if o.retry),
        errors=dict(errors),
        throughput=len(answered) / max(end - result.started, 1e-9),
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=max(latencies, default=math.nan) * 1000,
        by_channel=dict(Counter(o.channel for o in outcomes if o.ok)),
    )


async def _open(address: tuple[str, int], timeout: float) -> _Connection:
    # A ready socket, not a host name: create_connection would resolve the name in a thread
    # for every connection, which costs more than the request itself.
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        await asyncio.wait_for(loop.sock_connect(sock, address), timeout)
        _, connection = await loop.create_connection(_Connection, sock=sock)
    except BaseException:
        sock.close()
        raise
    return connection


async def _send(
    requests: Sequence[Prepared],
    queue: asyncio.Queue,
    outcomes: list[Outcome | None],
    address: tuple[str, int],
    timeout: float,
    state: dict[str, int],
    on_done: Callable[[Outcome], None] | None,
) -> None:
    loop = asyncio.get_running_loop()
    connection: _Connection | None = None
    while True:
        item = await queue.get()
        if item is None:
            break
        index, due = item
        request = requests[index]
        outcome = Outcome(channel=request.channel, key=request.key, retry=request.retry, due=due)
        state["in_flight"] += 1
        state["peak"] = max(state["peak"], state["in_flight"])
        for attempt in range(2):
            try:
                if connection is None or connection.closed:
                    connection = await _open(address, timeout)
                reused = connection.used > 0
                status, keep = await asyncio.wait_for(connection.request(request.wire), timeout)
                outcome.status = status
                if status >= 400:
                    outcome.error = f"http_{status}"
                if not keep:
                    connection.close()
                    connection = None
                break
            except _Closed as exc:
                connection = None
                # An idle keep-alive connection the server had closed: send it again once.
                if attempt == 0 and reused and not exc.received:
                    continue
                outcome.error = "closed"
            except TimeoutError:
                outcome.error = "timeout"
            except ConnectionRefusedError:
                outcome.error = "refused"
            except OSError as exc:
                outcome.error = type(exc).__name__.lower()
            if connection is not None:
                connection.close()
                connection = None
            break
        outcome.done = loop.time()
        state["in_flight"] -= 1
        outcomes[index] = outcome
        if on_done is not None:
            on_done(outcome)
    if connection is not None:
        connection.close()


async def run_open_loop(
    url: str,
    requests: Sequence[Prepared],
    rate: float,
    *,
    connections: int = 64,
    timeout: float = 30.0,
    on_done: Callable[[Outcome], None] | None = None,
) -> RunResult:
    """Send ``requests`` at ``rate`` per second to ``url``; returns once all are answered."""
    if rate <= 0:
        raise ValueError("the rate must be positive")
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError("the load generator speaks plain http (put it next to the server)")
    address = (socket.gethostbyname(parts.hostname or "127.0.0.1"), parts.port or 80)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    outcomes: list[Outcome | None] = [None] * len(requests)
    state = {"in_flight": 0, "peak": 0}
    senders = [
        asyncio.create_task(_send(requests, queue, outcomes, address, timeout, state, on_done))
        for _ in range(max(1, connections))
    ]
    started = loop.time() + 0.05
    max_lag = 0.0
    for index in range(len(requests)):
        due = started + index / rate
        delay = due - loop.time()
        if delay > 0.001:
            await asyncio.sleep(delay)
        else:
            max_lag = max(max_lag, -delay)
            if index % 64 == 0:
                await asyncio.sleep(0)  # let the senders run when the clock is behind
        queue.put_nowait((index, due))
    for _ in senders:
        queue.put_nowait(None)
    await asyncio.gather(*senders)
    finished = loop.time()
    return RunResult(
        outcomes=[o for o in outcomes if o is not None],
        started=started,
        finished=finished,
        offered_rate=rate,
        max_lag=max_lag,
        in_flight_peak=state["peak"],
    )


def run(
    url: str,
    requests: Sequence[Prepared],
    rate: float,
    *,
    connections: int = 64,
    timeout: float = 30.0,
    on_done: Callable[[Outcome], None] | None = None,
) -> RunResult:
    """The blocking form of run_open_loop, for a CLI or a script."""
    return asyncio.run(
        run_open_loop(
            url, requests, rate, connections=connections, timeout=timeout, on_done=on_done
        )
    )
