"""InboundMessage -> ComplaintRecord: intent, tracking id, cleaned text, language, place, topic.

Pure: everything it needs (the secret, keyword sets, categories, the gazetteer index) arrives
in ``Rules``, loaded once by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from config.reference import Category
from normalizer.category import classify
from normalizer.keywords import KeywordSet, parse_command
from normalizer.language import guess_language
from normalizer.location import LocationIndex, find_location
from normalizer.records import (
    IDENTITY_CHANNELS,
    Channel,
    ComplaintRecord,
    InboundMessage,
    Intent,
    Privacy,
)
from normalizer.text import clean_text
from normalizer.tracking import derive_tracking_id

# Channels where the citizen types commands into free text (CEK, INFO, BATAL, STOP...).
COMMAND_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP, Channel.TWITTER})


@dataclass(frozen=True)
class Rules:
    """What normalizing needs besides the message; built once per process."""

    secret: str
    keywords: KeywordSet
    categories: Sequence[Category]
    places: LocationIndex
    max_text_chars: int = 5_000


def normalize(inbound: InboundMessage, rules: Rules) -> ComplaintRecord:
    """Interpret one inbound message; never raises for odd text (that is the citizen's)."""
    text = clean_text(inbound.text, rules.max_text_chars)
    declared = inbound.declared
    proven = inbound.channel in IDENTITY_CHANNELS  # else the sender is only what was typed
    intent, target, confidential = Intent.NEW, None, False
    if inbound.channel in COMMAND_CHANNELS:
        command = parse_command(text, rules.keywords)
        intent, target, confidential = command.intent, command.tracking_id, command.confidential
        text = command.text
    elif declared.get("intent") == Intent.FOLLOW_UP and declared.get("target_tracking_id"):
        # Forms and APIs say outright that this adds to a complaint (proved by its secret).
        intent, target = Intent.FOLLOW_UP, declared["target_tracking_id"]
    privacy = Privacy(declared.get("privacy") or Privacy.PUBLIC)
    if confidential:
        privacy = Privacy.CONFIDENTIAL

    category = declared.get("category") or None
    kecamatan, desa = declared.get("kecamatan_code") or None, declared.get("desa_code") or None
    category_candidates: tuple[str, ...] = ()
    location_candidates: tuple[str, ...] = ()
    if intent is Intent.NEW:
        if category is None:
            topic = classify(text, rules.categories)
            category = None if topic.ambiguous else topic.code
            category_candidates = topic.candidates if topic.ambiguous else ()
        if kecamatan is None and desa is None:
            place = find_location(text, rules.places)
            kecamatan, desa = place.kecamatan_code, place.desa_code
            location_candidates = place.candidates if place.ambiguous else ()

    return ComplaintRecord(
        idempotency_key=inbound.idempotency_key,
        tracking_id=derive_tracking_id(inbound.idempotency_key, rules.secret),
        intent=intent,
        channel=inbound.channel,
        provider=inbound.provider,
        external_id=inbound.external_id,
        contact_urn=inbound.sender if proven else "",
        update_address="" if proven else inbound.sender,
        contact_name=clean_text(inbound.sender_name, 120),
        text=text,
        language=declared.get("language") or guess_language(text),
        privacy=privacy,
        received_at=inbound.received_at,
        target_tracking_id=target,
        category=category,
        kecamatan_code=kecamatan,
        desa_code=desa,
        category_candidates=category_candidates,
        location_candidates=location_candidates,
        latitude=inbound.latitude,
        longitude=inbound.longitude,
        media=inbound.media,
        reply_to=inbound.reply_to,
        thread_ids=inbound.thread_ids,
        raw=inbound.raw,
    )
