"""Triage at intake, through store_record on the real store: junk waits in the triage queue
with its verdict and never becomes an agency's case; answers cost money (fraud and promo get
none, a sender is asked for details once per window, held messages count towards the rate
limit); a photo waits for its text, joins it, or becomes a case that asks what it shows.
The clock moves as in the other intake tests: through the records' received_at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from adapters.attachments import Upload, store_uploads
from casestore.models import Attachment, Complaint, Message, Quarantine, StatusEvent, utcnow
from casestore.vocabulary import EventKind
from dispatcher.intake import store_record
from dispatcher.intake.media_sweep import settle_waiting_media
from normalizer import normalize
from normalizer.records import Channel, InboundMessage, Media

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB
PHONE = "tel:+6281290000777"
COMPLAINT = "jalan di kampung Kenawat rusak parah, lubang dimana2, tolong diperbaiki pak"


def stored_media(runtime, data: bytes) -> Media:
    """A photo as the media download leaves it: a file under the data dir."""
    jpeg = b"\xff\xd8\xff\xe0" + data
    return store_uploads([Upload("foto.jpg", "image/jpeg", jpeg)], runtime.settings.data_dir)[0]


def sms(runtime, n, text, *, at=T0, sender=PHONE, media=(), channel=Channel.SMS):
    inbound = InboundMessage(
        channel=channel,
        provider="twilio",
        external_id=f"SM{n:032d}",
        sender=sender,
        text=text,
        received_at=at,
        media=tuple(media),
    )
    return normalize(inbound, runtime.rules)


def store(runtime, record):
    with runtime.sessions.begin() as session:
        return store_record(session, record, runtime)


def count(runtime, model, *where) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def replies(runtime, intent=None) -> int:
    where = [Message.direction == "out"]
    if intent:
        where.append(Message.intent == intent)
    return count(runtime, Message, *where)


JUNK = [
    ("fraud", "mama lg di kantor polisi, tlg kirim pulsa 100rb ke nomor ini dulu ya penting"),
    (
        "fraud",
        "Selamat anda mendapatkan hadiah Rp 175.000.000 dari undian. Info hub 0852-3377-1855",
    ),
    ("promo", "Promo sd 30 Nov! Kuota 30GB cuma Rp25rb. Ketik REG INTERNET30 kirim ke 1234"),
    ("promo", "Pinjaman dana cepat cair tanpa jaminan s/d 20jt, hub WA 0856-7788-9900"),
    ("spam", "https://bit.ly/3xYz9Qw"),
    ("spam", "U2VsYW1hdCBBbmRhIG1lbmRhcGF0a2FuIGhhZGlhaA=="),
]


@pytest.mark.parametrize(("kind", "text"), JUNK)
def test_fraud_promo_and_spam_wait_in_the_queue_without_a_case_or_a_reply(runtime, kind, text):
    outcome = store(runtime, sms(runtime, 1, text))
    assert outcome.quarantined and outcome.tracking_id is None
    assert count(runtime, Complaint) == 0
    assert replies(runtime) == 0  # answering confirms a live number to a scammer
    with runtime.sessions() as session:
        held = session.scalars(select(Quarantine)).one()
    assert held.reason == kind
    assert held.triage["kind"] == "junk" and held.triage["junk_kind"] == kind
    assert held.record["text"]  # nothing dropped: the whole record waits for an operator


def test_a_complaint_becomes_a_case_routed_with_its_reasons(runtime):
    outcome = store(runtime, sms(runtime, 1, COMPLAINT))
    assert outcome.created
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint)).one()
        routed = session.scalars(
            select(StatusEvent).where(StatusEvent.kind == EventKind.ROUTED)
        ).one()
    assert case.owner_unit == "dinas-pupr" and case.category == "jalan"
    assert routed.data["triage"]["kind"] == "complaint"
    assert routed.data["category_confidence"] >= 0.2
    assert "Triase: complaint" in routed.note and "Dinas Pekerjaan Umum" in routed.note


def test_an_unclear_category_goes_to_the_coordinator_never_a_guessed_unit(runtime):
    text = "tolong pak, sudah 3 minggu begini terus di kampung kami, kapan diperbaiki?"
    outcome = store(runtime, sms(runtime, 1, text))
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint)).one_or_none()
    if outcome.quarantined:  # triage was unsure it is a complaint at all: the queue
        assert case is None
    else:
        assert case.owner_unit == runtime.coordinator


def test_twenty_five_greetings_from_one_phone_get_at_most_one_reply(runtime):
    runtime.settings = runtime.settings.replace(sms_rate_limit="5/3600")
    for n in range(25):
        store(runtime, sms(runtime, n, "halo", at=T0 + timedelta(minutes=n)))
    assert count(runtime, Complaint) == 0
    assert count(runtime, Quarantine) == 25
    assert replies(runtime) == 1


def test_held_messages_count_towards_the_rate_limit(runtime):
    runtime.settings = runtime.settings.replace(sms_rate_limit="3/3600")
    for n in range(3):  # three fraud messages: held, none stored as inbound
        store(runtime, sms(runtime, n, JUNK[0][1] + f" {n}", at=T0 + timedelta(minutes=n)))
    outcome = store(runtime, sms(runtime, 9, COMPLAINT, at=T0 + timedelta(minutes=5)))
    assert outcome.quarantined and count(runtime, Complaint) == 0
    with runtime.sessions() as session:
        reasons = [q.reason for q in session.scalars(select(Quarantine).order_by(Quarantine.id))]
    assert reasons == ["fraud", "fraud", "fraud", "rate_limited"]


def test_chatter_is_asked_for_details_once_per_window(runtime):
    # Replies are stamped with the wall clock, so this window starts now.
    now = utcnow()
    store(runtime, sms(runtime, 1, "selamat pagi pak", at=now))
    store(runtime, sms(runtime, 2, "p", at=now + timedelta(minutes=3)))
    assert replies(runtime, "need_details") == 1
    window = timedelta(seconds=runtime.settings.triage_ask_window)
    store(runtime, sms(runtime, 3, "halo?", at=now + window + timedelta(minutes=5)))
    assert replies(runtime, "need_details") == 2


# --- media and its text -------------------------------------------------------------------


def test_a_photo_waits_for_its_text_and_joins_it(runtime):
    photo = stored_media(runtime, b"photo-1")
    held = store(runtime, sms(runtime, 1, "", media=[photo]))
    assert held.quarantined and replies(runtime) == 0  # no question yet: the text may follow
    outcome = store(runtime, sms(runtime, 2, COMPLAINT, at=T0 + timedelta(minutes=1)))
    assert outcome.created
    assert count(runtime, Attachment) == 1
    with runtime.sessions() as session:
        waiting = session.scalars(select(Quarantine)).one()
    assert waiting.resolution == "joined"


def test_three_photos_and_a_text_are_one_case_with_three_attachments(runtime):
    for n in range(3):
        photo = stored_media(runtime, f"photo-{n}".encode())
        store(runtime, sms(runtime, n, "", media=[photo], at=T0 + timedelta(seconds=10 * n)))
    store(runtime, sms(runtime, 9, COMPLAINT, at=T0 + timedelta(seconds=40)))
    assert count(runtime, Complaint) == 1
    assert count(runtime, Attachment) == 3


def test_a_photo_with_no_text_after_the_wait_becomes_a_case_that_asks_for_details(runtime):
    store(runtime, sms(runtime, 1, "", media=[stored_media(runtime, b"lonely")]))
    wait = timedelta(seconds=runtime.settings.triage_media_wait)
    assert settle_waiting_media(runtime, T0 + wait / 2) == []  # still waiting
    outbound = settle_waiting_media(runtime, T0 + wait + timedelta(seconds=1))
    assert len(outbound) == 1
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint)).one()
        asked = session.get(Message, outbound[0])
    assert case.owner_unit == runtime.coordinator
    assert count(runtime, Attachment) == 1
    assert asked.intent == "ack_photo" and case.tracking_id[:5] in asked.body
    assert settle_waiting_media(runtime, T0 + 3 * wait) == []  # once


def test_a_photo_after_a_complaint_is_attached_to_that_complaint(runtime):
    first = store(runtime, sms(runtime, 1, COMPLAINT))
    later = sms(runtime, 2, "", media=[stored_media(runtime, b"after")])
    later = later.__class__.from_dict({**later.to_dict(), "received_at": (
        T0 + timedelta(minutes=20)).isoformat()})  # fmt: skip
    outcome = store(runtime, later)
    assert outcome.tracking_id == first.tracking_id and not outcome.quarantined
    assert count(runtime, Complaint) == 1 and count(runtime, Attachment) == 1
    assert replies(runtime, "follow_up_added") == 1


def test_a_released_junk_message_becomes_a_case_and_is_answered(runtime):
    from dispatcher import abuse

    store(runtime, sms(runtime, 1, JUNK[2][1]))
    with runtime.sessions() as session:
        held_id = session.scalars(select(Quarantine.id)).one()
    outcome = abuse.release(runtime, held_id, "koordinator")
    assert outcome.created and replies(runtime, "ack") == 1


def test_a_photo_whose_text_is_held_goes_with_it_and_reaches_the_released_case(runtime):
    """The photo waits, its words are held (a greeting the coordinator must look at): the
    photo is held with the words, not swept into a case of its own, and the operator's
    release opens one case with the photo attached."""
    from dispatcher import abuse

    store(runtime, sms(runtime, 1, "", media=[stored_media(runtime, b"held-photo")]))
    held = store(runtime, sms(runtime, 2, "halo pak, ini fotonya", at=T0 + timedelta(minutes=1)))
    assert held.quarantined and held.tracking_id is None
    with runtime.sessions() as session:
        rows = session.scalars(select(Quarantine).order_by(Quarantine.id)).all()
        photo_id, text_id = rows[0].id, rows[1].id
        assert rows[0].resolution == "joined" and rows[1].resolution is None
        assert len(rows[1].record["media"]) == 1
    wait = timedelta(seconds=runtime.settings.triage_media_wait)
    assert settle_waiting_media(runtime, T0 + 3 * wait) == []  # the photo is not its own case
    outcome = abuse.release(runtime, text_id, "koordinator")
    assert outcome.created
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint)).one()
        files = session.scalars(select(Attachment).where(Attachment.complaint_id == case.id))
        assert len(files.all()) == 1
    assert count(runtime, Complaint) == 1
    with runtime.sessions() as session:
        assert session.get(Quarantine, photo_id).resolution == "joined"


def test_media_items_are_kept_in_the_record_order(runtime):
    media = [
        Media(url=f"https://api.twilio.com/m/{n}", content_type="image/jpeg") for n in range(3)
    ]
    record = sms(runtime, 1, COMPLAINT, media=media)
    outcome = store(runtime, record)
    assert outcome.created
