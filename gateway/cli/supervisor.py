"""`satupintu up`: the embedded Redis, the workers and the web server under one process.

Children run in their own sessions so that Ctrl-C reaches only this process; it then stops
them in order: the web first (no new intake), the workers next (each finishes its job in
hand), Redis last (it flushes its append-only file), so no acknowledged message is lost.
"""

from __future__ import annotations

import errno
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from rich.console import Console

from config import Settings
from dispatcher.redis_server import EmbeddedRedis, die_with_parent

console = Console(stderr=True)

# How long `up` waits for its web server and workers before printing the banner anyway.
READY_TIMEOUT_SECONDS = 60
RESET_HINT = "satupintu operator reset-password koordinator --generate"


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv, env=self.env, start_new_session=True, preexec_fn=die_with_parent
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        if self.alive():
            assert self.process is not None
            os.kill(self.process.pid, signum)

    def wait(self, timeout: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            console.print(f"[yellow]{self.name} did not stop in {timeout:.0f} s; killing it[/]")
            self.process.kill()
            self.process.wait()


class Stop(BaseException):
    """Raised by SIGINT/SIGTERM. Not an Exception: the loop's `except Exception` guards
    (Redis restarting) must never swallow a stop that lands while they run."""


def _raise_stop(signum: int, _frame: object) -> None:
    raise Stop(signum)


def run_up(settings: Settings, *, drain_every: float = 2.0) -> int:
    """Run everything until Ctrl-C or SIGTERM; returns the exit code."""
    from dispatcher.runtime import Runtime
    from dispatcher.schedule import enqueue_due
    from dispatcher.submit import drain_spool
    from gateway.cli.context import create_first_coordinator, prepare_database

    # First, before Redis, the database or a one-time password: a port another program holds
    # would otherwise leave the web server restarting in a loop under a banner that lies.
    taken = port_taken(settings.host, settings.port)
    if taken:
        raise SystemExit(taken)
    env = dict(os.environ)
    env["SATUPINTU_DATA_DIR"] = str(settings.data_dir)
    redis_server = None
    if settings.embedded_redis:
        redis_server = EmbeddedRedis(settings.redis_dir, settings.redis_appendfsync)
        redis_server.start()
        env["SATUPINTU_REDIS_URL"] = redis_server.url
        settings = settings.replace(redis_url=redis_server.url)
    runtime = Runtime(settings)
    prepare_database(runtime)
    first_password = create_first_coordinator(runtime)  # only when there is no operator yet

    cli = [sys.executable, "-m", "gateway.cli"]
    worker_count = max(1, settings.workers)
    children = [Child(f"worker-{n + 1}", [*cli, "worker"], env) for n in range(worker_count)]
    web = Child(
        "web",
        [
            *cli,
            "web",
            "--bind",
            f"{settings.host}:{settings.port}",
            "--workers",
            str(settings.web_workers),
            # gunicorn's start-up lines would land after the banner: warnings and errors only.
            "--log-level",
            "warning",
        ],
        env,
    )
    children.append(web)

    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for child in children:
            child.start()
        # The banner (and the one-time password in it) is the last thing start-up prints,
        # so it does not scroll away under the children's start-up lines.
        wait_until_ready(runtime, settings.host, settings.port, worker_count)
        print_banner(runtime, first_password, embedded_redis=redis_server is not None)
        while True:
            time.sleep(drain_every)
            _keep_alive(children)
            try:
                enqueue_due(runtime.redis, settings)
            except Exception as exc:  # Redis restarting: the next round tries again
                console.print(f"[yellow]scheduler waiting: {type(exc).__name__}[/]")
            if runtime.spool.stats().segments:
                try:
                    drained = drain_spool(runtime.redis, runtime.spool)
                    if drained:
                        console.print(f"spool: {drained} records re-submitted")
                except Exception as exc:  # Redis still away: try again next round
                    console.print(f"[yellow]spool drain waiting: {type(exc).__name__}[/]")
    except Stop:
        console.print("Berhenti / stopping...")
    finally:
        # Ignore a second Ctrl-C or SIGTERM while stopping in order: dying now would take
        # Redis down (PDEATHSIG) under workers that are still finishing their jobs.
        for s in previous:
            signal.signal(s, signal.SIG_IGN)
        web.signal(signal.SIGTERM)
        web.wait(30)
        workers = [c for c in children if c is not web]
        for child in workers:
            child.signal(signal.SIGTERM)
        for child in workers:
            child.wait(60)
        runtime.close()
        if redis_server is not None:
            redis_server.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
        console.print("Selesai / stopped.")
    return 0


def port_taken(host: str, port: int) -> str | None:
    """Why the web server could not listen on ``host:port`` (in both languages), or None.

    Bound and released at once, with SO_REUSEADDR as gunicorn binds: a port in TIME_WAIT
    after the last run is free, one another program listens on is not.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"SATUPINTU_HOST {host!r} tidak dikenal / is not a known address: {exc.strerror}"
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return (
                        f"Port {port} di {host} sudah dipakai program lain; hentikan program "
                        f"itu atau pilih port lain (SATUPINTU_PORT atau --port).\n"
                        f"Port {port} on {host} is already in use by another program; stop it "
                        f"or choose another port (SATUPINTU_PORT or --port)."
                    )
                return f"Tidak dapat memakai / cannot listen on {host}:{port}: {exc.strerror}"
    return None


def wait_until_ready(runtime, host: str, port: int, workers: int) -> None:
    """Wait until the web server answers /healthz and ``workers`` workers have registered."""
    from dispatcher.backlog import backlog_snapshot

    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    web_ready = False
    while time.monotonic() < deadline:
        if not web_ready:
            connection = http.client.HTTPConnection(host, port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                web_ready = connection.getresponse().status == 200
            except (OSError, http.client.HTTPException):
                pass
            finally:
                connection.close()
        if web_ready and backlog_snapshot(runtime).workers_alive >= workers:
            return
        time.sleep(0.2)


def without_password(url: str) -> str:
    """A database or Redis URL fit to print: its password replaced by ***."""
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hosts}"))


def print_banner(runtime, first_password: str | None, *, embedded_redis: bool) -> None:
    """Where it runs, what it uses, and how to get into the console (printed last)."""
    from gateway.cli.context import print_first_coordinator

    settings = runtime.settings
    url = runtime.public_url
    console.rule("[bold green]SatuPintu berjalan / running[/]")
    console.print(f"  Formulir pengaduan / complaint form: {url}/", soft_wrap=True)
    console.print(f"  Lacak laporan / tracking:            {url}/track/<nomor>", soft_wrap=True)
    console.print(f"  Konsol petugas / operator console:   {url}/console/", soft_wrap=True)
    console.print(f"  Kesehatan / health:                  {url}/readyz", soft_wrap=True)
    listening = f"http://{settings.host}:{settings.port}"
    if listening != url:  # SATUPINTU_PUBLIC_URL is what citizens use; this is the socket
        console.print(f"  Mendengar di / listening on:         {listening}/", soft_wrap=True)
    console.print(f"  Data dir:  {settings.data_dir.resolve()}", soft_wrap=True)
    console.print(f"  Database:  {without_password(settings.database_url)}", soft_wrap=True)
    redis_kind = "embedded" if embedded_redis else "SATUPINTU_REDIS_URL"
    redis_url = without_password(settings.resolved_redis_url())
    console.print(f"  Redis:     {redis_url} ({redis_kind})", soft_wrap=True)
    if first_password is not None:
        print_first_coordinator(console, first_password, url)
    console.print(f"  Lupa kata sandi / lost the password: [bold]{RESET_HINT}[/]", soft_wrap=True)
    console.rule("Ctrl-C untuk berhenti / to stop")


def _keep_alive(children: list[Child]) -> None:
    """Restart a child that died, at most 5 times a minute, so a crash loop stays visible."""
    now = time.monotonic()
    for child in children:
        if child.alive():
            continue
        child.restarts = [t for t in child.restarts if now - t < 60]
        if len(child.restarts) >= 5:
            raise SystemExit(f"{child.name} keeps crashing; see its output above")
        code = child.process.returncode if child.process else None
        console.print(f"[red]{child.name} exited ({code}); restarting[/]")
        child.restarts.append(now)
        child.start()
