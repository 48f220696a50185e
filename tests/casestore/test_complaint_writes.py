"""The writes that claim a unique key (INSERT ... ON CONFLICT DO NOTHING RETURNING): the row
comes back with its id the first time, None the second, and the transaction goes on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from casestore import complaints as store
from casestore import contacts
from casestore.duplicates import suggest_duplicate
from casestore.models import Complaint, Contact, DuplicateLink, Message, StatusEvent
from config.reference import load_units
from tests.case_records import complaint_record

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
UNIT = load_units()[0].code


def claim(session, external_id: str, contact=None, at=T0):
    return store.claim_inbound(session, complaint_record(f"sms:{external_id}", at), contact)


def case(session, n: int, contact=None, *, flush: bool = True) -> Complaint:
    complaint = store.open_complaint(
        session,
        complaint_record(f"sms:case-{n}", T0, text="Jalan rusak di Kampung Bale"),
        tracking_id=f"TEST{n:04d}",
        contact=contact,
        owner_unit=UNIT,
    )
    if flush:
        session.flush()
    return complaint


def test_claim_inbound_once_per_channel_and_id(store_session):
    contact = contacts.get_or_create_contact(store_session, "tel:+6281300000001")
    first = claim(store_session, "SM1", contact)
    assert first is not None and first.id is not None
    assert first.contact_id == contact.id and first.created_at is not None
    assert claim(store_session, "SM1", contact) is None
    # The transaction is still usable after the collision.
    assert claim(store_session, "SM2") is not None
    count = select(func.count()).select_from(Message)
    assert store_session.scalar(count) == 2


def test_a_contact_is_created_once(store_session):
    created = contacts.insert_contact(store_session, "tel:+6281300000002", "Ali")
    assert created is not None and created.id is not None and created.name == "Ali"
    assert contacts.insert_contact(store_session, "tel:+6281300000002") is None
    again = contacts.get_or_create_contact(store_session, "tel:+6281300000002")
    assert again is created
    assert contacts.contact_by_urn(store_session, "tel:+6281300000002") is created
    assert contacts.contact_by_urn(store_session, "tel:+6281300009999") is None


def test_queue_reply_gives_the_id_and_queues_a_key_once(store_session):
    contact = contacts.get_or_create_contact(store_session, "tel:+6281300000003")
    complaint = case(store_session, 3, contact)
    reply = store.queue_reply(
        store_session,
        dedupe_key="ack:sms:SM3",
        channel="sms",
        contact=contact,
        complaint=complaint,
        body="Terima kasih",
    )
    assert reply is not None and reply.id is not None
    assert reply.complaint_id == complaint.id and reply.status == "queued"
    again = store.queue_reply(
        store_session,
        dedupe_key="ack:sms:SM3",
        channel="sms",
        contact=contact,
        complaint=complaint,
        body="Terima kasih",
    )
    assert again is None


def test_queue_reply_flushes_a_case_not_yet_written(store_session):
    contact = contacts.get_or_create_contact(store_session, "tel:+6281300000004")
    complaint = case(store_session, 4, contact, flush=False)
    reply = store.queue_reply(
        store_session,
        dedupe_key="ack:sms:SM4",
        channel="sms",
        contact=contact,
        complaint=complaint,
        body="Terima kasih",
    )
    assert reply is not None and reply.complaint_id == complaint.id is not None


def test_the_contact_and_its_count_in_one_query(store_session):
    assert contacts.contact_with_inbound_count(
        store_session, "tel:+6281300000005", T0, ["sms"]
    ) == (
        None,
        0,
    )
    contact = contacts.get_or_create_contact(store_session, "tel:+6281300000005")
    for n in range(3):
        claim(store_session, f"SM5-{n}", contact, at=T0 + timedelta(minutes=n))
    claim(store_session, "SM5-old", contact, at=T0 - timedelta(hours=1))
    since = T0 - timedelta(minutes=10)
    found, recent = contacts.contact_with_inbound_count(
        store_session, "tel:+6281300000005", since, ["sms", "whatsapp"]
    )
    assert found is contact and recent == 3
    assert contacts.inbound_count_since(store_session, contact.urn, since, ["sms"]) == recent
    assert contacts.contact_with_inbound_count(store_session, contact.urn, since, ["web"]) == (
        contact,
        0,
    )


def test_a_pair_is_suggested_once(store_session):
    master, newer = case(store_session, 6), case(store_session, 7)
    link = suggest_duplicate(store_session, newer, master, 0.8123, now=T0, note="mirip")
    assert link is not None and link.id is not None and link.score == 0.812
    assert suggest_duplicate(store_session, newer, master, 0.9, now=T0) is None
    kinds = store_session.scalars(
        select(StatusEvent.kind).where(StatusEvent.complaint_id == newer.id)
    ).all()
    assert kinds == ["duplicate_suggested"]
    links = select(func.count()).select_from(DuplicateLink)
    assert store_session.scalar(links) == 1
    assert store_session.scalar(select(func.count()).select_from(Contact)) == 0
