"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, make_url, text

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


@pytest.fixture
def scratch_url(database_url, tmp_path) -> Iterator[str]:
    """An empty database of the suite's kind: a new SQLite file, or a schema of its own on
    PostgreSQL (dropped afterwards), to migrate step by step."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS scratch_0007 CASCADE"))
        connection.execute(text("CREATE SCHEMA scratch_0007"))
    url = make_url(database_url).update_query_dict({"options": "-csearch_path=scratch_0007"})
    yield url.render_as_string(hide_password=False)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA scratch_0007 CASCADE"))
    engine.dispose()


def test_0007_moves_typed_contacts_onto_their_complaints(scratch_url):
    # Issue 13: before 0007 a form's typed phone was a contact, shared with the SMS citizen.
    engine = make_engine(scratch_url)
    upgrade(engine, "0005")
    now = "2026-12-01 02:00:00"
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO units (code, name, name_en, kind, active) VALUES "
                "('koordinator', 'Koordinator', 'Coordinator', 'coordinator', true)"
            )
        )
        db.execute(
            text(
                "INSERT INTO contacts (id, urn, name, language, opted_out, created_at) VALUES "
                "(1, 'tel:+6281277770001', 'Penipu', 'id', false, :now), "  # typed, then texted
                "(2, 'mailto:warga@example.id', 'Siti', 'id', false, :now), "  # typed only
                "(3, 'tel:+6281277770003', '', 'id', false, :now)"  # SMS only
            ),
            {"now": now},
        )
        for id_, channel, contact in [(1, "web", 1), (2, "sms", 1), (3, "api", 2), (4, "sms", 3)]:
            db.execute(
                text(
                    "INSERT INTO complaints (id, tracking_id, idempotency_key, channel, contact_id,"
                    " owner_unit, status, privacy, description, language, reply_to, received_at,"
                    " created_at, updated_at) VALUES (:id, :tid, :key, :channel, :contact,"
                    " 'koordinator', 'received', 'public', 'x', 'id', '', :now, :now, :now)"
                ),
                {
                    "id": id_,
                    "tid": f"T{id_}",
                    "key": f"{channel}:{id_}",
                    "channel": channel,
                    "contact": contact,
                    "now": now,
                },
            )
            db.execute(
                text(
                    "INSERT INTO messages (direction, channel, provider, external_id, complaint_id,"
                    " contact_id, intent, body, media, reply_to, status, attempts, received_at,"
                    " created_at, updated_at, raw) VALUES ('in', :channel, '', :key, :id, :contact,"
                    " 'new', 'x', '[]', '', 'received', 0, :now, :now, :now, '{}')"
                ),
                {"id": id_, "key": f"m{id_}", "channel": channel, "contact": contact, "now": now},
            )
    upgrade(engine)
    with engine.connect() as db:
        cases = db.execute(
            text("SELECT id, contact_id, update_address, reporter_name FROM complaints ORDER BY id")
        ).all()
        assert [tuple(c) for c in cases] == [
            (1, None, "tel:+6281277770001", "Penipu"),
            (2, 1, "", ""),
            (3, None, "mailto:warga@example.id", "Siti"),
            (4, 3, "", ""),
        ]
        links = db.execute(text("SELECT channel, contact_id FROM messages ORDER BY id")).all()
        assert [tuple(m) for m in links] == [("web", None), ("sms", 1), ("api", None), ("sms", 3)]
        people = db.execute(text("SELECT id, urn, name FROM contacts ORDER BY id")).all()
        # The typed-only address is gone; the SMS citizen loses the name a form gave it.
        assert [tuple(p) for p in people] == [
            (1, "tel:+6281277770001", ""),
            (3, "tel:+6281277770003", ""),
        ]
    engine.dispose()
