"""Junk through the real SMS webhook and a real worker: no case at any agency, no SMS back to
fraud or promo (the fake Twilio API counts what was sent), chatter asked once; a photo and
then its text, as Twilio posts them, become one case carrying the photo.
"""

from __future__ import annotations

from sqlalchemy import func, select

from casestore.models import Complaint, Message, Quarantine

JUNK = [
    ("fraud", "Ma ini aku, hp ku rusak pake nomor temen. tlg isiin pulsa 50rb ke no ini ya"),
    ("fraud", "papa lagi di kantor polisi, transfer 2jt ke rek BRI 0123 4567 8901 sekarang"),
    ("fraud", "SELAMAT! No Anda pemenang undian hadiah mobil. Info klik bit.ly/undian-shp"),
    ("promo", "Promo sd 30 Nov! Kuota 30GB hanya Rp25rb. Ketik REG INTERNET30 kirim ke 1234"),
    ("promo", "Butuh dana? Pinjol resmi OJK, cair 5 menit, cukup KTP. Daftar di dana-cepat.id"),
    ("spam", "https://tinyurl.com/y4k8m2pz"),
    ("spam", "U2VsYW1hdCBBbmRhIG1lbmRhcGF0a2FuIGhhZGlhaA=="),
]


def message(twilio, n: int, body: str, fixture: str = "sms_basic", sender: str = ""):
    sid = f"SM{n:032x}"
    values = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "Body": body}
    if sender:
        values["From"] = sender
    return [(k, values.get(k, v)) for k, v in twilio.params(fixture)]


def count(runtime, model, *where) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_junk_through_the_webhook_reaches_no_agency_and_gets_no_reply(
    twilio, runtime, work, fake_twilio
):
    for n, (_, body) in enumerate(JUNK):
        sender = f"+62812000{n:05d}"
        assert twilio.post(message(twilio, n, body, sender=sender)).status_code == 200
    work()
    assert count(runtime, Complaint) == 0
    assert fake_twilio.sent() == []
    with runtime.sessions() as session:
        held = {q.record["text"]: q.reason for q in session.scalars(select(Quarantine))}
    assert [held[body] for _, body in JUNK] == [kind for kind, _ in JUNK]


def test_greetings_are_asked_for_details_once(twilio, runtime, work, fake_twilio):
    for n in range(25):
        twilio.post(message(twilio, n, "assalamualaikum" if n % 2 else "halo"))
    work()
    assert count(runtime, Complaint) == 0 and count(runtime, Quarantine) == 25
    assert len(fake_twilio.sent()) == 1
    assert "lebih lengkap" in fake_twilio.sent()[0]["body"]


def test_a_complaint_through_the_webhook_is_routed_to_its_unit(twilio, runtime, work):
    body = "Lampu jalan di Kampung Kenawat Kec. Lut Tawar mati semua sejak seminggu, gelap"
    twilio.post(message(twilio, 1, body))
    work()
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint)).one()
    assert case.owner_unit == "dinas-perkim"
    assert count(runtime, Message, Message.direction == "out", Message.intent == "ack") == 1


def test_a_photo_then_its_text_become_one_case(twilio, runtime, work):
    photo = [(k, v) for k, v in twilio.params("sms_media_empty_body")]
    assert twilio.post(photo).status_code == 200
    work()
    assert count(runtime, Complaint) == 0  # waiting for its words
    text = "Sampah menumpuk di pinggir jalan Asir Asir sudah seminggu tidak diangkut"
    twilio.post(message(twilio, 7, text))
    work()
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint)).one()
        waited = session.scalars(select(Quarantine)).one()
    assert waited.resolution == "joined"
    assert case.category == "sampah"
    with runtime.sessions() as session:
        inbound = session.scalars(
            select(Message).where(Message.direction == "in", Message.complaint_id == case.id)
        ).one()
    assert len(inbound.media) == 1  # the photo travelled with its text
