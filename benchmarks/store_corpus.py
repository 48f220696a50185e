"""A corpus of normalized records as intake meets them, for comparing the two store paths.

SMS, WhatsApp and X messages from new and known senders, JSON API and web form complaints
(parsed by their adapters, with the citizen's secret as the gateway attaches it), provider
retries, a sender's follow-up and second complaint, commands about earlier cases (CEK,
INFO, BATAL, STOP, MULAI, BANTUAN), ratings, junk and greetings, photos with and without
words, replies in a thread, and one sender flooding past the rate limit. Bodies come from
tests/fixtures/routing_corpus.csv in citizens' own words (tools/traffic.py). Deterministic
for a seed; times from ``start`` on, a few seconds apart.
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from adapters.api.handler import parse_complaint
from adapters.fields import IntakeRules, ServiceArea
from adapters.webform.handler import parse as parse_form
from casestore.complaints import sync_units
from casestore.models import Base
from normalizer import normalize
from normalizer.citizen_secret import derive_citizen_secret, hash_citizen_secret
from normalizer.records import Channel, ComplaintRecord, InboundMessage, Media
from tools.traffic import in_own_words, load_texts

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "routing_corpus.csv"
START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # a Monday, 09:00 WIB
JUNK = (
    "Selamat! Nomor anda menang undian 100 juta, klaim hadiah di bit.ly/hadiah123 hub 081234567890",
    "PROMO pulsa murah diskon 50% transfer sekarang ke 085212345678 www.pulsamurah.xyz",
    "halo",
    "p",
    "test",
    "selamat pagi pak",
)
COMMANDS = ("CEK {id}", "STATUS {id}", "INFO {id} masih belum ada perbaikan", "BATAL {id}")


def intake_rules(runtime: Any) -> IntakeRules:
    settings = runtime.settings
    return IntakeRules.build(
        runtime.places,
        runtime.categories,
        area=ServiceArea.parse(settings.service_area),
        max_description_chars=settings.max_description_chars,
        region=settings.default_region,
    )


def build_corpus(
    runtime: Any, count: int, *, seed: int = 22, start: datetime = START
) -> list[dict[str, Any]]:
    """About ``count`` records and a few retries, as the inbox holds them
    (``ComplaintRecord.to_dict()``)."""
    rng = random.Random(seed)
    texts = load_texts(CORPUS)
    rules = intake_rules(runtime)
    secret = runtime.settings.secret_key
    places = [p.code for p in runtime.places if p.level == 3]
    phones = [f"+62812{n:08d}" for n in rng.sample(range(10**7, 10**8), max(count // 3, 10))]
    at = start
    records: list[ComplaintRecord] = []
    out: list[dict[str, Any]] = []

    def add(record: ComplaintRecord) -> None:
        records.append(record)
        out.append(record.to_dict())

    def sms(sender: str, text: str, channel: Channel = Channel.SMS, **extra: Any) -> None:
        provider = "twilio" if channel is not Channel.SMS or rng.random() < 0.5 else "kannel"
        inbound = InboundMessage(
            channel=channel,
            provider=provider,
            external_id=f"SM{rng.getrandbits(128):032x}",
            sender=f"tel:{sender}",  # WhatsApp from a phone is the same tel: contact
            sender_name=rng.choice(("", "", "Budi", "Siti Aminah")),
            text=text,
            received_at=at,
            **extra,
        )
        add(normalize(inbound, runtime.rules))

    for _ in range(count):
        at += timedelta(seconds=rng.randrange(1, 40))
        roll = rng.random()
        text = in_own_words(rng, rng.choice(texts))
        earlier = [r for r in records if r.tracking_id and r.intent.value == "new"]
        if roll < 0.45:  # an SMS complaint, from a new or a known sender
            sms(rng.choice(phones), f"LAPOR {text}" if rng.random() < 0.1 else text)
        elif roll < 0.55:
            sms(rng.choice(phones), text, Channel.WHATSAPP)
        elif roll < 0.62:  # a sender repeats their complaint, or a neighbour reports it too
            if earlier:
                before = rng.choice(earlier[-30:])
                sender = before.contact_urn.removeprefix("tel:") if before.contact_urn else ""
                if sender.startswith("+") and rng.random() < 0.5:
                    sms(sender, before.text + " tolong segera")
                else:
                    sms(rng.choice(phones), before.text)
        elif roll < 0.70:  # the API, half of them with a typed phone
            key = str(uuid.UUID(int=rng.getrandbits(128)))
            body: dict[str, Any] = {"description": text, "language": "id"}
            if rng.random() < 0.6:
                body["kecamatan"] = rng.choice(places)
            if rng.random() < 0.5:
                body["contact"] = rng.choice(phones)
            body["privacy"] = rng.choices(("public", "anonymous", "confidential"), (80, 15, 5))[0]
            inbound = parse_complaint(body, key, rules, received_at=at)
            add(_with_secret(inbound, secret, runtime))
        elif roll < 0.76:  # the web form
            key = uuid.UUID(int=rng.getrandbits(128)).hex
            form = {"submission_key": key, "description": text, "privacy": "biasa"}
            if rng.random() < 0.7:
                form["kecamatan"] = rng.choice(places)
            inbound = parse_form(form, rules, received_at=at)
            add(_with_secret(inbound, secret, runtime))
        elif roll < 0.80:  # X: a mention, sometimes in a thread of ours
            thread = ()
            if earlier and rng.random() < 0.4:
                thread = (rng.choice(earlier).external_id,)
            inbound = InboundMessage(
                channel=Channel.TWITTER,
                provider="twitter",
                external_id=str(rng.randrange(10**18, 10**19)),
                sender=f"twitter:{rng.randrange(10**6, 10**6 + 400)}",
                sender_name="warga",
                text="@pemkab " + text,
                received_at=at,
                reply_to=str(rng.randrange(10**18, 10**19)),
                thread_ids=thread,
            )
            add(normalize(inbound, runtime.rules))
        elif roll < 0.85 and earlier:  # a command about an earlier case, by its sender
            before = rng.choice(earlier)
            command = rng.choice(COMMANDS).format(id=before.tracking_id)
            sender = before.contact_urn.removeprefix("tel:")
            sms(sender if sender.startswith("+") else rng.choice(phones), command)
        elif roll < 0.87:
            sms(rng.choice(phones), rng.choice(("STOP", "MULAI", "BANTUAN", "4", "5 mantap")))
        elif roll < 0.91:
            sms(rng.choice(phones), rng.choice(JUNK))
        elif roll < 0.93:  # a photo, with or without its words
            words = text if rng.random() < 0.5 else ""
            media = (
                Media(f"https://api.twilio.com/media/ME{rng.getrandbits(64):x}", "image/jpeg"),
            )
            sms(rng.choice(phones), words, Channel.WHATSAPP, media=media)
        elif roll < 0.94:  # one sender floods
            flooder = phones[0]
            for _ in range(24):
                at += timedelta(seconds=1)
                sms(flooder, in_own_words(rng, rng.choice(texts)))
        if out and rng.random() < 0.03:  # a provider retry of a recent message
            out.append(dict(rng.choice(out[-60:])))
    return out


def _with_secret(inbound: InboundMessage, secret: str, runtime: Any) -> ComplaintRecord:
    # As gateway/submission.py accept() does for a new complaint.
    raw = dict(inbound.raw)
    raw["citizen_secret_hash"] = hash_citizen_secret(
        derive_citizen_secret(inbound.idempotency_key, secret)
    )
    return normalize(dataclasses.replace(inbound, raw=raw), runtime.rules)


def batches(payloads: list[dict[str, Any]], size: int = 50) -> list[list[dict[str, Any]]]:
    """The corpus as a drain takes it: in order, ``size`` records a batch."""
    return [payloads[i : i + size] for i in range(0, len(payloads), size)]


def empty_store(runtime: Any) -> None:
    """Empty every table and restart the ids, as a fresh database has them; the units again."""
    tables = Base.metadata.sorted_tables
    with runtime.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(table.name for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())
            has_sequences = connection.execute(
                text("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
            ).first()
            if has_sequences:
                connection.execute(text("DELETE FROM sqlite_sequence"))
    with runtime.sessions.begin() as session:
        sync_units(session, runtime.units)
