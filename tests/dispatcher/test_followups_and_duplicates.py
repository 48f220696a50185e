"""At intake: repeats join their case, possible duplicates are suggested, thin messages wait.

Each decision is an event an operator can read and undo: split a joined message off, confirm
or reject a suggested duplicate, release or reject a quarantined message.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from casestore import complaints as store
from casestore import contacts
from casestore.duplicates import confirm_duplicate, pending_suggestions, reject_duplicate
from casestore.lifecycle import Action, Status, TransitionError, apply_action
from casestore.models import (
    Complaint,
    Contact,
    DuplicateLink,
    Message,
    Quarantine,
    StatusEvent,
)
from casestore.quarantine import release_quarantined
from dispatcher.intake import split_follow_up, store_record
from dispatcher.notifications import queue_status_notification
from normalizer import normalize
from normalizer.records import Channel, InboundMessage
from normalizer.tracking import format_tracking_id

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB
ALI, BUDI, CUT = "tel:+6281260000001", "tel:+6281260000002", "tel:+6281260000003"
_ids = iter(range(1, 10**6))


def deliver(runtime, text, sender=ALI, at=T0, channel=Channel.SMS, released=False):
    """One inbound message through the real normalizer and store_record, committed."""
    inbound = InboundMessage(
        channel=channel,
        provider="twilio" if channel is Channel.SMS else "webform",
        external_id=f"SM{next(_ids):032d}",
        sender=sender,
        text=text,
        received_at=at,
        declared={"privacy": "public"} if channel is Channel.WEB else {},
    )
    record = normalize(inbound, runtime.rules)
    with runtime.sessions.begin() as session:
        return store_record(session, record, runtime, check_rate_limit=not released)


def outbox(runtime, contact_urn=None) -> list[Message]:
    with runtime.sessions() as session:
        query = select(Message).where(Message.direction == "out").order_by(Message.id)
        messages = list(session.scalars(query))
        if contact_urn:
            messages = [m for m in messages if m.contact.urn == contact_urn]
        return messages


def count(runtime, model) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


# --- the same contact again: follow-up ----------------------------------------------------------


def test_a_similar_message_within_72_hours_joins_the_open_case(runtime):
    first = deliver(runtime, "jln di kampung Kenawat rusak parah bgt, lubang dmn2, tlg diperbaiki")
    again = deliver(
        runtime,
        "pak tlg jalan kenawat itu segera diperbaiki, kmrn ada yg jatuh dr motor krn lubangnya",
        at=T0 + timedelta(hours=30),
    )
    assert again.tracking_id == first.tracking_id and not again.created
    assert count(runtime, Complaint) == 1
    reply = outbox(runtime)[-1]
    assert reply.intent == "joined_existing"
    assert format_tracking_id(first.tracking_id) in reply.body
    with runtime.sessions() as session:
        complaint = store.complaint_by_tracking_id(session, first.tracking_id)
        joined = [e for e in complaint.events if e.kind == "follow_up"]
        assert len(joined) == 1 and not joined[0].public
        assert joined[0].reason == "similar_text" and joined[0].data["score"] >= 0.3
        # The message itself is on the case, for the operator to read.
        inbound = [m for m in session.scalars(select(Message)) if m.direction == "in"]
        assert {m.complaint_id for m in inbound} == {complaint.id}


@pytest.mark.parametrize(
    ("text", "hours", "sender"),
    [
        ("air PDAM di Kenawat mati sejak kemarin", 30, ALI),  # a different problem
        ("jalan kenawat rusak parah, lubang dimana mana, tolong", 73, ALI),  # too late
        ("jalan kenawat rusak parah, lubang dimana mana, tolong", 30, BUDI),  # someone else
    ],
)
def test_other_messages_open_their_own_case(runtime, text, hours, sender):
    deliver(runtime, "jln di kampung Kenawat rusak parah bgt, lubang dmn2, tlg diperbaiki")
    later = deliver(runtime, text, sender=sender, at=T0 + timedelta(hours=hours))
    assert later.created
    assert count(runtime, Complaint) == 2


def test_a_closed_case_is_not_joined(runtime):
    first = deliver(runtime, "Air PDAM di Kp. Blang Kolak sdh 3 hari tdk mengalir")
    with runtime.sessions.begin() as session:
        complaint = store.complaint_by_tracking_id(session, first.tracking_id)
        apply_action(session, complaint, Action.REJECT, actor="op", now=T0, reason="spam")
    again = deliver(runtime, "air pdam blang kolak msh mati", at=T0 + timedelta(hours=2))
    assert again.created and again.tracking_id != first.tracking_id


def test_web_repeats_keep_their_own_tracking_id_and_are_suggested_instead(runtime):
    # A web citizen saw this message's tracking id on the thank-you page: it must exist.
    text = "Lampu jalan di simpang Bebesen mati semua, gelap bgt malam"
    first = deliver(runtime, text, channel=Channel.WEB)
    second = deliver(runtime, text, channel=Channel.WEB, at=T0 + timedelta(minutes=5))
    assert first.created and second.created
    with runtime.sessions() as session:
        (link,) = pending_suggestions(session)
        assert session.get(Complaint, link.master_id).tracking_id == first.tracking_id
        assert session.get(Complaint, link.complaint_id).tracking_id == second.tracking_id


def test_an_operator_can_split_a_wrong_join(runtime):
    first = deliver(runtime, "Lampu jalan di simpang Bebesen mati semua, gelap bgt malam")
    joined = deliver(runtime, "lampu jalan simpang bebesen masih mati pak", at=T0 + timedelta(1))
    assert joined.tracking_id == first.tracking_id
    with runtime.sessions.begin() as session:
        event = session.scalars(select(StatusEvent).where(StatusEvent.kind == "follow_up")).one()
        split = split_follow_up(session, event.id, runtime, actor="coordinator")
        assert split.created and split.tracking_id != first.tracking_id
    with runtime.sessions.begin() as session:
        event = session.scalars(select(StatusEvent).where(StatusEvent.kind == "follow_up")).one()
        with pytest.raises(TransitionError, match="sudah dipisahkan"):
            split_follow_up(session, event.id, runtime, actor="coordinator")
        new_case = store.complaint_by_tracking_id(session, split.tracking_id)
        inbound = session.scalars(
            select(Message).where(Message.direction == "in").order_by(Message.id)
        ).all()
        assert inbound[-1].complaint_id == new_case.id
        assert new_case.due_at is not None
    assert outbox(runtime)[-1].intent == "ack"  # the citizen learns the new number


# --- different contacts: suggested duplicates --------------------------------------------------


def test_a_similar_complaint_from_someone_else_is_suggested_as_a_duplicate(runtime):
    master = deliver(runtime, "Banjir di kampung Kala Segi, Kec. Bintang, rumah warga terendam")
    copy = deliver(
        runtime, "kala segi banjir, puluhan rumah terendam air", sender=BUDI, at=T0 + timedelta(1)
    )
    assert copy.created
    with runtime.sessions() as session:
        (link,) = pending_suggestions(session)
        assert link.state == "suggested" and link.score >= 0.25
        complaint = session.get(Complaint, link.complaint_id)
        assert complaint.tracking_id == copy.tracking_id
        assert session.get(Complaint, link.master_id).tracking_id == master.tracking_id
        (event,) = [e for e in complaint.events if e.kind == "duplicate_suggested"]
        assert not event.public and event.data["master"] == master.tracking_id


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Jalan di kampung Kala Segi berlubang parah", 1),  # same place, another category
        ("kala segi banjir, puluhan rumah terendam air", 8),  # too long after
        ("Banjir di kampung Wih Pesam, rumah warga terendam", 1),  # another place
    ],
)
def test_no_suggestion_for_other_problems(runtime, text, days):
    deliver(runtime, "Banjir di kampung Kala Segi, Kec. Bintang, rumah warga terendam")
    deliver(runtime, text, sender=BUDI, at=T0 + timedelta(days=days))
    assert count(runtime, DuplicateLink) == 0


def test_confirmed_followers_get_the_masters_updates(runtime):
    master = deliver(runtime, "Banjir di kampung Kala Segi, Kec. Bintang, rumah warga terendam")
    deliver(runtime, "kala segi banjir, puluhan rumah terendam air", sender=BUDI, at=T0)
    with runtime.sessions.begin() as session:
        (link,) = pending_suggestions(session)
        event = confirm_duplicate(session, link.id, actor="coordinator", now=T0)
        follower = session.get(Complaint, link.complaint_id)
        assert follower.status == Status.DUPLICATE and link.state == "confirmed"
        queue_status_notification(session, follower, event, runtime)
        with pytest.raises(TransitionError, match="sudah diputuskan"):
            reject_duplicate(session, link.id, actor="coordinator", now=T0)
    told = outbox(runtime, BUDI)[-1]
    assert told.intent == "merged" and format_tracking_id(master.tracking_id) in told.body
    # The master moves on: both citizens hear it.
    with runtime.sessions.begin() as session:
        case = store.complaint_by_tracking_id(session, master.tracking_id)
        apply_action(session, case, Action.VERIFY, actor="c", now=T0)
        event = apply_action(session, case, Action.DISPATCH, actor="c", now=T0, unit="bpbd")
        ids = queue_status_notification(session, case, event, runtime)
        assert len(ids) == 2
    assert "Didisposisikan" in outbox(runtime, ALI)[-1].body
    assert "Didisposisikan" in outbox(runtime, BUDI)[-1].body
    assert format_tracking_id(master.tracking_id) in outbox(runtime, BUDI)[-1].body


def test_a_rejected_suggestion_is_kept_and_not_asked_again(runtime):
    deliver(runtime, "Banjir di kampung Kala Segi, Kec. Bintang, rumah warga terendam")
    copy = deliver(runtime, "kala segi banjir, puluhan rumah terendam air", sender=BUDI)
    with runtime.sessions.begin() as session:
        (link,) = pending_suggestions(session)
        event = reject_duplicate(session, link.id, actor="coordinator", now=T0)
        assert event.kind == "duplicate_rejected" and not event.public
        complaint = store.complaint_by_tracking_id(session, copy.tracking_id)
        assert complaint.status == Status.RECEIVED and complaint.master_id is None
    with runtime.sessions() as session:
        assert pending_suggestions(session) == []
        assert session.scalars(select(DuplicateLink)).one().state == "rejected"


# --- low information: quarantine ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "halo min",
        "Assalamualaikum pak, sy mau lapor",
        "tolong ditindak lanjuti segera!!!",
        "LAPOR",
        "Kec. Bintang",
        "sy mau tanya cara daftar CPNS",
        # Lottery and gambling spam is held as fraud / promo and never answered (issue 15:
        # tests/dispatcher/test_triage_intake.py).
    ],
)
def test_low_information_is_quarantined_with_a_request_for_details(runtime, text):
    outcome = deliver(runtime, text, sender=CUT)
    assert outcome.quarantined and outcome.tracking_id is None
    assert count(runtime, Complaint) == 0
    with runtime.sessions() as session:
        held = session.scalars(select(Quarantine)).one()
        # Too thin, or triage's reason (issue 15): a chatter verdict, or unsure.
        assert held.reason in ("low_information", "chatter", "uncertain")
        assert held.resolved_at is None
        assert held.record["text"] == outcome_text(text)
    (reply,) = outbox(runtime, CUT)
    assert reply.intent == "need_details" and "lebih lengkap" in reply.body


def outcome_text(text: str) -> str:
    return text.removeprefix("LAPOR").strip()


def test_a_retried_low_information_message_is_held_and_answered_once(runtime):
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="twilio",
        external_id="SM" + "9" * 32,
        sender=CUT,
        text="halo",
        received_at=T0,
    )
    record = normalize(inbound, runtime.rules)
    for _ in range(2):
        with runtime.sessions.begin() as session:
            store_record(session, record, runtime)
    assert count(runtime, Quarantine) == 1
    assert len(outbox(runtime, CUT)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "jalan rusak",  # two words, but a clear category
        # "Kec. Bintang" (only a place) and "sy mau tanya cara daftar CPNS" (a question) are
        # held and their senders asked for details since triage (issue 15): no complaint yet.
        "ada judi sabung ayam di kampung Bale tiap malam, tolong ditertibkan",
    ],
)
def test_short_but_meaningful_messages_open_a_case(runtime, text):
    assert deliver(runtime, text, sender=CUT).created


def test_web_messages_are_never_quarantined(runtime):
    # The web citizen already holds the tracking id; the coordinator sees it and decides.
    assert deliver(runtime, "halo", channel=Channel.WEB).created


def test_a_released_message_becomes_a_case(runtime):
    deliver(runtime, "halo min", sender=CUT)
    with runtime.sessions.begin() as session:
        held = session.scalars(select(Quarantine)).one()
        record = release_quarantined(session, held.id, "coordinator")
    from normalizer.records import ComplaintRecord

    with runtime.sessions.begin() as session:
        outcome = store_record(
            session, ComplaintRecord.from_dict(record), runtime, check_rate_limit=False
        )
    assert outcome.created


def test_a_short_thanks_in_the_thread_of_a_case_is_a_follow_up_not_quarantined(runtime):
    def tweet(external_id: str, text: str, thread: tuple[str, ...] = ()):
        inbound = InboundMessage(
            channel=Channel.TWITTER,
            provider="twitter",
            external_id=external_id,
            sender="twitter:4242",
            text=text,
            received_at=T0,
            thread_ids=thread,
        )
        with runtime.sessions.begin() as session:
            return store_record(session, normalize(inbound, runtime.rules), runtime)

    first = tweet("1900000000000000001", "@PemkabAcehTengah jalan di Kenawat rusak parah, tolong")
    thanks = tweet("1900000000000000002", "ok makasih", thread=("1900000000000000001",))
    assert not thanks.quarantined and thanks.tracking_id == first.tracking_id
    assert count(runtime, Quarantine) == 0


# --- typed contacts are addresses, not citizens (issue 13) -------------------------------------


def typed(runtime, text, address, name="Penipu", at=T0, channel=Channel.WEB):
    """A web (or API) complaint whose citizen typed ``address`` and ``name`` on the form."""
    inbound = InboundMessage(
        channel=channel,
        provider="webform",
        external_id=f"form-key-{next(_ids):020d}",
        sender=address,
        sender_name=name,
        text=text,
        received_at=at,
        declared={"privacy": "public"},
    )
    with runtime.sessions.begin() as session:
        return store_record(session, normalize(inbound, runtime.rules), runtime)


def test_two_web_complaints_with_the_same_typed_phone_are_not_one_citizen(runtime):
    text = "Banjir di kampung Kala Segi, Kec. Bintang, rumah warga terendam"
    first = typed(runtime, text, ALI)
    second = typed(runtime, "kala segi banjir, puluhan rumah terendam air", ALI, name="Ali")
    assert first.created and second.created
    assert count(runtime, Contact) == 0  # nobody proved the number
    with runtime.sessions() as session:
        cases = session.scalars(select(Complaint).order_by(Complaint.id)).all()
        assert [c.contact_id for c in cases] == [None, None]
        assert [c.update_address for c in cases] == [ALI, ALI]
        assert [c.reporter_name for c in cases] == ["Penipu", "Ali"]
        # Compared as any two citizens' complaints are: a suggestion, never a join.
        (link,) = pending_suggestions(session)
        assert (link.master_id, link.complaint_id) == (cases[0].id, cases[1].id)


def test_a_typed_email_never_becomes_or_renames_a_contact(runtime):
    address = "warga.kenawat@example.co.id"
    with runtime.sessions.begin() as session:
        proven = contacts.get_or_create_contact(session, f"mailto:{address}")
    outcome = typed(runtime, "Sampah menumpuk di pasar Bebesen sejak Senin", f"mailto:{address}")
    with runtime.sessions() as session:
        complaint = store.complaint_by_tracking_id(session, outcome.tracking_id)
        assert complaint.contact_id is None
        assert complaint.update_address == f"mailto:{address}"
        assert session.get(Contact, proven.id).name == ""
    assert count(runtime, Contact) == 1


def test_an_sms_like_a_case_that_typed_its_number_is_someone_elses_duplicate(runtime):
    web = typed(runtime, "Banjir di kampung Kala Segi, Kec. Bintang, rumah warga terendam", ALI)
    sms = deliver(runtime, "kala segi banjir, puluhan rumah terendam air", at=T0 + timedelta(1))
    assert sms.created and sms.tracking_id != web.tracking_id
    assert format_tracking_id(web.tracking_id) not in outbox(runtime, ALI)[-1].body
    with runtime.sessions() as session:
        (link,) = pending_suggestions(session)
        assert session.get(Complaint, link.master_id).tracking_id == web.tracking_id
        assert session.get(Complaint, link.complaint_id).tracking_id == sms.tracking_id


def test_the_longest_typed_email_fits_its_column(runtime):
    # 254 characters, the most an address may have; "mailto:" makes it 261.
    address = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".id"
    assert len(address) == 254
    outcome = typed(runtime, "Sampah menumpuk di pasar Bebesen sejak Senin", f"mailto:{address}")
    with runtime.sessions() as session:
        complaint = store.complaint_by_tracking_id(session, outcome.tracking_id)
        assert complaint.update_address == f"mailto:{address}"


def test_a_typed_phone_is_sent_nothing_even_as_a_duplicates_follower(runtime):
    # Without an SMS channel a typed phone gets nothing: not its own case's news, nor, as a
    # confirmed follower, the master's. (With one it is told only that there is news and
    # where: tests/dispatcher/test_email_updates.py.)
    master = deliver(runtime, "Banjir di kampung Kala Segi, Kec. Bintang, rumah warga terendam")
    typed(runtime, "kala segi banjir, puluhan rumah terendam air", BUDI, at=T0 + timedelta(1))
    with runtime.sessions.begin() as session:
        (link,) = pending_suggestions(session)
        event = confirm_duplicate(session, link.id, actor="coordinator", now=T0)
        follower = session.get(Complaint, link.complaint_id)
        assert queue_status_notification(session, follower, event, runtime) == []
        case = store.complaint_by_tracking_id(session, master.tracking_id)
        apply_action(session, case, Action.VERIFY, actor="c", now=T0)
        event = apply_action(session, case, Action.DISPATCH, actor="c", now=T0, unit="bpbd")
        assert len(queue_status_notification(session, case, event, runtime)) == 1
        ali = contacts.contact_by_urn(session, ALI)
    assert {m.contact_id for m in outbox(runtime)} == {ali.id}
