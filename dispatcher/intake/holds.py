"""Holds: a record intake does not store yet, but keeps in the quarantine for an operator.

Two reasons: the sender is over the per-sender limit (SMS and WhatsApp), or a new message is
too thin to open a case (a greeting, a few words, promotional spam). Either way the sender
is asked (once per window for the rate limit) and an operator releases or rejects it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from adapters.registry import channels_where
from casestore.complaints import inbound_message, replied_since
from casestore.contacts import Sender, sender_with_count
from casestore.db import Session
from casestore.models import Contact
from casestore.quarantine import quarantine_record
from casestore.vocabulary import HoldReason
from dispatcher.intake.outcome import StoreOutcome
from dispatcher.intake.replies import answer
from dispatcher.reply_policy import REPLY_CHANNELS
from dispatcher.runtime import Runtime
from dispatcher.similarity import low_information
from normalizer.records import ComplaintRecord, Intent
from normalizer.urns import redact_urn

log = logging.getLogger(__name__)

# Channels whose senders are held to SATUPINTU_SMS_RATE_LIMIT.
RATE_LIMITED_CHANNELS = channels_where(lambda spec: spec.rate_limited)
RATE_LIMITED_CHANNEL_VALUES = tuple(sorted(channel.value for channel in RATE_LIMITED_CHANNELS))
# What the sender is asked when a message is held.
ASK = {HoldReason.RATE_LIMITED: "rate_limited", HoldReason.LOW_INFORMATION: "need_details"}


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
    (``recent``, counted from ``rate_window``).

    The count is the case store's own (stored inbound messages), exact and with no state of
    its own; held messages are not stored, so at most the limit gets through per window. A
    provider retry goes through (the claim drops it).
    """
    if recent < runtime.settings.sms_rate[0]:
        return False
    return inbound_message(session, record.channel.value, record.external_id) is None


def too_thin(record: ComplaintRecord) -> str | None:
    """Why a new SMS/WhatsApp/tweet is too thin to open a case, or None.

    Only where the gateway can ask back: a web or API citizen already holds a tracking id,
    and their form was checked field by field.
    """
    if record.intent is not Intent.NEW or record.channel not in REPLY_CHANNELS:
        return None
    return low_information(
        record.text,
        has_category=bool(record.category or record.category_candidates),
        has_place=bool(record.kecamatan_code or record.desa_code or record.location_candidates),
    )


def screen(
    session: Session, record: ComplaintRecord, runtime: Runtime, *, check: bool = True
) -> tuple[Sender, StoreOutcome | None]:
    """The record's sender (created on first sight), and the outcome of holding the record
    when it must wait for an operator (None: it goes on). ``check=False`` (a record an
    operator released) holds nothing."""
    since = rate_window(record, runtime) if check else None
    sender = sender_with_count(session, record, since, RATE_LIMITED_CHANNEL_VALUES)
    reason = _hold_reason(session, record, runtime, sender.recent) if check else None
    if reason is None:
        return sender, None
    return sender, hold(session, record, runtime, reason, sender.contact)


def _hold_reason(
    session: Session, record: ComplaintRecord, runtime: Runtime, recent: int | None
) -> HoldReason | None:
    if recent is not None and over_rate_limit(session, record, runtime, recent):
        return HoldReason.RATE_LIMITED
    if too_thin(record):
        return HoldReason.LOW_INFORMATION
    return None


def hold(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    reason: HoldReason,
    contact: Contact | None,
) -> StoreOutcome:
    """Quarantine the record for an operator and ask its sender (``contact``). Over the rate
    limit the sender is told once per window, not per message."""
    quarantine_record(session, record, reason)
    log.info(
        "held a %s message from %s: %s",
        record.channel.value,
        redact_urn(record.contact_urn),
        reason,
    )
    outcome = StoreOutcome(tracking_id=None, quarantined=True)
    if contact is None:
        return outcome
    if reason is HoldReason.RATE_LIMITED:
        since = record.received_at - timedelta(seconds=runtime.settings.sms_rate[1])
        if replied_since(session, contact.id, ASK[reason], since):
            return outcome
    answer(record, contact, None, ASK[reason], outcome)
    return outcome
