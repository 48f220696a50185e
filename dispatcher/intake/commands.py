"""Commands about a case the sender already has: CEK/STATUS, INFO (a follow-up), BATAL, and
the ones about the sender: STOP, MULAI, BANTUAN.

A command names a case only if its sender filed it (an SMS/WhatsApp/X identity, or the
secret code a web or API citizen holds); any other tracking id is answered as unknown, in
words that reveal nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from casestore import complaints as cases
from casestore.contacts import opt_in_contact, opt_out_contact
from casestore.db import Session
from casestore.lifecycle import OPEN_STATUSES, Action, Status, TransitionError, apply_action
from casestore.models import Complaint, Contact
from casestore.vocabulary import EventKind
from dispatcher.casework import apply_and_tell, resume_if_waiting
from dispatcher.intake.confirm import confirm_address
from dispatcher.intake.evidence import attach_files, citizen_secret_hash
from dispatcher.intake.outcome import StoreOutcome
from dispatcher.intake.replies import answer
from dispatcher.runtime import Runtime
from normalizer.citizen_secret import secret_hash_matches
from normalizer.records import ComplaintRecord, Intent

log = logging.getLogger(__name__)

Command = Callable[[Session, ComplaintRecord, Runtime, "Contact | None"], StoreOutcome]

# A web/API citizen's answer to a resolution: satisfied closes it, not satisfied reopens it.
RESOLUTION_ACTIONS = {"accepted": Action.CLOSE, "rejected": Action.REOPEN}


def _owned_target(
    session: Session, record: ComplaintRecord, contact: Contact | None
) -> Complaint | None:
    """The complaint a command names, only if this contact filed it (reveals nothing else).

    Web and API citizens may have no contact: they prove it with the complaint's secret code.
    """
    if not record.target_tracking_id:
        return None
    complaint = cases.complaint_by_tracking_id(session, record.target_tracking_id)
    if complaint is None:
        return None
    if contact is not None and complaint.contact_id == contact.id:
        return complaint
    if secret_hash_matches(citizen_secret_hash(record), complaint.citizen_secret_hash):
        return complaint
    return None


def _target_or_unknown(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    contact: Contact | None,
    outcome: StoreOutcome,
    *,
    open_only: bool,
) -> Complaint | None:
    """The named complaint, or None after answering "unknown id" in words that reveal nothing."""
    complaint = _owned_target(session, record, contact)
    if complaint is None or (open_only and complaint.status not in OPEN_STATUSES):
        answer(record, contact, None, "unknown_id", outcome)
        return None
    outcome.names(complaint)
    return complaint


def status_query(
    session: Session, record: ComplaintRecord, runtime: Runtime, contact: Contact | None
) -> StoreOutcome:
    """CEK <id>: the case's status; CEK alone: how to use the service."""
    outcome = StoreOutcome(tracking_id=None)
    if not record.target_tracking_id:
        answer(record, contact, None, "help", outcome)
        return outcome
    complaint = _target_or_unknown(session, record, runtime, contact, outcome, open_only=False)
    if complaint is not None:
        answer(record, contact, complaint, "status", outcome)
    return outcome


def follow_up(
    session: Session, record: ComplaintRecord, runtime: Runtime, contact: Contact | None
) -> StoreOutcome:
    """INFO <id> <text>: more words (and files) for an open case; a web/API citizen's answer
    to a resolution closes or reopens it."""
    outcome = StoreOutcome(tracking_id=None)
    complaint = _target_or_unknown(session, record, runtime, contact, outcome, open_only=True)
    if complaint is None:
        return outcome
    # The citizen's words may name people: the event stays internal, the text is the message.
    cases.add_event(session, complaint, EventKind.FOLLOW_UP, note="", public=False)
    attach_files(session, complaint, record)
    outcome.outbound_ids.extend(_answer_resolution(session, complaint, record, runtime))
    # The answer to "minta keterangan" (issue 20): back to the owner, the clocks go on.
    outcome.outbound_ids.extend(
        resume_if_waiting(session, complaint, runtime, now=record.received_at)
    )
    answer(record, contact, complaint, "follow_up_added", outcome)
    return outcome


def _answer_resolution(
    session: Session, complaint: Complaint, record: ComplaintRecord, runtime: Runtime
) -> list[int]:
    """Apply the answer; the ids of the status messages it queued (followers, other channels)."""
    action = RESOLUTION_ACTIONS.get(record.raw.get("resolution_answer", ""))
    if action is None or complaint.status != Status.RESOLVED:
        return []
    try:
        acted = apply_and_tell(
            session, complaint, action, runtime, actor="citizen", now=record.received_at
        )
    except TransitionError as exc:
        # Past the answer window: the words stay on the case as a follow-up, nothing reopens.
        log.info("citizen answer to %s not applied: %s", complaint.tracking_id, exc)
        return []
    return acted.outbound_ids


def withdraw(
    session: Session, record: ComplaintRecord, runtime: Runtime, contact: Contact | None
) -> StoreOutcome:
    """BATAL <id>: the citizen withdraws an open case; it is archived."""
    outcome = StoreOutcome(tracking_id=None)
    complaint = _target_or_unknown(session, record, runtime, contact, outcome, open_only=True)
    if complaint is None:
        return outcome
    # The citizen asked for it: their answer is the "withdrawn" reply below, and no status
    # message follows (apply_and_tell would queue one).
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
    answer(record, contact, complaint, "withdrawn", outcome)
    return outcome


def opt_out(
    session: Session, record: ComplaintRecord, runtime: Runtime, contact: Contact | None
) -> StoreOutcome:
    """STOP: nothing more is sent, after the confirmation (it goes out before the flag bites)."""
    outcome = StoreOutcome(tracking_id=None)
    if contact is not None and not contact.opted_out:
        answer(record, contact, None, "opted_out", outcome)
        opt_out_contact(contact, record.received_at)
    return outcome


def opt_in(
    session: Session, record: ComplaintRecord, runtime: Runtime, contact: Contact | None
) -> StoreOutcome:
    """MULAI: replies again, starting with this one."""
    outcome = StoreOutcome(tracking_id=None)
    if contact is not None:
        opt_in_contact(contact)
        answer(record, contact, None, "opted_in", outcome)
    return outcome


def help_text(
    session: Session, record: ComplaintRecord, runtime: Runtime, contact: Contact | None
) -> StoreOutcome:
    """BANTUAN / HELP: how to use the service."""
    outcome = StoreOutcome(tracking_id=None)
    answer(record, contact, None, "help", outcome)
    return outcome


COMMANDS: dict[Intent, Command] = {
    Intent.STATUS_QUERY: status_query,
    Intent.FOLLOW_UP: follow_up,
    Intent.WITHDRAW: withdraw,
    Intent.OPT_OUT: opt_out,
    Intent.OPT_IN: opt_in,
    Intent.HELP: help_text,
    Intent.CONFIRM: confirm_address,  # "YA 4821": a typed phone's code (issue 18)
}
