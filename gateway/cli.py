"""The `satupintu` command: up, web, worker, db upgrade."""

from __future__ import annotations

import contextlib
import logging
import sys

import click
from rich.console import Console

from config import ConfigError, Settings, load_settings

console = Console()


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def prepare_database(runtime) -> None:
    """Migrate the schema to head and load the configured units (idempotent)."""
    from casestore.complaints import sync_units
    from casestore.migrate import upgrade

    upgrade(runtime.engine)
    with runtime.sessions.begin() as session:
        sync_units(session, runtime.units)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """SatuPintu: one door for public-service complaints."""


@main.command()
@click.option("--host", help="Address to listen on (SATUPINTU_HOST, default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (SATUPINTU_PORT, default 8000).")
@click.option("--workers", type=int, help="Worker processes (SATUPINTU_WORKERS, default 1).")
def up(host: str | None, port: int | None, workers: int | None) -> None:
    """Run everything on this machine: embedded Redis, workers and the web server."""
    from gateway.supervisor import run_up

    settings = _settings()
    changes = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v}
    sys.exit(run_up(settings.replace(**changes)))


@main.command()
@click.option("--bind", default=None, help="host:port (default SATUPINTU_HOST:SATUPINTU_PORT).")
@click.option("--workers", type=int, default=None, help="gunicorn worker processes.")
@click.option("--worker-class", default="sync", show_default=True, help="gunicorn worker class.")
@click.option("--threads", type=int, default=1, show_default=True)
def web(bind: str | None, workers: int | None, worker_class: str, threads: int) -> None:
    """Serve the web app with gunicorn (against SATUPINTU_REDIS_URL / DATABASE_URL)."""
    from gateway.web import serve

    settings = _settings()
    serve(
        settings,
        bind=bind or f"{settings.host}:{settings.port}",
        workers=workers or settings.web_workers,
        worker_class=worker_class,
        threads=threads,
    )


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run one rq worker on the intake and notify queues."""
    from dispatcher.runtime import Runtime, install
    from dispatcher.worker import run_worker

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    runtime = Runtime(settings)
    install(runtime)
    run_worker(runtime, burst=burst)


@main.command()
def scheduler() -> None:
    """Enqueue periodic jobs (sweeps, SLA clocks, polls); `up` does this by itself."""
    from dispatcher.runtime import Runtime
    from dispatcher.schedule import run_scheduler

    settings = _settings()
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
    from dispatcher.runtime import Runtime

    runtime = Runtime(_settings())
    prepare_database(runtime)
    console.print(f"database at revision [bold]{current_revision(runtime.engine)}[/]")


if __name__ == "__main__":
    main()
