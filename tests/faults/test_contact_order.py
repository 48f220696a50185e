"""A contact's messages are applied in the order the gateway received them, by two workers.

Each citizen texts a complaint, then INFO and CEK about it, then STOP and MULAI, all before
any of it is stored. Two real `satupintu worker` processes share the queue: without the
one inbox shard per contact, the second worker picks up INFO while the first still stores the
complaint, and the citizen hears "unknown id". With it, every INFO lands on its case, every
reply goes out in order, and every contact ends opted in.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from faults.harness import WORKER_ARGV, service_env, wait_until
from sqlalchemy import select

from casestore.models import Complaint, Contact, Message, StatusEvent
from dispatcher.inbox import shard_of, waiting_records
from dispatcher.submit import Submitted, submit
from normalizer import normalize
from normalizer.records import Channel, InboundMessage

pytestmark = pytest.mark.slow

CONTACTS = 30
T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
EXPECTED_REPLIES = ["ack", "follow_up_added", "status", "opted_out", "opted_in"]


def sms(runtime, n: int, step: int, text: str):
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="twilio",
        external_id=f"SM{n:04d}{step:02d}{'0' * 26}",
        sender=f"tel:+62812{n:07d}",
        text=text,
        received_at=T0 + timedelta(seconds=n * 10 + step),
    )
    return normalize(inbound, runtime.rules)


def conversation(runtime, n: int) -> list:
    complaint = sms(runtime, n, 0, f"Jalan rusak dekat rumah nomor {n} di Kampung Bale, Lut Tawar")
    tracking_id = complaint.tracking_id
    return [
        complaint,
        sms(runtime, n, 1, f"INFO {tracking_id} lubangnya makin besar setelah hujan"),
        sms(runtime, n, 2, f"CEK {tracking_id}"),
        sms(runtime, n, 3, "STOP"),
        sms(runtime, n, 4, "MULAI"),
    ]


def test_two_workers_apply_each_contacts_messages_in_order(runtime, services):
    conversations = [conversation(runtime, n) for n in range(CONTACTS)]
    # Each phone's messages back to back: the next one is in the queue right behind.
    for records in conversations:
        for record in records:
            assert submit(record, runtime.redis, runtime.spool) is Submitted.QUEUED
    # One contact's messages share an inbox shard, in the order they came.
    waiting = waiting_records(runtime.redis)
    assert len(waiting) == CONTACTS * 5
    for records in conversations:
        keys = [record.idempotency_key for record in records]
        assert [r["idempotency_key"] for r in waiting if r["idempotency_key"] in keys] == keys
    assert len({shard_of(r.contact_urn, r.idempotency_key) for r in records}) == 1

    env = service_env(runtime.settings)
    started = time.monotonic()
    for name in ("worker-a", "worker-b"):
        services(WORKER_ARGV, env, name)

    def all_opted_back_in() -> bool:
        with runtime.sessions() as session:
            replies = session.scalars(
                select(Message.id).where(Message.direction == "out", Message.intent == "opted_in")
            ).all()
        return len(replies) == CONTACTS

    assert wait_until(all_opted_back_in, timeout=90), "the workers did not finish in time"
    print(f"{CONTACTS * 5} messages applied by two workers in {time.monotonic() - started:.1f} s")

    with runtime.sessions() as session:
        assert session.scalar(select(Complaint.id).limit(1)) is not None
        for records in conversations:
            contact = session.scalars(
                select(Contact).where(Contact.urn == records[0].contact_urn)
            ).one()
            assert not contact.opted_out  # MULAI came last, so it is applied last
            complaint = session.scalars(
                select(Complaint).where(Complaint.tracking_id == records[0].tracking_id)
            ).one()
            follow_ups = session.scalars(
                select(StatusEvent).where(
                    StatusEvent.complaint_id == complaint.id, StatusEvent.kind == "follow_up"
                )
            ).all()
            assert len(follow_ups) == 1  # INFO found its complaint
            replies = session.scalars(
                select(Message.intent)
                .where(Message.direction == "out", Message.contact_id == contact.id)
                .order_by(Message.id)
            ).all()
            assert replies == EXPECTED_REPLIES
