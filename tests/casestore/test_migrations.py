"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from casestore.db import make_engine
from casestore.migrate import current_revision, upgrade
from casestore.models import Base


def test_migrations_match_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_is_idempotent_and_reaches_head(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    assert current_revision(engine) is not None
    assert {"complaints", "messages", "units", "status_events"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_a_fresh_sqlite_file_uses_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
