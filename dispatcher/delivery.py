"""How a reply goes out (the sending choice) and what comes back (delivery receipts).

The sending choice (``plan_send``, asked by the notify job): WhatsApp free text only within
24 hours of the contact's last WhatsApp message; outside, the notification's approved
template (config/data/whatsapp_templates.toml); without one, SMS to the same phone; else the
reply is recorded as not sendable, with the reason, on the case page.

Receipts: queued by the status webhook, applied by a job on the notify queue.

A receipt is a write to the case store, and webhooks never block on the database, so the
webhook only enqueues (one job per message and status: Twilio's repeats collapse) and a
worker applies it in one short transaction. The job also covers a race: a receipt can beat
the notify job's commit of the provider's message id, so "not found yet" is retried while a
send is waiting for its id. A receipt for a message we never sent (another application on
the account, or long gone) is logged once and dropped: no traceback, no retries. A failure
for a rate limit (63018) sends the reply again after a back-off; one for WhatsApp's closed
window (63016) sends it again as template or SMS.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import redis
from rq import Retry, get_current_job
from rq.exceptions import DuplicateJobError

from adapters.base import Sender
from adapters.registry import sender_for
from casestore import clock
from casestore.complaints import complaint_by_id
from casestore.contacts import opt_out_contact, whatsapp_window_open
from casestore.db import Session
from casestore.delivery import (
    FAILED_STATUSES,
    mark_unsendable,
    note_sent_as,
    outbound_message,
    record_delivery,
    requeue,
    sends_awaiting_their_id,
)
from casestore.models import Complaint, Contact, Message, utcnow
from config.whatsapp import WhatsAppTemplate, load_whatsapp_templates
from dispatcher import runtime as runtime_module
from dispatcher.queues import NOTIFY, job_id, queue
from dispatcher.reply_policy import means_unsubscribed, reply_values
from dispatcher.runtime import Runtime
from normalizer.records import Channel, OutboundMessage, SendResult
from normalizer.tracking import format_tracking_id

log = logging.getLogger(__name__)

RECEIPT_RETRY = Retry(max=4, interval=[5, 30, 120, 600])
# A send whose provider id is not stored after this long is a crashed notify job (the
# outbox sweep re-queues it), not a commit a receipt could still be racing.
IN_FLIGHT = timedelta(minutes=15)
# Twilio's codes that change how a reply goes: outside WhatsApp's window, and a rate limit
# reported after the send was accepted.
WINDOW_CODE = "63016"
RATE_LIMIT_CODE = "63018"
# Seconds before each new try of a reply Twilio failed for a rate limit; then it stays failed.
RATE_LIMIT_BACKOFF = (60, 300, 900, 1800)
WINDOW_CLOSED = "wa_window_closed"  # the reason a reply could not be sent (case page)


class ReceiptTooEarly(LookupError):
    """No outbound message has this provider id yet; the notify job may still be committing."""


def submit_delivery(report: Mapping[str, Any], connection: redis.Redis) -> bool:
    """Queue one receipt; False when its status is one we do not track (nothing to apply)."""
    if not report.get("status"):
        return False
    key = f"{report['external_id']}:{report['status']}:{report.get('error_code') or ''}"
    # A repeat of a receipt already waiting raises DuplicateJobError: one is enough.
    with contextlib.suppress(DuplicateJobError):
        queue(NOTIFY, connection).enqueue(
            "dispatcher.delivery.apply_delivery",
            dict(report),
            job_id=job_id("delivery", key),
            unique=True,
            retry=RECEIPT_RETRY,
            result_ttl=600,
            failure_ttl=7 * 24 * 3600,
            description="delivery receipt",
        )
    return True


def apply_delivery(report: dict[str, Any]) -> dict[str, Any]:
    """Move the outbound message's status forward; an "unsubscribed" code opts the contact
    out (Twilio's 21610: the channel's spec says which codes)."""
    rt = runtime_module.current()
    error_code = report.get("error_code") or None
    with rt.sessions.begin() as session:
        change = record_delivery(
            session,
            external_id=report["external_id"],
            status=report["status"],
            error_code=error_code,
        )
        if change is None:
            job = get_current_job()
            if (
                job is not None
                and job.retries_left
                and sends_awaiting_their_id(session, within=IN_FLIGHT)
            ):
                raise ReceiptTooEarly("no outbound message with this provider id yet")
            # Not ours (another application on the account) or long gone: nothing to do.
            log.info("receipt for an unknown outbound message ignored")
            return {"found": False}
        message, contact = change.message, change.message.contact
        if means_unsubscribed(message.channel, error_code) and contact is not None:
            opt_out_contact(contact, utcnow())
        again = _send_again_in(message, error_code) if change.changed else None
    if again is not None:
        _enqueue_again(rt.redis, message.id, again, message.attempts)
    return {"found": True, "changed": change.changed, "status": message.status}


def _send_again_in(message: Message, error_code: str | None) -> int | None:
    """Seconds until the failed message is sent again, or None: it stays failed."""
    if message.status not in FAILED_STATUSES:
        return None
    raw = message.raw or {}
    if error_code == RATE_LIMIT_CODE and message.attempts <= len(RATE_LIMIT_BACKOFF):
        requeue(message)
        return RATE_LIMIT_BACKOFF[message.attempts - 1]
    if (
        error_code == WINDOW_CODE
        and message.channel == Channel.WHATSAPP
        and not raw.get("window_closed")
        and not raw.get("content_sid")
    ):
        requeue(message, window_closed=True)
        return 0
    return None


def _enqueue_again(connection: redis.Redis, message_id: int, seconds: int, attempt: int) -> None:
    """A notify job for the message after ``seconds`` (rq's scheduler runs it)."""
    notify_queue = queue(NOTIFY, connection)
    options: dict[str, Any] = {
        "job_id": job_id("notify-again", f"{message_id}:{attempt}"),
        "result_ttl": 3600,
        "failure_ttl": 30 * 24 * 3600,
        "description": "notify citizen again",
    }
    if seconds:
        notify_queue.enqueue_in(
            timedelta(seconds=seconds), "dispatcher.jobs.notify", message_id, **options
        )
    else:
        notify_queue.enqueue("dispatcher.jobs.notify", message_id, **options)


# --- the sending choice (WhatsApp's 24-hour window) -------------------------------------


@dataclass(frozen=True)
class SendPlan:
    """How one reply goes out: free text on its channel, a WhatsApp template, or SMS."""

    channel: Channel
    sender: Any  # the channel's sender; a template needs its send_template
    content_sid: str = ""
    variables: Mapping[str, str] = field(default_factory=dict)

    def send(self, outbound: OutboundMessage) -> SendResult:
        if self.content_sid:
            return self.sender.send_template(outbound, self.content_sid, self.variables)
        return self.sender.send(outbound)


def plan_send(
    session: Session, message: Message, contact: Contact, sender: Sender, rt: Runtime
) -> SendPlan | None:
    """How to send ``message`` now; None when it cannot go at all (marked unsendable).

    WhatsApp inside 24 hours of the contact's last message, or any other channel: free text.
    Outside (or when Twilio said so, 63016): the notification's approved template; without
    one, SMS to the same phone when an SMS channel is on; else not sendable, with the reason.
    """
    channel = Channel(message.channel)
    raw = message.raw or {}
    if channel is not Channel.WHATSAPP:
        return SendPlan(channel, sender)
    if not raw.get("window_closed") and whatsapp_window_open(contact, clock.now()):
        if (buttons := _quick_reply_plan(session, message, contact, sender, rt)) is not None:
            return buttons  # the rating's buttons beat its digit text (issue 20)
        return SendPlan(channel, sender)
    language = (message.complaint.language if message.complaint else "") or contact.language
    template = _template_for(rt, message.intent, language)
    if template is not None and hasattr(sender, "send_template"):
        values = _template_values(session, rt, message.complaint, language)
        variables = template.content_variables(values)
        note_sent_as(message, channel.value, content_sid=template.content_sid)
        return SendPlan(channel, sender, template.content_sid, variables)
    sms = sender_for(Channel.SMS, rt.settings) if rt.settings.whatsapp_sms_fallback else None
    if sms is not None and contact.urn.startswith("tel:"):
        note_sent_as(message, Channel.SMS.value, fallback="whatsapp_window")
        return SendPlan(Channel.SMS, sms)
    log.info("whatsapp reply %s not sendable: window closed, no template, no SMS", message.id)
    mark_unsendable(message, WINDOW_CLOSED)
    return None


def retry_outside_window(rt: Runtime, message_id: int, error_code: str | None) -> bool:
    """Twilio refused free text as outside the window (63016) although we thought it open:
    mark the message so the next try takes the template or SMS. False when it was not that
    (or the message was already past free text)."""
    if error_code != WINDOW_CODE:
        return False
    with rt.sessions.begin() as session:
        message = outbound_message(session, message_id)
        raw = message.raw if message is not None else {}
        if message is None or message.channel != Channel.WHATSAPP or raw.get("window_closed"):
            return False
        if raw.get("content_sid"):
            return False  # a template was refused: nothing else to try on WhatsApp
        requeue(message, window_closed=True)
    return True


def _template_for(rt: Runtime, kind: str, language: str) -> WhatsAppTemplate | None:
    templates = load_whatsapp_templates(rt.settings.whatsapp_templates_file or None)
    return templates.get((kind, language)) or templates.get((kind, "id"))


def _template_values(
    session: Session, rt: Runtime, complaint: Complaint | None, language: str
) -> dict[str, str]:
    values = reply_values(rt, complaint, language)
    master = (
        complaint_by_id(session, complaint.master_id) if complaint and complaint.master_id else None
    )
    values["master"] = format_tracking_id(master.tracking_id) if master else ""
    return values


def _quick_reply_plan(
    session: Session, message: Message, contact: Contact, sender: Any, rt: Runtime
) -> SendPlan | None:
    """A template with quick-reply buttons for this reply, sent inside the window too
    (config/whatsapp.py); None when there is none (free text goes)."""
    language = (message.complaint.language if message.complaint else "") or contact.language
    template = _template_for(rt, message.intent, language)
    if template is None or not template.interactive or not hasattr(sender, "send_template"):
        return None
    values = _template_values(session, rt, message.complaint, language)
    note_sent_as(message, Channel.WHATSAPP.value, content_sid=template.content_sid)
    return SendPlan(
        Channel.WHATSAPP, sender, template.content_sid, template.content_variables(values)
    )
