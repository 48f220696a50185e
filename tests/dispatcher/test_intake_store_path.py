"""store_record's path for a new message: few statements, and the same answers as before.

The worker stores every SMS in one transaction; each statement is a round trip. These pin the
shortcuts (one query for the idempotency key and the tracking id, no rate count for a sender
never seen, the complaint handed back instead of looked up again) and the behaviour they must
keep: a tracking id another case holds takes the next derivation, a key stored before is a
no-op, and a new sender is limited from its first message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, select

from casestore import complaints
from casestore.models import Complaint, Contact, Message, Quarantine
from dispatcher.intake import store_record
from normalizer import normalize
from normalizer.records import Channel, InboundMessage
from normalizer.tracking import derive_tracking_id
from tests.case_records import complaint_record

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB
TEXT = "Jalan berlubang di Kampung Bale, Kec. Lut Tawar, sudah dua minggu"
# Statements for one new SMS from a new sender (PostgreSQL 9, SQLite 11 with BEGIN IMMEDIATE
# and two event INSERTs); it was 19 and 21 before issue 8. A little headroom, no more.
# Issue 20 added one indexed SELECT: does the sender have a case waiting for their answer.
MAX_STATEMENTS = 13


def sms(runtime, n: int, text: str = TEXT, sender: str = "tel:+6281290000001", at=T0):
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="twilio",
        external_id=f"SM{n:032d}",
        sender=sender,
        text=text,
        received_at=at,
    )
    return normalize(inbound, runtime.rules)


def store(runtime, record):
    with runtime.sessions.begin() as session:
        return store_record(session, record, runtime)


@contextmanager
def statements(runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)


def test_a_new_sms_from_a_new_sender_is_stored_in_few_statements(runtime):
    record = sms(runtime, 1)
    with statements(runtime) as seen:
        outcome = store(runtime, record)
    assert outcome.created and outcome.tracking_id == record.tracking_id
    assert len(seen) <= MAX_STATEMENTS, "\n".join(seen)
    assert not any(s.lstrip().upper().startswith("SAVEPOINT") for s in seen)
    with runtime.sessions() as session:
        inbound = session.scalars(select(Message).where(Message.direction == "in")).one()
        complaint = session.scalars(select(Complaint)).one()
        contact = session.scalars(select(Contact)).one()
        assert inbound.complaint_id == complaint.id
        assert inbound.contact_id == contact.id == complaint.contact_id
        ack = session.scalars(select(Message).where(Message.direction == "out")).one()
        assert outcome.outbound_ids == [ack.id]


def test_the_outcome_carries_the_complaint_it_names(runtime):
    first = store(runtime, sms(runtime, 1))
    again = store(runtime, sms(runtime, 2, f"CEK {first.tracking_id}"))
    assert first.complaint is not None and first.complaint.tracking_id == first.tracking_id
    assert again.complaint is not None and again.complaint.tracking_id == first.tracking_id
    with runtime.sessions() as session:
        linked = session.scalars(
            select(Message.complaint_id).where(Message.direction == "in").order_by(Message.id)
        ).all()
        assert linked == [first.complaint.id, first.complaint.id]


def open_case(runtime, tracking_id: str, key: str) -> None:
    with runtime.sessions.begin() as session:
        complaints.open_complaint(
            session,
            complaint_record(key, T0 - timedelta(days=30), text="Aduan lain"),
            tracking_id=tracking_id,
            contact=None,
            owner_unit=runtime.units[0].code,
        )


def test_a_tracking_id_held_by_another_case_takes_the_next_derivations(runtime):
    record = sms(runtime, 1)
    secret = runtime.settings.secret_key
    open_case(runtime, record.tracking_id, "web:other-0")
    open_case(runtime, derive_tracking_id(record.idempotency_key, secret, 1), "web:other-1")
    outcome = store(runtime, record)
    assert outcome.created
    assert outcome.tracking_id == derive_tracking_id(record.idempotency_key, secret, 2)
    with runtime.sessions() as session:
        inbound = session.scalars(select(Message).where(Message.direction == "in")).one()
        assert inbound.complaint.tracking_id == outcome.tracking_id


def test_a_key_stored_before_is_not_a_second_case(runtime):
    record = sms(runtime, 1)
    # A case under this key whose inbound message is not stored (as a split-off message).
    open_case(runtime, "ZZZZ9999", record.idempotency_key)
    outcome = store(runtime, record)
    assert outcome.duplicate_delivery and not outcome.created
    assert outcome.tracking_id == "ZZZZ9999"
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 1
        inbound = session.scalars(select(Message).where(Message.direction == "in")).one()
        assert inbound.complaint.tracking_id == "ZZZZ9999"


def test_a_new_sender_is_limited_from_its_first_message(runtime):
    runtime.settings = runtime.settings.replace(sms_rate_limit="1/600")
    topics = ["Lampu jalan mati di depan SD Negeri 2 Bebesen", "Sampah menumpuk di pasar"]
    first = store(runtime, sms(runtime, 1, topics[0]))
    second = store(runtime, sms(runtime, 2, topics[1], at=T0 + timedelta(seconds=5)))
    # Held messages count towards the limit too (issue 15): past the held one's window.
    later = store(runtime, sms(runtime, 3, topics[1], at=T0 + timedelta(seconds=606)))
    assert first.created and not first.quarantined
    assert second.quarantined and later.created
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 1
        assert session.scalar(select(func.count()).select_from(Quarantine)) == 1


def test_a_follow_up_of_a_new_senders_first_case_still_joins_it(runtime):
    # The first message skips the follow-up query (no cases yet); the second must not.
    first = store(runtime, sms(runtime, 1))
    again = store(runtime, sms(runtime, 2, TEXT + " tolong", at=T0 + timedelta(hours=1)))
    assert first.created and not again.created
    assert again.tracking_id == first.tracking_id
