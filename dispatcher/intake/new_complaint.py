"""A new complaint: a case of its own, routed to one owner, or a join of the sender's open
case that it repeats; and ``split_follow_up``, which undoes a wrong join."""

from __future__ import annotations

from casestore import complaints as cases
from casestore.db import Session
from casestore.lifecycle import TransitionError
from casestore.models import Contact
from casestore.vocabulary import EventKind
from dispatcher.address_replies import greet_typed_address
from dispatcher.dedupe import Match, follow_up_target, suggest_master
from dispatcher.intake.evidence import attach_files, citizen_secret_hash
from dispatcher.intake.outcome import StoreOutcome
from dispatcher.intake.replies import answer, send_answers
from dispatcher.reply_policy import REPLY_CHANNELS
from dispatcher.runtime import Runtime
from dispatcher.triage import route_record
from normalizer.records import ComplaintRecord, Privacy
from normalizer.triage import Verdict


def new_case(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    contact: Contact | None,
    *,
    join: bool = True,
    first_contact: bool = False,
    verdict: Verdict | None = None,
    template: str = "",
) -> StoreOutcome:
    """A new case, unless the record was stored before or repeats the contact's open case.

    ``first_contact``: the contact was created for this very message, so it has no case to
    follow up (saves the query). ``verdict`` is triage's (kept on the routing event);
    ``template`` replaces the acknowledgement.
    """
    existing, tracking_id = cases.stored_or_free_id(session, record, runtime.settings.secret_key)
    if existing is not None:
        return StoreOutcome(
            tracking_id=existing.tracking_id, duplicate_delivery=True, complaint=existing
        )
    # Only where the citizen can be told which case it joined: a web or API citizen already
    # holds this message's own tracking id, so theirs becomes a case (and may be suggested
    # as a duplicate below). ``contact`` is a proven sender only (issue 13): a number typed
    # on a form never makes an SMS join that form's case.
    joinable = join and record.channel in REPLY_CHANNELS and not first_contact
    match = follow_up_target(session, record, contact) if joinable else None
    if match is not None:
        return _join(session, record, runtime, contact, match)
    record, routing = route_record(record, runtime, verdict)
    secret_hash = citizen_secret_hash(record)
    complaint = cases.open_case(
        session,
        record,
        tracking_id=tracking_id,
        contact=contact,
        routing=routing,
        tz=runtime.settings.timezone,
        citizen_secret_hash=secret_hash,
    )
    suggest_master(session, complaint, now=record.received_at)
    attach_files(session, complaint, record)
    outcome = StoreOutcome(tracking_id=tracking_id, created=True, complaint=complaint)
    if not template:
        template = "ack_confidential" if record.privacy is Privacy.CONFIDENTIAL else "ack"
    answer(record, contact, complaint, template, outcome, key="ack")
    if contact is None:  # a typed address: the email's acknowledgement, the phone's code
        outcome.outbound_ids.extend(greet_typed_address(session, complaint, runtime))
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
    cases.add_event(
        session,
        complaint,
        EventKind.FOLLOW_UP,
        reason="similar_text",
        note=f"Pesan baru dari pelapor yang sama digabung (kemiripan {match.score:.2f}).",
        public=False,
        data={"score": round(match.score, 3), "record": record.to_dict()},
    )
    attach_files(session, complaint, record)
    outcome = StoreOutcome(tracking_id=complaint.tracking_id, complaint=complaint)
    answer(record, contact, complaint, "joined_existing", outcome)
    return outcome


def split_follow_up(
    session: Session, event_id: int, runtime: Runtime, *, actor: str
) -> StoreOutcome:
    """Undo a join: the message of a ``follow_up`` event becomes a case of its own.

    The citizen is sent the new case's number: enqueue ``outbound_ids`` after the commit.
    """
    event = cases.event_by_id(session, event_id)
    if event is None or event.kind != EventKind.FOLLOW_UP or "record" not in (event.data or {}):
        raise TransitionError("Peristiwa itu bukan pesan yang digabung otomatis.")
    if event.data.get("split_into"):
        raise TransitionError("Pesan itu sudah dipisahkan menjadi aduan sendiri.")
    record = ComplaintRecord.from_dict(event.data["record"])
    contact = event.complaint.contact
    outcome = new_case(session, record, runtime, contact, join=False)
    send_answers(session, record, runtime, contact, outcome)
    inbound = cases.inbound_message(session, record.channel.value, record.external_id)
    if inbound is not None and outcome.complaint is not None:
        cases.file_under(inbound, outcome.complaint)
    cases.mark_split(event, outcome.tracking_id or "")
    cases.add_event(
        session,
        event.complaint,
        EventKind.FOLLOW_UP_SPLIT,
        actor=actor,
        note=f"Pesan dipisahkan menjadi aduan {outcome.tracking_id}.",
        public=False,
        data={"event": event.id, "complaint": outcome.tracking_id},
    )
    return outcome
