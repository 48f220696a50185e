"""The citizen's answer to one record: decided by a use case, written and queued after it.

Which channels are answered, and with which placeholders, is dispatcher/reply_policy.py
(shared with the status notifications).

A use case decides its answers (``answer``); ``send_answers`` writes them once the use case
is done, each an outbound message waiting for a notify job, keyed on the template and the
record, so a replayed record never queues it twice.
"""

from __future__ import annotations

from casestore.complaints import queue_reply
from casestore.db import Session
from casestore.models import Complaint, Contact
from dispatcher.intake.outcome import Answer, StoreOutcome
from dispatcher.reply_policy import (
    PUBLIC_REPLY_CHANNELS,
    REPLY_CHANNELS,
    REPLY_LIMITS,
    reply_values,
)
from dispatcher.runtime import Runtime
from normalizer.records import ComplaintRecord, Privacy
from normalizer.replies import render_reply


def answer(
    record: ComplaintRecord,
    contact: Contact | None,
    complaint: Complaint | None,
    template: str,
    outcome: StoreOutcome,
    key: str | None = None,
) -> None:
    """Decide that the record's sender gets the ``template`` reply (about ``complaint``), where
    the channel answers and the sender has not opted out, as both stand now; the words are
    written and the message queued by ``send_answers``."""
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
    outcome.answers.append(Answer(template, complaint, key))


def send_answers(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    contact: Contact | None,
    outcome: StoreOutcome,
) -> StoreOutcome:
    """Queue the replies ``outcome`` decided for the record's sender (``contact``), each an
    outbound message waiting for a notify job; their ids go on ``outcome.outbound_ids``."""
    for planned in outcome.answers:
        assert contact is not None  # answer() decides none without one
        body = render_reply(
            runtime.replies,
            planned.template,
            record.language,
            fits_channel=REPLY_LIMITS.get(record.channel),
            **reply_values(runtime, planned.complaint, record.language),
        )
        message = queue_reply(
            session,
            dedupe_key=f"{planned.key or planned.template}:{record.idempotency_key}",
            channel=record.channel.value,
            contact=contact,
            complaint=planned.complaint,
            body=body,
            reply_to=record.reply_to or record.external_id,
            intent=planned.template,
        )
        if message is not None:
            outcome.outbound_ids.append(message.id)
    outcome.answers.clear()
    return outcome
