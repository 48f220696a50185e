"""The set-wise batch path (dispatcher/intake/batch.py, casestore/bulk.py) against the
per-record one: the same corpus, stored both ways into an emptied database, must leave the
same rows with the same ids in every table; and the guarantees of the drain (a batch stored
twice changes nothing, a race lost to another transaction costs nothing).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from benchmarks.store_corpus import START, batches, build_corpus, empty_store
from casestore.models import Base, Complaint, Message, Quarantine
from dispatcher import drain
from dispatcher.intake import store_record
from dispatcher.intake.batch import store_records
from normalizer import normalize
from normalizer.records import Channel, ComplaintRecord, InboundMessage

CORPUS_SIZE = 2000


def _snapshot(runtime, since: datetime) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, by primary key; a time read from the wall clock during
    the test (``created_at`` and the like, where the store takes it) is masked."""
    found = {}
    with runtime.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns))
            found[table.name] = [
                {
                    name: "<wall clock>" if isinstance(v, datetime) and v >= since else v
                    for name, v in row._mapping.items()
                }
                for row in rows
            ]
    return found


def _per_record(runtime, payloads: list[dict[str, Any]]) -> None:
    """The drain before the batch path: one transaction a batch, store_record each."""
    for batch in batches(payloads):
        with runtime.sessions.begin() as session:
            for payload in batch:
                store_record(session, ComplaintRecord.from_dict(payload), runtime)


def _set_wise(runtime, payloads: list[dict[str, Any]]) -> tuple[int, int]:
    set_wise = one_by_one = 0
    for batch in batches(payloads):
        with runtime.sessions.begin() as session:
            records = [ComplaintRecord.from_dict(p) for p in batch]
            result = store_records(session, records, runtime)
        set_wise += result.set_wise
        one_by_one += result.one_by_one
    return set_wise, one_by_one


def _differences(before: dict, after: dict) -> list[str]:
    problems = []
    for table, rows in before.items():
        other = after[table]
        if len(rows) != len(other):
            problems.append(f"{table}: {len(rows)} rows per record, {len(other)} set-wise")
        for a, b in zip(rows, other, strict=False):
            if a != b:
                changed = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
                problems.append(f"{table} row {a.get('id', '?')}: {changed}")
                break
    return problems


@pytest.mark.timeout(1200)  # thousands of records stored twice, triage's caches cold
def test_the_batch_path_writes_what_the_per_record_path_writes(runtime):
    payloads = build_corpus(runtime, CORPUS_SIZE)
    since = datetime.now(UTC) - timedelta(minutes=1)
    empty_store(runtime)
    _per_record(runtime, payloads)
    one_way = _snapshot(runtime, since)
    empty_store(runtime)
    set_wise, one_by_one = _set_wise(runtime, payloads)
    other_way = _snapshot(runtime, since)

    assert set_wise + one_by_one == len(payloads)
    # The corpus has both kinds in earnest: most records set-wise, hundreds one by one.
    assert set_wise > len(payloads) / 2 and one_by_one > len(payloads) / 10
    sizes = {table: len(rows) for table, rows in one_way.items()}
    for table in ("contacts", "complaints", "messages", "status_events", "quarantine"):
        assert sizes[table] > 50, sizes
    assert sizes["duplicate_links"] > 10, sizes
    assert _differences(one_way, other_way) == []


def test_a_batch_stored_again_changes_nothing(runtime):
    """The drainer died after the commit, before drain.done(): the next one stores the
    same batch again."""
    payloads = build_corpus(runtime, 120, seed=5)[:50]
    first = drain.store_batch(runtime, payloads)
    since = datetime.now(UTC) - timedelta(minutes=5)
    before = _snapshot(runtime, since)
    again = drain.store_batch(runtime, payloads)
    assert first.stored == again.stored == len(payloads) and not again.set_aside
    assert first.outbound_ids and again.outbound_ids == []
    assert _snapshot(runtime, since) == before


def test_a_key_another_transaction_wrote_first_goes_one_by_one(runtime):
    """A concurrent drainer (or a store job) committed one of the batch's records between
    this batch's reads and its writes: the run goes back to its savepoint and is stored one
    by one, which finds the winner's rows. Nothing doubles, nothing is lost."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes the write lock at BEGIN: no one writes between the two")
    records = [
        normalize(
            InboundMessage(
                channel=Channel.SMS,
                provider="twilio",
                external_id=f"SM{n:032d}",
                sender=f"tel:+628129000{n:04d}",
                text=f"Jalan berlubang di Kampung Bale, Kec. Lut Tawar, sudah {n + 2} minggu",
                received_at=START + timedelta(minutes=n),
            ),
            runtime.rules,
        )
        for n in range(12)
    ]
    winner, won = records[3], []

    def the_other_transaction_wins(conn, cursor, statement, *_args):
        if statement.startswith("ROLLBACK TO SAVEPOINT"):
            won.append(statement)
        # Our set-wise INSERT of the new contacts (the per-record one returns every column).
        if not won and statement.rstrip().endswith("RETURNING contacts.id, contacts.urn"):
            won.append(statement)
            with runtime.sessions.begin() as other:  # another connection, committed first
                store_record(other, winner, runtime)

    event.listen(runtime.engine, "before_cursor_execute", the_other_transaction_wins)
    try:
        with runtime.sessions.begin() as session:
            result = store_records(session, records, runtime)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", the_other_transaction_wins)
    assert len(won) == 2 and won[1].startswith("ROLLBACK TO SAVEPOINT")  # the run lost
    assert result.set_wise == 0 and result.one_by_one == len(records)
    assert len(set(result.outbound_ids)) == len(result.outbound_ids)
    with runtime.sessions() as session:
        inbound = session.scalars(
            select(Message.external_id).where(Message.direction == "in")
        ).all()
        held = session.scalars(select(Quarantine.idempotency_key)).all()
        # Each record once: stored (its inbound message) or held.
        stored = [f"sms:{external_id}" for external_id in inbound]
        assert sorted(stored + held) == sorted({r.idempotency_key for r in records})
        keys = session.scalars(select(Complaint.idempotency_key)).all()
        assert keys.count(winner.idempotency_key) == 1
        acks = session.scalars(select(Message.dedupe_key).where(Message.direction == "out"))
        assert f"ack:{winner.idempotency_key}" in set(acks)


def test_held_records_are_decided_before_the_set_wise_path(runtime):
    """Junk, greetings and a flood past the rate limit are held (quarantine) by the
    per-record path; the rest of the batch is stored set-wise."""
    payloads = build_corpus(runtime, 400, seed=3)
    set_wise, one_by_one = _set_wise(runtime, payloads)
    with runtime.sessions() as session:
        held = session.scalars(select(Quarantine.reason)).all()
    assert {"rate_limited", "low_information"} <= {str(r) for r in held}
    # Every held record went one by one; the rest of the batch still went set-wise.
    assert one_by_one >= len(held) > 0
    assert set_wise > 0
