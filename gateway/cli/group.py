"""The `satupintu` command group: up, web, worker, scheduler, db upgrade, and the rest.

The sub-commands live in their own modules of gateway/cli/; what they share comes from
gateway/cli/context.py.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

import click
from rich.console import Console

from config.files import PRIVATE_UMASK
from dispatcher.queues import QUEUE_NAMES
from gateway.cli import ops
from gateway.cli.api_keys import apikey
from gateway.cli.context import prepare_database, shell_runtime, shell_settings
from gateway.cli.federation import federation
from gateway.cli.kannel import kannel
from gateway.cli.mail import mail
from gateway.cli.operators import operator
from gateway.cli.simulate import simulate
from gateway.cli.translations import translations
from gateway.cli.triage import triage
from gateway.cli.twitter import twitter

console = Console()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="satupintu", message="%(prog)s %(version)s")
def main() -> None:
    """SatuPintu: one door for public-service complaints."""
    # What any command or its children (Redis, gunicorn, workers) write under the data dir
    # holds citizens' data: no group or other bits (issue 13).
    os.umask(PRIVATE_UMASK)


@main.command()
@click.option("--host", help="Address to listen on (SATUPINTU_HOST, default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (SATUPINTU_PORT, default 8000).")
@click.option("--workers", type=int, help="Worker processes (SATUPINTU_WORKERS, default 1).")
def up(host: str | None, port: int | None, workers: int | None) -> None:
    """Run everything on this machine: embedded Redis, workers and the web server."""
    from gateway.cli.supervisor import run_up

    settings = shell_settings(create_data_dir=True)
    changes = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v}
    sys.exit(run_up(settings.replace(**changes)))


@main.command()
@click.option("--bind", default=None, help="host:port (default SATUPINTU_HOST:SATUPINTU_PORT).")
@click.option("--workers", type=int, default=None, help="gunicorn worker processes.")
@click.option(
    "--worker-class",
    default="gthread",
    show_default=True,
    help="gunicorn worker class (gthread keeps providers' connections alive; sync closes them).",
)
@click.option("--threads", type=int, default=4, show_default=True, help="Threads per worker.")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default=None,
    help="gunicorn's own log level (default SATUPINTU_LOG_LEVEL; `up` asks for warning).",
)
def web(
    bind: str | None, workers: int | None, worker_class: str, threads: int, log_level: str | None
) -> None:
    """Serve the web app with gunicorn (against SATUPINTU_REDIS_URL / DATABASE_URL)."""
    from gateway.cli.web import serve

    settings = shell_settings()
    serve(
        settings,
        bind=bind or f"{settings.host}:{settings.port}",
        workers=workers or settings.web_workers,
        worker_class=worker_class,
        threads=threads,
        log_level=log_level or settings.log_level.lower(),
    )


@main.command()
@click.option(
    "--count",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="SimpleWorker processes; more than one runs them as a pool.",
)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option(
    "--queue",
    "queues",
    multiple=True,
    type=click.Choice(QUEUE_NAMES),
    help="Listen only on this queue (repeatable; default: all, intake first).",
)
def worker(count: int, burst: bool, queues: tuple[str, ...]) -> None:
    """Run rq workers on the intake, notify and maintenance queues."""
    from dispatcher.metrics import use_metrics_dir
    from dispatcher.runtime import Runtime, install
    from dispatcher.worker import run_pool, run_worker

    settings = shell_settings()
    use_metrics_dir(settings.data_dir, "worker")  # before anything imports prometheus_client
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    runtime = Runtime(settings)
    install(runtime)
    chosen = [name for name in QUEUE_NAMES if name in queues] if queues else list(QUEUE_NAMES)
    if count == 1:
        run_worker(runtime, burst=burst, queues=chosen)
    else:
        run_pool(runtime, count, burst=burst, queues=chosen)


@main.command()
def scheduler() -> None:
    """Enqueue periodic jobs (sweeps, SLA clocks, polls); `up` does this by itself."""
    from dispatcher.runtime import Runtime
    from dispatcher.schedule import run_scheduler

    settings = shell_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    runtime = Runtime(settings)
    with contextlib.suppress(KeyboardInterrupt):
        run_scheduler(runtime.redis, settings)


@main.group()
def db() -> None:
    """The case store's schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema and load the configured units."""
    from casestore.migrate import current_revision

    runtime = shell_runtime()
    prepare_database(runtime)
    console.print(f"database at revision [bold]{current_revision(runtime.engine)}[/]")


for _command in (
    operator,
    twitter,
    kannel,
    apikey,
    federation,
    mail,
    ops.status,
    ops.replay,
    ops.spool,
    simulate,
    translations,
    triage,
):
    main.add_command(_command)
