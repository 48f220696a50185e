"""The notify job's part for typed addresses: an update to the email or phone a web, API or
Open311 citizen typed (issue 18).

Like every reply: checked against the opt-outs just before the send (an unsubscribe that
came after the message was queued still stops it), sent through the channel's sender from
the registry (email, or the SMS channel that is on), and a transient failure raised for
rq's Retry. A permanent refusal is recorded on the reply (``smtp_550``, Twilio's code), and
one that means "this address takes nothing" (the spec's unsubscribed codes) stops every
later update to it. Sent once: a reply already sent is skipped, and an email carries a
Message-ID keyed on the reply, so a retry after a lost answer is one email to the reader.

At intake (``greet_typed_address``): a typed email gets the acknowledgement at once; a
typed phone gets ONE SMS with the tracking id and a one-time code to answer "YA <code>"
(dispatcher/intake/confirm.py reads the answer), and lifecycle updates only once that very
number answered it. The code is never stored: the queued SMS carries a placeholder that the
send fills in from the confirmation's salt and the server secret.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from adapters.base import PermanentSendError, TransientSendError
from adapters.email.bounce import Bounce
from adapters.registry import sender_for
from casestore.alerts import record_alert_bounce
from casestore.confirmations import confirmation_of, open_confirmation
from casestore.db import Session
from casestore.delivery import (
    SENDABLE,
    mark_failed,
    mark_sending,
    mark_suppressed,
    record_bounce,
    record_refused,
    record_sent,
)
from casestore.models import Complaint
from casestore.notices import (
    address_opted_out,
    addressed_message,
    opt_out_address,
    queue_addressed_reply,
)
from casestore.vocabulary import DeliveryStatus
from dispatcher import runtime as runtime_module
from dispatcher.metrics import count_outbound
from dispatcher.reply_policy import (
    REPLY_LIMITS,
    means_unsubscribed,
    reply_values,
    typed_address_channel,
)
from dispatcher.runtime import Runtime
from normalizer.confirmation import (
    CODE_PLACEHOLDER,
    CONFIRMATION_DAYS,
    code_hash,
    confirmation_code,
)
from normalizer.records import Channel, OutboundMessage
from normalizer.replies import render_reply

log = logging.getLogger(__name__)

CONFIRM_TEMPLATE = "confirm_phone"
ACK_EMAIL_TEMPLATE = "ack_email"
# An email has room for the whole acknowledgement: ten SMS worth, not two.
EMAIL_SEGMENTS = 10


# Where a new case's updates will reach a typed address, as the thank-you page and the API
# receipt say it: by email, by SMS once the number answered its code, or the tracking page.
UPDATES_EMAIL, UPDATES_SMS_AFTER_CODE, UPDATES_PAGE = "email", "sms_after_code", "tracking_page"


def updates_route(address: str, settings: Any) -> str:
    """How updates will reach ``address`` (typed; "" for none), for the citizen's answer."""
    channel = typed_address_channel(address, settings) if address else None
    if channel is Channel.EMAIL:
        return UPDATES_EMAIL
    if channel is Channel.SMS:
        return UPDATES_SMS_AFTER_CODE
    return UPDATES_PAGE


def greet_typed_address(session: Session, complaint: Complaint, runtime: Runtime) -> list[int]:
    """The message a new case's typed address gets at once; the queued ids (none when no
    channel reaches it, it opted out, or the case has a proven contact)."""
    address = complaint.update_address
    if complaint.contact_id is not None or not address:
        return []
    channel = typed_address_channel(address, runtime.settings)
    if channel is None or address_opted_out(session, address):
        return []
    language = complaint.language or "id"
    values = reply_values(runtime, complaint, language)
    values["days"] = str(CONFIRMATION_DAYS)
    if channel is Channel.EMAIL:
        body = render_reply(
            runtime.replies, ACK_EMAIL_TEMPLATE, language, max_segments=EMAIL_SEGMENTS, **values
        )
        subject = render_reply(runtime.replies, "ack_email_subject", language, **values)
        intent, link = ACK_EMAIL_TEMPLATE, values["track_url"]
    else:
        salt = secrets.token_hex(16)
        secret = runtime.settings.secret_key
        opened = open_confirmation(
            session,
            complaint,
            address=address,
            salt=salt,
            code_hash=code_hash(secret, address, confirmation_code(secret, salt)),
            expires_at=complaint.received_at + timedelta(days=CONFIRMATION_DAYS),
        )
        if opened is None:
            return []  # this case's number was asked before
        values["code"] = CODE_PLACEHOLDER  # filled in at the send: never stored
        body = render_reply(
            runtime.replies,
            CONFIRM_TEMPLATE,
            language,
            fits_channel=REPLY_LIMITS.get(Channel.SMS),
            **values,
        )
        subject, intent, link = "", CONFIRM_TEMPLATE, ""
    message = queue_addressed_reply(
        session,
        dedupe_key=f"{intent}:{complaint.id}",
        channel=channel.value,
        address=address,
        complaint=complaint,
        body=body,
        intent=intent,
        subject=subject,
        language=language,
        link=link,
    )
    if message is None:
        return []
    session.flush()
    return [message.id]


def send_addressed(message_id: int) -> dict[str, Any] | None:
    """Send reply ``message_id`` if it goes to a typed address; None when it does not (the
    notify job sends it to its contact instead)."""
    rt = runtime_module.current()
    with rt.sessions.begin() as session:
        message = addressed_message(session, message_id)
        if message is None:
            return None
        address = message.address or ""
        if message.status not in SENDABLE:
            return {"status": message.status, "skipped": True, "channel": message.channel}
        if address_opted_out(session, address):
            mark_suppressed(message)
            return {"status": DeliveryStatus.SUPPRESSED.value, "channel": message.channel}
        sender = sender_for(message.channel, rt.settings)
        if sender is None:
            mark_failed(message, "channel_off")
            return {"status": DeliveryStatus.FAILED.value, "channel": message.channel}
        raw = message.raw or {}
        text = message.body
        if message.intent == CONFIRM_TEMPLATE:
            confirmation = confirmation_of(session, message.complaint_id)
            if confirmation is None:
                mark_failed(message, "no_code")
                return {"status": DeliveryStatus.FAILED.value, "channel": message.channel}
            code = confirmation_code(rt.settings.secret_key, confirmation.salt)
            text = text.replace(CODE_PLACEHOLDER, code)
        outbound = OutboundMessage(
            message_id=message.id,
            channel=Channel(message.channel),
            to=address,
            text=text,
            subject=str(raw.get("subject", "")),
            language=str(raw.get("language", "id")),
            link=str(raw.get("link", "")),
        )
        mark_sending(message)
    try:
        result = sender.send(outbound)
    except TransientSendError as exc:
        # The reason names codes, never the address.
        log.warning("send to a typed %s address failed, will retry: %s", outbound.channel, exc)
        count_outbound(outbound.channel.value, "retry")
        raise
    except PermanentSendError as exc:
        code = exc.code or "rejected"
        with rt.sessions.begin() as session:
            record_refused(session, message_id, code)
            if means_unsubscribed(outbound.channel, exc.code):
                opt_out_address(session, address, "refused")
        return {
            "status": DeliveryStatus.FAILED.value,
            "error_code": code,
            "channel": outbound.channel.value,
        }
    with rt.sessions.begin() as session:
        record_sent(session, message_id, result.external_id, result.status)
    return {
        "status": result.status,
        "external_id": result.external_id,
        "channel": outbound.channel.value,
    }


def apply_bounce(bounce: Bounce, rt: Runtime | None = None) -> dict[str, Any]:
    """Record a late bounce on the email it names; after a hard bounce (5.x.x) the address
    is sent nothing more, like a refusal (and a delay only notes the code)."""
    rt = rt or runtime_module.current()
    detail = {"status": bounce.status, "action": bounce.action, "diagnostic": bounce.diagnostic}
    with rt.sessions.begin() as session:
        if bounce.kind == "alert":
            found = record_alert_bounce(session, bounce.key, bounce.error_code, bounce.permanent)
            return {"found": found, "kind": "alert", "permanent": bounce.permanent}
        message = record_bounce(
            session,
            bounce.key,
            error_code=bounce.error_code,
            permanent=bounce.permanent,
            detail=detail,
        )
        if message is None:
            return {"found": False, "kind": "reply"}
        stopped = False
        if bounce.permanent and message.address:
            stopped = opt_out_address(session, message.address, "bounced")
    log.info("email %s bounced: %s (%s)", bounce.key, bounce.status, bounce.action or "failed")
    return {
        "found": True,
        "kind": "reply",
        "status": bounce.status,
        "permanent": bounce.permanent,
        "stopped": stopped,
    }
