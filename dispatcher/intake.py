"""store_record: one normalized record into the case store, in the caller's transaction.

Drops provider retries (the inbound message is unique on channel + external id), routes a
new complaint to exactly one owning unit, applies commands (CEK, INFO, BATAL, STOP...) and
queues the citizen's reply as an outbound message for a notify job.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from adapters.attachments import stored_file
from adapters.twitter import fits_in_tweet
from casestore import complaints as store
from casestore.attachments import add_attachments
from casestore.lifecycle import (
    OPEN_STATUSES,
    Action,
    Status,
    TransitionError,
    apply_action,
    start_clocks,
)
from casestore.models import Complaint, Contact, StatusEvent
from casestore.vocabulary import EventKind, HoldReason
from dispatcher.dedupe import Match, follow_up_target, suggest_master
from dispatcher.routing import route_complaint
from dispatcher.runtime import Runtime
from dispatcher.similarity import low_information
from normalizer.category import CategoryMatch
from normalizer.citizen_secret import is_secret_hash, secret_hash_matches
from normalizer.location import LocationMatch
from normalizer.records import Channel, ComplaintRecord, Intent, Privacy
from normalizer.replies import render_reply
from normalizer.tracking import derive_tracking_id, format_tracking_id
from normalizer.urns import redact_urn

log = logging.getLogger(__name__)

# Channels the gateway can answer on by itself; web and API citizens read the tracking page.
REPLY_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP, Channel.TWITTER})
# Channels whose replies anyone can read (a reply tweet): a confidential case is only
# ever told there that it arrived.
PUBLIC_REPLY_CHANNELS = frozenset({Channel.TWITTER})
# A channel's own length limit on top of the SMS budget every reply meets.
REPLY_LIMITS = {Channel.TWITTER: fits_in_tweet}
# Channels whose senders are held to SATUPINTU_SMS_RATE_LIMIT.
RATE_LIMITED_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP})
RATE_LIMITED_CHANNEL_VALUES = tuple(sorted(channel.value for channel in RATE_LIMITED_CHANNELS))


@dataclass
class StoreOutcome:
    tracking_id: str | None
    created: bool = False
    duplicate_delivery: bool = False
    outbound_ids: list[int] = field(default_factory=list)
    quarantined: bool = False
    # The complaint ``tracking_id`` names, when the handler had it in hand (saves a lookup);
    # an object of the caller's session, never part of a job's result.
    complaint: Complaint | None = field(default=None, repr=False, compare=False)


def store_record(
    session: Session, record: ComplaintRecord, runtime: Runtime, *, check_rate_limit: bool = True
) -> StoreOutcome:
    """Apply one record; a second delivery of the same message changes nothing.

    ``check_rate_limit=False`` is for a record an operator released from quarantine: it
    skips the holds (the rate limit and the low-information check).
    """
    # The sender is looked up once, with the rate limit's count when the limit applies.
    since = _rate_window(record, runtime) if check_rate_limit else None
    contact, recent = _sender(session, record, since)
    if since is not None and _over_rate_limit(session, record, runtime, recent):
        return _hold(session, record, runtime, HoldReason.RATE_LIMITED, contact)
    record = _thread_follow_up(session, record)
    # After the thread check: "ok, makasih" in reply to our tweet is a follow-up, not thin.
    if check_rate_limit and _low_information(record):
        return _hold_low_information(session, record, runtime, contact)
    first_contact = False  # a contact created just now has no cases to follow up
    if record.contact_urn:
        contact, first_contact = _ensure_contact(session, record, contact)
    inbound = store.claim_inbound(
        session,
        channel=record.channel.value,
        provider=record.provider,
        external_id=record.external_id,
        intent=record.intent.value,
        body=record.text,
        media=[
            {"url": m.url, "content_type": m.content_type, "size": m.size} for m in record.media
        ],
        reply_to=record.reply_to,
        received_at=record.received_at,
        raw=record.raw,
        contact_id=contact.id if contact is not None else None,
    )
    if inbound is None:
        earlier = store.inbound_message(session, record.channel.value, record.external_id)
        complaint = earlier.complaint if earlier else None
        return StoreOutcome(
            tracking_id=complaint.tracking_id if complaint else None, duplicate_delivery=True
        )

    if record.intent is Intent.NEW:
        outcome = _new(session, record, runtime, contact, first_contact=first_contact)
    else:
        outcome = _HANDLERS[record.intent](session, record, runtime, contact)
    if outcome.tracking_id:
        complaint = outcome.complaint
        if complaint is None or complaint.tracking_id != outcome.tracking_id:
            complaint = store.complaint_by_tracking_id(session, outcome.tracking_id)
        if complaint is not None and inbound.complaint_id is None:
            inbound.complaint_id = complaint.id
    return outcome


def _thread_follow_up(session: Session, record: ComplaintRecord) -> ComplaintRecord:
    """A new message in the thread of the sender's open case (a reply to our reply tweet)
    follows that case up. Only the store can tell whose thread it is, so the normalizer
    leaves it new; a reply in someone else's thread, or a closed case's, stays new.
    """
    if record.intent is not Intent.NEW or not record.thread_ids:
        return record
    complaint = store.complaint_in_thread(
        session, record.channel.value, record.thread_ids, record.contact_urn
    )
    if complaint is None or complaint.status not in OPEN_STATUSES:
        return record
    return dataclasses.replace(
        record, intent=Intent.FOLLOW_UP, target_tracking_id=complaint.tracking_id
    )


def _rate_window(record: ComplaintRecord, runtime: Runtime) -> datetime | None:
    """Where the rate limit's window for this record starts; None when the limit does not
    apply (it is off, another channel, no sender, or an opt-out: that always goes through).
    """
    limit = runtime.settings.sms_rate
    if limit is None or record.channel not in RATE_LIMITED_CHANNELS or not record.contact_urn:
        return None
    if record.intent is Intent.OPT_OUT:
        return None
    return record.received_at - timedelta(seconds=limit[1])


def _sender(
    session: Session, record: ComplaintRecord, since: datetime | None
) -> tuple[Contact | None, int]:
    """The sender's contact (None: not seen before) and, when ``since`` is given, how many
    messages it sent on the rate-limited channels after it; one query."""
    if not record.contact_urn:
        return None, 0
    if since is None:
        return store.contact_by_urn(session, record.contact_urn), 0
    return store.contact_with_inbound_count(
        session, record.contact_urn, since, RATE_LIMITED_CHANNEL_VALUES
    )


def _over_rate_limit(
    session: Session, record: ComplaintRecord, runtime: Runtime, recent: int
) -> bool:
    """Whether this sender already sent the allowed number of messages in the window
    (``recent``, counted by ``_sender`` from ``_rate_window``).

    The count is the case store's own (stored inbound messages), exact and with no state of
    its own; held messages are not stored, so at most the limit gets through per window. An
    opt-out always goes through (no window), and so does a provider retry (the claim drops
    it).
    """
    if recent < runtime.settings.sms_rate[0]:
        return False
    return store.inbound_message(session, record.channel.value, record.external_id) is None


def _ensure_contact(
    session: Session, record: ComplaintRecord, known: Contact | None
) -> tuple[Contact, bool]:
    """The sender's contact, created on first sight, and whether it was created just now.

    ``known`` is what ``_sender`` found (None: the sender had no contact then).
    """
    if known is not None:
        if record.contact_name and not known.name:
            known.name = record.contact_name
        return known, False
    contact = store.insert_contact(
        session, record.contact_urn, record.contact_name, record.language
    )
    if contact is not None:
        return contact, True
    # A concurrent message of the same sender created it first.
    contact = store.get_or_create_contact(
        session, record.contact_urn, record.contact_name, record.language
    )
    return contact, False


def _hold(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    reason: HoldReason,
    contact: Contact | None,
) -> StoreOutcome:
    """Quarantine the record for an operator; tell the sender once per window, not per message.

    ``contact`` is what ``_sender`` found.
    """
    store.quarantine_record(session, record.to_dict(), reason)
    log.info(
        "held a %s message from %s: %s",
        record.channel.value,
        redact_urn(record.contact_urn),
        reason,
    )
    outcome = StoreOutcome(tracking_id=None, quarantined=True)
    contact, _ = _ensure_contact(session, record, contact)
    since = record.received_at - timedelta(seconds=runtime.settings.sms_rate[1])
    if not store.replied_since(session, contact.id, reason, since):
        _reply(session, record, runtime, contact, None, reason, outcome)
    return outcome


def _route(record: ComplaintRecord, runtime: Runtime):  # -> RouteDecision
    category = CategoryMatch(
        code=record.category,
        score=1.0 if record.category else 0.0,
        ambiguous=bool(record.category_candidates),
        candidates=record.category_candidates,
    )
    location = LocationMatch(
        kecamatan_code=record.kecamatan_code,
        desa_code=record.desa_code,
        ambiguous=bool(record.location_candidates),
        candidates=record.location_candidates,
        matched=None,
    )
    return route_complaint(category, location, runtime.routing_rules, runtime.units)


def _stored_or_free_id(
    session: Session, record: ComplaintRecord, secret: str
) -> tuple[Complaint | None, str]:
    """The complaint already stored under the record's idempotency key (or None), and the
    tracking id a new one gets: the record's own, or the next derivation if another
    complaint holds it. One query answers both in the usual case."""
    found = store.complaints_by_key_or_tracking_id(
        session, record.idempotency_key, record.tracking_id
    )
    stored = next((c for c in found if c.idempotency_key == record.idempotency_key), None)
    tracking_id, attempt = record.tracking_id, 0
    taken = any(c.tracking_id == tracking_id for c in found)
    while taken:
        attempt += 1
        tracking_id = derive_tracking_id(record.idempotency_key, secret, attempt)
        taken = store.tracking_id_taken(session, tracking_id)
    return stored, tracking_id


def _new(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    contact: Contact | None,
    *,
    join: bool = True,
    first_contact: bool = False,
) -> StoreOutcome:
    """A new case, unless the record was stored before or repeats the contact's open case.

    ``first_contact``: the contact was created for this very message, so it has no case to
    follow up (saves the query).
    """
    existing, tracking_id = _stored_or_free_id(session, record, runtime.settings.secret_key)
    if existing is not None:
        return StoreOutcome(
            tracking_id=existing.tracking_id, duplicate_delivery=True, complaint=existing
        )
    # Only where the citizen can be told which case it joined: a web or API citizen already
    # holds this message's own tracking id, so theirs becomes a case (and may be suggested
    # as a duplicate below).
    joinable = join and record.channel in REPLY_CHANNELS and not first_contact
    match = follow_up_target(session, record, contact) if joinable else None
    if match is not None:
        return _join(session, record, runtime, contact, match)
    decision = _route(record, runtime)
    complaint = store.open_complaint(
        session,
        tracking_id=tracking_id,
        idempotency_key=record.idempotency_key,
        channel=record.channel.value,
        contact=contact,
        owner_unit=decision.unit,
        privacy=record.privacy.value,
        description=record.text,
        language=record.language,
        received_at=record.received_at,
        category=record.category,
        kecamatan_code=record.kecamatan_code,
        desa_code=record.desa_code,
        latitude=record.latitude,
        longitude=record.longitude,
        reply_to=record.reply_to,
    )
    complaint.citizen_secret_hash = _citizen_secret_hash(record)
    start_clocks(complaint, runtime.settings.timezone)
    store.add_event(session, complaint, EventKind.RECEIVED, to_status=Status.RECEIVED, note="")
    store.add_event(
        session,
        complaint,
        EventKind.ROUTED,
        reason=decision.reason,
        note=decision.explanation,
        public=False,
        data={"unit": decision.unit},
    )
    session.flush()
    suggest_master(
        session,
        complaint,
        now=record.received_at,
        include_same_contact=record.channel not in REPLY_CHANNELS,
    )
    _attach_files(session, complaint, record)
    outcome = StoreOutcome(tracking_id=tracking_id, created=True, complaint=complaint)
    template = "ack_confidential" if record.privacy is Privacy.CONFIDENTIAL else "ack"
    _reply(session, record, runtime, contact, complaint, template, outcome, key="ack")
    return outcome


def _join(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    contact: Contact | None,
    match: Match,
) -> StoreOutcome:
    """The contact repeats their open case: the message joins it, and they are told which.

    The event keeps the record, so an operator can split it off into a case of its own
    (``split_follow_up``) if the join was wrong.
    """
    complaint = match.complaint
    store.add_event(
        session,
        complaint,
        EventKind.FOLLOW_UP,
        reason="similar_text",
        note=f"Pesan baru dari pelapor yang sama digabung (kemiripan {match.score:.2f}).",
        public=False,
        data={"score": round(match.score, 3), "record": record.to_dict()},
    )
    _attach_files(session, complaint, record)
    outcome = StoreOutcome(tracking_id=complaint.tracking_id, complaint=complaint)
    _reply(session, record, runtime, contact, complaint, "joined_existing", outcome)
    return outcome


def split_follow_up(
    session: Session, event_id: int, runtime: Runtime, *, actor: str
) -> StoreOutcome:
    """Undo a join: the message of a ``follow_up`` event becomes a case of its own.

    The citizen is sent the new case's number: enqueue ``outbound_ids`` after the commit.
    """
    event = session.get(StatusEvent, event_id)
    if event is None or event.kind != EventKind.FOLLOW_UP or "record" not in (event.data or {}):
        raise TransitionError("Peristiwa itu bukan pesan yang digabung otomatis.")
    if event.data.get("split_into"):
        raise TransitionError("Pesan itu sudah dipisahkan menjadi aduan sendiri.")
    record = ComplaintRecord.from_dict(event.data["record"])
    contact = event.complaint.contact
    outcome = _new(session, record, runtime, contact, join=False)
    inbound = store.inbound_message(session, record.channel.value, record.external_id)
    new_case = outcome.complaint
    if inbound is not None and new_case is not None:
        inbound.complaint_id = new_case.id
    event.data = {**event.data, "split_into": outcome.tracking_id}
    store.add_event(
        session,
        event.complaint,
        EventKind.FOLLOW_UP_SPLIT,
        actor=actor,
        note=f"Pesan dipisahkan menjadi aduan {outcome.tracking_id}.",
        public=False,
        data={"event": event.id, "complaint": outcome.tracking_id},
    )
    return outcome


def _low_information(record: ComplaintRecord) -> str | None:
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


def _hold_low_information(
    session: Session, record: ComplaintRecord, runtime: Runtime, contact: Contact | None
) -> StoreOutcome:
    """Quarantine a greeting, a few words or spam, and ask the sender for the details.

    ``contact`` is what ``_sender`` found.
    """
    store.quarantine_record(session, record.to_dict(), HoldReason.LOW_INFORMATION)
    log.info("held a %s message as low information", record.channel.value)
    outcome = StoreOutcome(tracking_id=None, quarantined=True)
    if record.contact_urn:
        contact, _ = _ensure_contact(session, record, contact)
        _reply(session, record, runtime, contact, None, "need_details", outcome)
    return outcome


def _owned_target(
    session: Session, record: ComplaintRecord, contact: Contact | None
) -> Complaint | None:
    """The complaint a command names, only if this contact filed it (reveals nothing else).

    Web and API citizens may have no contact: they prove it with the complaint's secret code.
    """
    if not record.target_tracking_id:
        return None
    complaint = store.complaint_by_tracking_id(session, record.target_tracking_id)
    if complaint is None:
        return None
    if contact is not None and complaint.contact_id == contact.id:
        return complaint
    if secret_hash_matches(_citizen_secret_hash(record), complaint.citizen_secret_hash):
        return complaint
    return None


def _status_query(session, record, runtime, contact) -> StoreOutcome:
    outcome = StoreOutcome(tracking_id=None)
    if not record.target_tracking_id:
        _reply(session, record, runtime, contact, None, "help", outcome)
        return outcome
    complaint = _target_or_unknown(session, record, runtime, contact, outcome, open_only=False)
    if complaint is not None:
        _reply(session, record, runtime, contact, complaint, "status", outcome)
    return outcome


def _target_or_unknown(session, record, runtime, contact, outcome, *, open_only: bool):
    """The named complaint, or None after answering "unknown id" in words that reveal nothing."""
    complaint = _owned_target(session, record, contact)
    if complaint is None or (open_only and complaint.status not in OPEN_STATUSES):
        _reply(session, record, runtime, contact, None, "unknown_id", outcome)
        return None
    outcome.tracking_id, outcome.complaint = complaint.tracking_id, complaint
    return complaint


def _follow_up(session, record, runtime, contact) -> StoreOutcome:
    outcome = StoreOutcome(tracking_id=None)
    complaint = _target_or_unknown(session, record, runtime, contact, outcome, open_only=True)
    if complaint is None:
        return outcome
    # The citizen's words may name people: the event stays internal, the text is the message.
    store.add_event(session, complaint, EventKind.FOLLOW_UP, note="", public=False)
    _attach_files(session, complaint, record)
    outcome.outbound_ids.extend(_answer_resolution(session, complaint, record, runtime))
    _reply(session, record, runtime, contact, complaint, "follow_up_added", outcome)
    return outcome


def _withdraw(session, record, runtime, contact) -> StoreOutcome:
    outcome = StoreOutcome(tracking_id=None)
    complaint = _target_or_unknown(session, record, runtime, contact, outcome, open_only=True)
    if complaint is None:
        return outcome
    apply_action(
        session,
        complaint,
        Action.ARCHIVE,
        actor="citizen",
        now=record.received_at,
        reason="withdrawn",
        note="Dicabut oleh pelapor",
        tz=runtime.settings.timezone,
    )
    _reply(session, record, runtime, contact, complaint, "withdrawn", outcome)
    return outcome


def _opt_out(session, record, runtime, contact) -> StoreOutcome:
    outcome = StoreOutcome(tracking_id=None)
    if contact is not None and not contact.opted_out:
        # The confirmation goes out before the flag bites; nothing else will after it.
        _reply(session, record, runtime, contact, None, "opted_out", outcome)
        contact.opted_out = True
        contact.opted_out_at = record.received_at
    return outcome


def _opt_in(session, record, runtime, contact) -> StoreOutcome:
    outcome = StoreOutcome(tracking_id=None)
    if contact is not None:
        contact.opted_out = False
        contact.opted_out_at = None
        _reply(session, record, runtime, contact, None, "opted_in", outcome)
    return outcome


def _help(session, record, runtime, contact) -> StoreOutcome:
    outcome = StoreOutcome(tracking_id=None)
    _reply(session, record, runtime, contact, None, "help", outcome)
    return outcome


# Channels whose raw payload is built by our own gateway code, never copied from a provider:
# on SMS or Twitter a "citizen_secret_hash" field in raw would be the sender's to choose.
SECRET_CHANNELS = frozenset({Channel.WEB, Channel.API, Channel.OPEN311})


def _citizen_secret_hash(record: ComplaintRecord) -> str | None:
    """The hash of the secret a web/API citizen holds (new case) or showed (follow-up)."""
    if record.channel not in SECRET_CHANNELS:
        return None
    value = record.raw.get("citizen_secret_hash")
    return value if is_secret_hash(value) else None


def _attach_files(session: Session, complaint: Complaint, record: ComplaintRecord) -> None:
    """Rows for the files the record names (written under the data dir before submit)."""
    files = [f for f in (stored_file(m) for m in record.media) if f is not None]
    if files:
        add_attachments(session, complaint, files)


# A web/API citizen's answer to a resolution: satisfied closes it, not satisfied reopens it.
RESOLUTION_ACTIONS = {"accepted": Action.CLOSE, "rejected": Action.REOPEN}


def _answer_resolution(
    session: Session, complaint: Complaint, record: ComplaintRecord, runtime: Runtime
) -> list[int]:
    """Apply the answer; the ids of the status messages it queued (followers, other channels)."""
    action = RESOLUTION_ACTIONS.get(record.raw.get("resolution_answer", ""))
    if action is None or complaint.status != Status.RESOLVED:
        return []
    try:
        event = apply_action(
            session,
            complaint,
            action,
            actor="citizen",
            now=record.received_at,
            tz=runtime.settings.timezone,
        )
    except TransitionError as exc:
        # Past the answer window: the words stay on the case as a follow-up, nothing reopens.
        log.info("citizen answer to %s not applied: %s", complaint.tracking_id, exc)
        return []
    from dispatcher.notifications import queue_status_notification  # it imports this module

    return queue_status_notification(session, complaint, event, runtime)


_HANDLERS = {
    Intent.NEW: _new,
    Intent.STATUS_QUERY: _status_query,
    Intent.FOLLOW_UP: _follow_up,
    Intent.WITHDRAW: _withdraw,
    Intent.OPT_OUT: _opt_out,
    Intent.OPT_IN: _opt_in,
    Intent.HELP: _help,
}


def reply_values(runtime: Runtime, complaint: Complaint | None, language: str) -> dict[str, str]:
    """The placeholders every reply template may use."""
    if complaint is None:
        return {"track_url": runtime.public_url}
    unit = next((u for u in runtime.units if u.code == complaint.owner_unit), None)
    unit_name = (
        complaint.owner_unit if unit is None else (unit.name_en if language == "en" else unit.name)
    )
    shown = format_tracking_id(complaint.tracking_id)
    status_label = render_reply(runtime.replies, f"status.{complaint.status}", language)
    return {
        "tracking_id": shown,
        "track_url": f"{runtime.public_url}/track/{complaint.tracking_id}",
        "status": status_label,
        "unit": unit_name,
        "note": "",
    }


def _reply(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    contact: Contact | None,
    complaint: Complaint | None,
    template: str,
    outcome: StoreOutcome,
    key: str | None = None,
) -> None:
    if contact is None or record.channel not in REPLY_CHANNELS:
        return
    if contact.opted_out and template != "opted_in":
        return
    if (
        complaint is not None
        and complaint.privacy == Privacy.CONFIDENTIAL
        and record.channel in PUBLIC_REPLY_CHANNELS
    ):
        template = "received"
    body = render_reply(
        runtime.replies,
        template,
        record.language,
        fits_channel=REPLY_LIMITS.get(record.channel),
        **reply_values(runtime, complaint, record.language),
    )
    message = store.queue_reply(
        session,
        dedupe_key=f"{key or template}:{record.idempotency_key}",
        channel=record.channel.value,
        contact=contact,
        complaint=complaint,
        body=body,
        reply_to=record.reply_to or record.external_id,
        intent=template,
    )
    if message is not None:
        outcome.outbound_ids.append(message.id)
