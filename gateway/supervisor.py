"""`satupintu up`: the embedded Redis, the workers and the web server under one process.

Children run in their own sessions so that Ctrl-C reaches only this process; it then stops
them in order: the web first (no new intake), the workers next (each finishes its job in
hand), Redis last (it flushes its append-only file), so no acknowledged message is lost.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from rich.console import Console

from config import Settings
from dispatcher.redis_server import EmbeddedRedis, die_with_parent

console = Console(stderr=True)


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
    from gateway.cli import prepare_database
    from gateway.cli_operator import announce_first_coordinator

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
    announce_first_coordinator(runtime)  # only when there is no operator yet

    cli = [sys.executable, "-m", "gateway.cli"]
    children = [
        Child(f"worker-{n + 1}", [*cli, "worker"], env) for n in range(max(1, settings.workers))
    ]
    web = Child(
        "web",
        [
            *cli,
            "web",
            "--bind",
            f"{settings.host}:{settings.port}",
            "--workers",
            str(settings.web_workers),
        ],
        env,
    )
    children.append(web)

    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for child in children:
            child.start()
        url = f"http://{settings.host}:{settings.port}"
        console.print(f"[bold green]SatuPintu berjalan[/] / running: {url}/")
        console.print(f"  Formulir pengaduan / complaint form: {url}/")
        console.print(f"  Lacak laporan / tracking:            {url}/track/<nomor>")
        console.print(f"  Kesehatan / health:                  {url}/readyz")
        console.print(f"  Data: {settings.data_dir.resolve()}  (Ctrl-C untuk berhenti / to stop)")
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
