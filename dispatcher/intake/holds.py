"""Holds: a record intake does not store yet, but keeps in the quarantine (the coordinator's
triage queue) for an operator.

The reasons: the sender is over the per-sender limit (SMS and WhatsApp; held messages count
towards it), triage found junk (spam, fraud, promo, chatter, an empty text) or is unsure,
or a new message is too thin to open a case. What the sender is told costs money, so: fraud,
promo and spam get no answer at all; everyone else is asked at most once per
SATUPINTU_TRIAGE_ASK_WINDOW ("please send details", or "too many messages"), however many
messages they send. An operator releases, rejects or marks spam (nothing is dropped).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from adapters.registry import channels_where
from casestore.complaints import inbound_message, replied_since
from casestore.contacts import Sender, sender_with_count
from casestore.db import Session
from casestore.models import Contact
from casestore.quarantine import held_since, mark_joined, quarantine_record, waiting_media
from casestore.vocabulary import HoldReason
from dispatcher.intake.outcome import StoreOutcome
from dispatcher.intake.replies import answer
from dispatcher.reply_policy import REPLY_CHANNELS
from dispatcher.runtime import Runtime
from dispatcher.similarity import low_information
from dispatcher.triage import verdict_for
from normalizer.records import ComplaintRecord, Intent
from normalizer.triage import SILENT_JUNK, Kind, Verdict
from normalizer.urns import redact_urn

log = logging.getLogger(__name__)

# Channels whose senders are held to SATUPINTU_SMS_RATE_LIMIT.
RATE_LIMITED_CHANNELS = channels_where(lambda spec: spec.rate_limited)
RATE_LIMITED_CHANNEL_VALUES = tuple(sorted(channel.value for channel in RATE_LIMITED_CHANNELS))
# What the sender is asked when a message is held (the rest are asked for details).
ASK = {HoldReason.RATE_LIMITED: "rate_limited"}
ASK_TEMPLATES = ("need_details", "rate_limited")
# Triage holds free-text channels, where anyone can send anything; a form's fields were
# checked one by one and its citizen already holds a tracking id.
TRIAGE_CHANNELS = REPLY_CHANNELS


def rate_window(record: ComplaintRecord, runtime: Runtime) -> datetime | None:
    """Where the rate limit's window for this record starts; None when the limit does not
    apply (it is off, another channel, no sender, or an opt-out: that always goes through).
    """
    limit = runtime.settings.sms_rate
    if limit is None or record.channel not in RATE_LIMITED_CHANNELS or not record.contact_urn:
        return None
    if record.intent is Intent.OPT_OUT:
        return None
    return record.received_at - timedelta(seconds=limit[1])


def over_rate_limit(
    session: Session, record: ComplaintRecord, runtime: Runtime, recent: int
) -> bool:
    """Whether this sender already sent the allowed number of messages in the window
    (``recent``: stored and held ones, counted from ``rate_window``). A provider retry goes
    through (the claim, or the quarantine's key, drops it)."""
    if recent < runtime.settings.sms_rate[0]:
        return False
    return inbound_message(session, record.channel.value, record.external_id) is None


def media_only(record: ComplaintRecord) -> bool:
    """A new message that is a photo (or video) and no words: it waits for its words."""
    return record.intent is Intent.NEW and bool(record.media) and not record.text.strip()


def too_thin(record: ComplaintRecord) -> str | None:
    """Why a new SMS/WhatsApp/tweet is too thin to open a case, or None.

    Only where the gateway can ask back: a web or API citizen already holds a tracking id,
    and their form was checked field by field.
    """
    if record.intent is not Intent.NEW or record.channel not in REPLY_CHANNELS:
        return None
    if media_only(record):
        return None
    return low_information(
        record.text,
        has_category=bool(record.category or record.category_candidates),
        has_place=bool(record.kecamatan_code or record.desa_code or record.location_candidates),
    )


def triage_of(record: ComplaintRecord, runtime: Runtime) -> Verdict | None:
    """The verdict on a record from a free-text channel (None elsewhere)."""
    if record.channel not in TRIAGE_CHANNELS:
        return None
    return verdict_for(record, runtime)


def screen(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    verdict: Verdict | None,
    *,
    check: bool = True,
) -> tuple[Sender, StoreOutcome | None]:
    """The record's sender (created on first sight), and the outcome of holding the record
    when it must wait for an operator (None: it goes on). ``check=False`` (a record an
    operator released) holds nothing."""
    since = rate_window(record, runtime) if check else None
    sender = sender_with_count(session, record, since, RATE_LIMITED_CHANNEL_VALUES)
    if not check:
        return sender, None
    recent = sender.recent
    if recent is not None and since is not None and not sender.created:
        recent += held_since(session, record.contact_urn, RATE_LIMITED_CHANNEL_VALUES, since)
    reason = _hold_reason(session, record, runtime, recent, verdict)
    if reason is None:
        return sender, None
    if not sender.created:
        # The photos its sender sent just before wait for these words: they are held with
        # them, so an operator's release opens the case with its photos (a new sender has none).
        record = join_waiting_media(session, record, runtime)
    return sender, hold(session, record, runtime, reason, sender.contact, verdict)


def join_waiting_media(
    session: Session, record: ComplaintRecord, runtime: Runtime
) -> ComplaintRecord:
    """The record with the photos its sender sent just before it and that still wait
    (dispatcher/intake/media.py: a photo and its words); those are marked joined."""
    if not record.text.strip() or not record.contact_urn:
        return record
    since = record.received_at - timedelta(seconds=runtime.settings.triage_media_wait)
    waiting = waiting_media(session, record.contact_urn, record.channel.value, since)
    if not waiting:
        return record
    media = []
    for held in waiting:
        held_record = ComplaintRecord.from_dict(held.record)
        media.extend(held_record.media)
        mark_joined(held)
    return dataclasses.replace(record, media=tuple(media) + tuple(record.media))


def _hold_reason(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    recent: int | None,
    verdict: Verdict | None,
) -> HoldReason | None:
    if recent is not None and over_rate_limit(session, record, runtime, recent):
        return HoldReason.RATE_LIMITED
    junk = verdict.junk_kind if verdict is not None and verdict.kind is Kind.JUNK else None
    if junk in SILENT_JUNK:
        return HoldReason(junk.value)
    if too_thin(record):  # a greeting or a few words: the reason operators know already
        return HoldReason.LOW_INFORMATION
    if junk is not None:
        return HoldReason(junk.value)
    if verdict is not None and verdict.kind is Kind.UNCERTAIN:
        return HoldReason.UNCERTAIN
    return None


def _silent(verdict: Verdict | None) -> bool:
    """Fraud, promo and spam, as triage saw them (an unsure verdict is still asked)."""
    return verdict is not None and verdict.kind is Kind.JUNK and verdict.junk_kind in SILENT_JUNK


def asked_recently(
    session: Session, contact: Contact, record: ComplaintRecord, runtime: Runtime
) -> bool:
    """Whether the sender was already asked (for details, or to slow down) in the window."""
    since = record.received_at - timedelta(seconds=runtime.settings.triage_ask_window)
    return any(replied_since(session, contact.id, t, since) for t in ASK_TEMPLATES)


def hold(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    reason: HoldReason,
    contact: Contact | None,
    verdict: Verdict | None = None,
) -> StoreOutcome:
    """Quarantine the record for an operator and, where it is worth an SMS, ask its sender
    (``contact``) once per window."""
    quarantine_record(session, record, reason, verdict.to_dict() if verdict else None)
    log.info(
        "held a %s message from %s: %s",
        record.channel.value,
        redact_urn(record.contact_urn),
        reason,
    )
    outcome = StoreOutcome(tracking_id=None, quarantined=True)
    if contact is None or reason is HoldReason.AWAITING_TEXT or _silent(verdict):
        return outcome
    if contact.id is not None and asked_recently(session, contact, record, runtime):
        return outcome
    answer(record, contact, None, ASK.get(reason, "need_details"), outcome)
    return outcome
