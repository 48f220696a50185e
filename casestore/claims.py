"""Claiming a unique key: one row written the first time, nothing (and no error) after.

Provider retries, replayed jobs and concurrent deliveries all end here: the inbound message,
the contact, a queued reply and a held record are each written once, keyed on what makes
them unique.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

RowT = TypeVar("RowT")

# Dialects whose INSERT ... ON CONFLICT DO NOTHING RETURNING claims a unique key in one
# statement; elsewhere a savepoint around a plain INSERT catches the collision.
_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@functools.cache
def _insert_or_nothing(dialect: str, model: type[Any], key: tuple[str, ...]) -> Any:
    # Built once: building and hashing an INSERT per call cost more CPU than running it.
    insert = _UPSERT_INSERTS[dialect]
    return insert(model).on_conflict_do_nothing(index_elements=list(key)).returning(model)


def insert_unless_exists(
    session: Session, model: type[RowT], key: list[str], values: dict[str, Any]
) -> RowT | None:
    """Insert one row of ``model``; None (and nothing written) when a row with the same
    unique ``key`` columns exists, committed or in this transaction (a concurrent insert
    of the same key is waited for). The row comes back as a persistent object with its id.
    """
    dialect = session.get_bind().dialect.name
    if dialect in _UPSERT_INSERTS:
        statement = _insert_or_nothing(dialect, model, tuple(key))
        return session.scalars(statement, [values]).one_or_none()
    row = model(**values)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row
