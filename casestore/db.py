"""Engines and sessions. The caller owns the session: one per request, one per job.

The other packages name the types and errors of the database through this module (the
session a data function takes, which failures are worth a retry), never SQLAlchemy's own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from config.files import private_file

__all__ = [
    "TRANSIENT_DATABASE_ERRORS",
    "Engine",
    "Session",
    "SessionFactory",
    "is_disconnect",
    "is_insert_race",
    "make_engine",
    "make_sessionmaker",
    "ping",
]

SessionFactory = sessionmaker[Session]

# Failures that waiting can fix. OperationalError covers connection refused, "database is
# locked", PostgreSQL's deadlock_detected and serialization_failure (psycopg raises them as
# OperationalError); IntegrityError is a lost insert race, whose retry sees the winner's row.
TRANSIENT_DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no pooled connection free in time
    sa_exc.IntegrityError,
)


def is_disconnect(exc: BaseException) -> bool:
    """The database dropped the connection under this statement (a retry gets a new one)."""
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def is_insert_race(exc: BaseException) -> bool:
    """An insert lost to a concurrent one of the same unique key."""
    return isinstance(exc, sa_exc.IntegrityError)


def ping(engine: Engine) -> None:
    """One round trip to the database; raises whatever keeps it from answering."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN (see _sqlite_begin): the sqlite3 module's own transaction
    # handling skips BEGIN before a SAVEPOINT, so releasing a savepoint (a begin_nested()
    # block) would commit on its own and a later rollback could not undo it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the web read while a worker writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock at BEGIN, waiting busy_timeout for it. A deferred
    # transaction that read first and then writes fails at once (SQLITE_BUSY_SNAPSHOT) when
    # another process committed in between, which two workers make routine. Readers wait
    # for a writer's commit (milliseconds); the embedded default serves one district.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _private_database(path: Path) -> Callable[..., None]:
    def before_connect(*_args: Any) -> None:
        # Created 0600 before SQLite opens it: its -wal and -shm files take its mode. Where
        # it cannot be created (a missing directory), SQLite's own connect says what is wrong.
        with contextlib.suppress(OSError):
            private_file(path)

    return before_connect


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the pragmas and pool settings each backend needs."""
    # Errors carry no bound values: they would put phone numbers and bodies in the logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            event.listen(engine, "do_connect", _private_database(Path(database)))
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 5)
    return create_engine(url, **kwargs)


def make_sessionmaker(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


def configure_models() -> None:
    """Build SQLAlchemy's mappers now, not in the first query (a worker pool does it once,
    before the fork, so its members share them)."""
    from sqlalchemy.orm import configure_mappers

    import casestore.models  # noqa: F401 (every mapper must be defined first)

    configure_mappers()
