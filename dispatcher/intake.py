"""store_record: one normalized record into the case store, in the caller's transaction.

Drops provider retries (the inbound message is unique on channel + external id), routes a
new complaint to exactly one owning unit, applies commands (CEK, INFO, BATAL, STOP...) and
queues the citizen's reply as an outbound message for a notify job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from casestore import complaints as store
from casestore.lifecycle import OPEN_STATUSES, Status
from casestore.models import Complaint, Contact
from dispatcher.routing import route_complaint
from dispatcher.runtime import Runtime
from normalizer.category import CategoryMatch
from normalizer.location import LocationMatch
from normalizer.records import Channel, ComplaintRecord, Intent, Privacy
from normalizer.replies import render_reply
from normalizer.tracking import derive_tracking_id, format_tracking_id

log = logging.getLogger(__name__)

# Channels the gateway can answer on by itself; web and API citizens read the tracking page.
REPLY_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP, Channel.TWITTER})


@dataclass
class StoreOutcome:
    tracking_id: str | None
    created: bool = False
    duplicate_delivery: bool = False
    outbound_ids: list[int] = field(default_factory=list)


def store_record(session: Session, record: ComplaintRecord, runtime: Runtime) -> StoreOutcome:
    """Apply one record; a second delivery of the same message changes nothing."""
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
    )
    if inbound is None:
        earlier = store.inbound_message(session, record.channel.value, record.external_id)
        complaint = earlier.complaint if earlier else None
        return StoreOutcome(
            tracking_id=complaint.tracking_id if complaint else None, duplicate_delivery=True
        )

    contact = None
    if record.contact_urn:
        contact = store.get_or_create_contact(
            session, record.contact_urn, record.contact_name, record.language
        )
        inbound.contact_id = contact.id
    handler = _HANDLERS[record.intent]
    outcome = handler(session, record, runtime, contact)
    if outcome.tracking_id:
        complaint = store.complaint_by_tracking_id(session, outcome.tracking_id)
        if complaint is not None and inbound.complaint_id is None:
            inbound.complaint_id = complaint.id
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


def _free_tracking_id(session: Session, record: ComplaintRecord, secret: str) -> str:
    """The record's tracking id, or the next derivation if another complaint holds it."""
    tracking_id, attempt = record.tracking_id, 0
    while store.tracking_id_taken(session, tracking_id):
        attempt += 1
        tracking_id = derive_tracking_id(record.idempotency_key, secret, attempt)
    return tracking_id


def _new(
    session: Session, record: ComplaintRecord, runtime: Runtime, contact: Contact | None
) -> StoreOutcome:
    existing = store.complaint_by_key(session, record.idempotency_key)
    if existing is not None:
        return StoreOutcome(tracking_id=existing.tracking_id, duplicate_delivery=True)
    decision = _route(record, runtime)
    tracking_id = _free_tracking_id(session, record, runtime.settings.secret_key)
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
    store.add_event(session, complaint, "received", to_status=Status.RECEIVED, note="")
    store.add_event(
        session,
        complaint,
        "routed",
        reason=decision.reason,
        note=decision.explanation,
        public=False,
        data={"unit": decision.unit},
    )
    session.flush()
    outcome = StoreOutcome(tracking_id=tracking_id, created=True)
    template = "ack_confidential" if record.privacy is Privacy.CONFIDENTIAL else "ack"
    _reply(session, record, runtime, contact, complaint, template, outcome, key="ack")
    return outcome


def _owned_target(
    session: Session, record: ComplaintRecord, contact: Contact | None
) -> Complaint | None:
    """The complaint a command names, only if this contact filed it (reveals nothing else)."""
    if not record.target_tracking_id or contact is None:
        return None
    complaint = store.complaint_by_tracking_id(session, record.target_tracking_id)
    if complaint is None or complaint.contact_id != contact.id:
        return None
    return complaint


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
    outcome.tracking_id = complaint.tracking_id
    return complaint


def _follow_up(session, record, runtime, contact) -> StoreOutcome:
    outcome = StoreOutcome(tracking_id=None)
    complaint = _target_or_unknown(session, record, runtime, contact, outcome, open_only=True)
    if complaint is None:
        return outcome
    # The citizen's words may name people: the event stays internal, the text is the message.
    store.add_event(session, complaint, "follow_up", note="", public=False)
    _reply(session, record, runtime, contact, complaint, "follow_up_added", outcome)
    return outcome


def _withdraw(session, record, runtime, contact) -> StoreOutcome:
    outcome = StoreOutcome(tracking_id=None)
    complaint = _target_or_unknown(session, record, runtime, contact, outcome, open_only=True)
    if complaint is None:
        return outcome
    store.add_event(
        session,
        complaint,
        "status",
        to_status=Status.ARCHIVED,
        actor="citizen",
        reason="withdrawn",
        note="Dicabut oleh pelapor",
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
    body = render_reply(
        runtime.replies,
        template,
        record.language,
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
        session.flush()
        outcome.outbound_ids.append(message.id)
