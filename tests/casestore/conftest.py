"""A case store for tests that need only SQL: migrated and loaded once per module, and each
test in one transaction that is rolled back (casestore functions never commit)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from casestore.complaints import sync_units
from casestore.db import make_engine
from casestore.migrate import upgrade
from casestore.models import Base
from config.reference import load_units


@pytest.fixture(scope="module")
def store_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    with Session(engine) as session, session.begin():
        sync_units(session, load_units())
    yield engine
    engine.dispose()


@pytest.fixture
def store_session(store_engine: Engine) -> Iterator[Session]:
    """A session whose work is undone after the test, savepoints and all."""
    with store_engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            outer.rollback()
