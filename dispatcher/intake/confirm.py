"""CONFIRM: "YA 4821" by SMS, the answer to the code a typed phone was sent (issue 18).

Only an SMS proves the number: the sender's own URN is looked up, so a code can confirm
only the number it was sent to (a code from someone else's case is a wrong code here). A
right code within the policy's days switches that case's lifecycle updates on for the
number; nothing else changes: the number is not the case's contact, the answer is not filed
under the case, and the number's STOP still stops everything. Wrong answers are counted on
the number's open codes; after ``MAX_ATTEMPTS`` they are locked and updates stay on the
tracking page.
"""

from __future__ import annotations

import logging
from datetime import datetime

from casestore.complaints import complaint_by_id, queue_reply
from casestore.confirmations import confirmations_for
from casestore.db import Session
from casestore.models import AddressConfirmation, Complaint, Contact
from dispatcher.intake.outcome import StoreOutcome
from dispatcher.reply_policy import REPLY_LIMITS, reply_values
from dispatcher.runtime import Runtime
from normalizer.confirmation import CONFIRMATION_DAYS, MAX_ATTEMPTS, code_matches
from normalizer.records import Channel, ComplaintRecord
from normalizer.replies import render_reply

log = logging.getLogger(__name__)


def confirm_address(
    session: Session, record: ComplaintRecord, runtime: Runtime, contact: Contact | None
) -> StoreOutcome:
    """Check the code the sender's number answered, and tell the number what came of it."""
    outcome = StoreOutcome(tracking_id=None)
    if contact is None or record.channel is not Channel.SMS or contact.opted_out:
        return outcome  # only an SMS from the number itself proves it; STOP stays STOP
    now, code = record.received_at, record.text
    rows = confirmations_for(session, contact.urn)
    secret = runtime.settings.secret_key
    match = next((r for r in rows if code_matches(secret, contact.urn, code, r.code_hash)), None)
    complaint: Complaint | None = None
    attempts_left = 0
    if match is not None:
        complaint = complaint_by_id(session, match.complaint_id)
        template = _answer_to_match(match, now)
    else:
        live = [r for r in rows if _open(r, now)]
        for row in live:
            row.attempts += 1
        attempts_left = max((MAX_ATTEMPTS - r.attempts for r in live), default=0)
        if attempts_left:
            template = "confirm_wrong"
        elif live or any(r.attempts >= MAX_ATTEMPTS for r in rows):
            template = "confirm_locked"
        elif rows:
            template = "confirm_expired"
        else:
            template = "confirm_none"
    log.info("typed phone confirmation answered: %s", template)
    _tell(session, record, runtime, contact, complaint, template, attempts_left, outcome)
    return outcome


def _open(row: AddressConfirmation, now: datetime) -> bool:
    return row.confirmed_at is None and row.expires_at > now and row.attempts < MAX_ATTEMPTS


def _answer_to_match(row: AddressConfirmation, now: datetime) -> str:
    if row.confirmed_at is not None:
        return "confirmed"  # answered twice: the same good news
    if row.attempts >= MAX_ATTEMPTS:
        return "confirm_locked"
    if row.expires_at <= now:
        return "confirm_expired"
    row.confirmed_at = now
    return "confirmed"


def _tell(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    contact: Contact,
    complaint: Complaint | None,
    template: str,
    attempts_left: int,
    outcome: StoreOutcome,
) -> None:
    """The answer to the number, filed under no case (the number is not the case's)."""
    values = reply_values(runtime, complaint, record.language)
    values["attempts_left"] = str(attempts_left)
    values["days"] = str(CONFIRMATION_DAYS)
    body = render_reply(
        runtime.replies,
        template,
        record.language,
        fits_channel=REPLY_LIMITS.get(Channel.SMS),
        **values,
    )
    message = queue_reply(
        session,
        dedupe_key=f"{template}:{record.idempotency_key}",
        channel=Channel.SMS.value,
        contact=contact,
        complaint=None,
        body=body,
        reply_to=record.external_id,
        intent=template,
    )
    if message is not None:
        outcome.outbound_ids.append(message.id)
