"""The notify job's part for typed addresses: an update to the email or phone a web, API or
Open311 citizen typed (issue 18).

Like every reply: checked against the opt-outs just before the send (an unsubscribe that
came after the message was queued still stops it), sent through the channel's sender from
the registry (email, or the SMS channel that is on), and a transient failure raised for
rq's Retry. A permanent refusal is recorded on the reply (``smtp_550``, Twilio's code), and
one that means "this address takes nothing" (the spec's unsubscribed codes) stops every
later update to it. Sent once: a reply already sent is skipped, and an email carries a
Message-ID keyed on the reply, so a retry after a lost answer is one email to the reader.
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.base import PermanentSendError, TransientSendError
from adapters.registry import sender_for
from casestore.delivery import (
    SENDABLE,
    mark_failed,
    mark_sending,
    mark_suppressed,
    record_refused,
    record_sent,
)
from casestore.notices import address_opted_out, addressed_message, opt_out_address
from casestore.vocabulary import DeliveryStatus
from dispatcher import runtime as runtime_module
from dispatcher.metrics import count_outbound
from dispatcher.reply_policy import means_unsubscribed
from normalizer.records import Channel, OutboundMessage

log = logging.getLogger(__name__)


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
        outbound = OutboundMessage(
            message_id=message.id,
            channel=Channel(message.channel),
            to=address,
            text=message.body,
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
