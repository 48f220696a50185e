"""The rq jobs: module-level functions with JSON arguments, one transaction each.

``store`` applies one intake record; ``notify`` sends one queued reply. Transient failures
raise and rq's Retry runs them again; a permanent failure (a record that cannot be read)
spends no retries and lands in rq's failed registry with the reason.
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.base import PermanentSendError, TransientSendError
from adapters.registry import reply_route
from casestore.db import Session
from casestore.delivery import (
    SENDABLE,
    conversation_provider,
    mark_failed,
    mark_sending,
    mark_suppressed,
    outbound_message,
    outbound_messages,
    record_refused,
    record_sent,
)
from casestore.models import Message
from casestore.vocabulary import DeliveryStatus
from dispatcher import runtime as runtime_module
from dispatcher.address_replies import send_addressed
from dispatcher.delivery import SendPlan, plan_send, retry_outside_window
from dispatcher.failures import PermanentJobError, is_transient, reason_of, retry_transient_only
from dispatcher.intake import store_record
from dispatcher.media import enqueue_media
from dispatcher.metrics import count_outbound
from dispatcher.outbox import enqueue_notifications, hand_on, release_claims, singles_waiting
from dispatcher.reply_policy import means_unsubscribed
from dispatcher.runtime import Runtime
from normalizer.records import ComplaintRecord, MalformedRecord, OutboundMessage
from normalizer.urns import redact_urn

log = logging.getLogger(__name__)


@retry_transient_only
def store(record: dict[str, Any]) -> dict[str, Any]:
    """Store one intake record and queue the replies it calls for."""
    try:
        parsed = ComplaintRecord.from_dict(record)
    except MalformedRecord as exc:
        raise PermanentJobError(f"malformed record: {exc}") from exc
    rt = runtime_module.current()
    with rt.sessions.begin() as session:
        outcome = store_record(session, parsed, rt)
    enqueue_notifications(rt.redis, outcome.outbound_ids)
    enqueue_media(rt.redis, parsed)  # provider media are fetched by a job of their own
    return {
        "tracking_id": outcome.tracking_id,
        "created": outcome.created,
        "duplicate_delivery": outcome.duplicate_delivery,
    }


@retry_transient_only
def notify(message_id: int) -> dict[str, Any]:
    """Send one queued outbound message through its channel's adapter."""
    return _notify(message_id)


def _notify(message_id: int, *, counted: bool = True) -> dict[str, Any]:
    # A typed address (issue 18) is sent to without a contact: dispatcher/address_replies.py.
    outcome = send_addressed(message_id) or _send_reply(message_id)
    if counted:
        count_outbound(outcome.pop("channel"), outcome["status"])
    return outcome


@retry_transient_only
def notify_batch(message_ids: list[int]) -> dict[str, Any]:
    """Send replies committed together, in one job (dispatcher/outbox.py).

    Each reply is the notify job's: skipped once sent, checked against opt-outs, its send
    recorded in a transaction of its own right after the provider answered (so a crash
    re-sends at most the reply in hand). What differs is the reading: the replies to
    contacts are read and marked as being sent in one transaction for the batch. A typed
    address's reply goes through dispatcher/address_replies.py as in the notify job. One that
    fails goes on alone with its own retries (after a provider's transient failure, the
    first back-off; after any other failure, at once, to fail alone with its reason), and
    the rest of the batch goes on. A reply handed on by an earlier run is left to its job.
    """
    rt = runtime_module.current()
    waiting = singles_waiting(rt.redis, message_ids)
    todo = [message_id for message_id in message_ids if message_id not in waiting]
    results: dict[str, int] = {}
    prepared: list[tuple[int, SendPlan, OutboundMessage]] = []
    decided: list[dict[str, Any]] = []
    alone: list[int] = []
    try:
        with rt.sessions.begin() as session:
            found = outbound_messages(session, todo)
            for message_id in todo:
                message = found.get(message_id)
                if message is None or message.address:
                    alone.append(message_id)  # a typed address, or none: the notify path
                    continue
                ready = _prepare(session, message, rt)
                if isinstance(ready, dict):
                    decided.append(ready)
                else:
                    prepared.append((message_id, *ready))
    except Exception as exc:
        if is_transient(exc):
            raise  # nothing was sent: rq's Retry runs the batch again
        log.warning("a batch of replies goes one by one: %s", reason_of(exc))
        prepared, decided, alone = [], [], todo
    for outcome in decided:
        count_outbound(outcome.pop("channel"), outcome["status"])
        results[str(outcome["status"])] = results.get(str(outcome["status"]), 0) + 1
    sends = [
        (mid, lambda m=mid, p=plan, o=out: _deliver(rt, m, p, o)) for mid, plan, out in prepared
    ]
    sends += [(mid, lambda m=mid: _notify(m, counted=False)) for mid in alone]
    for message_id, send in sends:
        try:
            outcome = send()
        except Exception as exc:  # this reply alone; the batch goes on
            transient = is_transient(exc)
            log.warning(
                "a reply of a batch goes on alone (%s): %s",
                "retry" if transient else "failed",
                reason_of(exc),
            )
            hand_on(rt.redis, message_id, now=not transient)
            status = "handed_on"
        else:
            count_outbound(outcome.pop("channel"), outcome["status"])
            status = str(outcome["status"])
        results[status] = results.get(status, 0) + 1
    release_claims(rt.redis, message_ids)
    return {"replies": len(message_ids), "results": results}


def _send_reply(message_id: int) -> dict[str, Any]:
    rt = runtime_module.current()
    with rt.sessions.begin() as session:
        message = outbound_message(session, message_id)
        if message is None:
            raise PermanentJobError(f"no outbound message {message_id}")
        ready = _prepare(session, message, rt)
    if isinstance(ready, dict):
        return ready
    return _deliver(rt, message_id, *ready)


def _prepare(
    session: Session, message: Message, rt: Runtime
) -> dict[str, Any] | tuple[SendPlan, OutboundMessage]:
    """In the caller's transaction: the reply's outcome when it is not sent now (sent
    already, opted out, no channel), else how it goes, marked as being sent."""
    if message.status not in SENDABLE:
        return {"status": message.status, "skipped": True, "channel": message.channel}
    contact = message.contact
    if contact is None:
        mark_failed(message, "no_contact")
        return {"status": DeliveryStatus.FAILED.value, "channel": message.channel}
    if contact.opted_out and message.intent != "opted_out":
        mark_suppressed(message)
        return {"status": DeliveryStatus.SUPPRESSED.value, "channel": message.channel}
    # The provider the citizen wrote in on answers (Kannel's shortcode, Twilio's number).
    route = reply_route(message.channel, rt.settings, conversation_provider(session, message))
    if route is None:
        mark_failed(message, "channel_off")
        return {"status": DeliveryStatus.FAILED.value, "channel": message.channel}
    provider, sender = route
    # WhatsApp's window: free text, a template, SMS instead, or not at all.
    plan = plan_send(session, message, contact, sender, rt)
    if plan is None:
        return {"status": DeliveryStatus.UNSENDABLE.value, "channel": message.channel}
    outbound = OutboundMessage(
        message_id=message.id,
        channel=plan.channel,
        to=contact.urn,
        text=message.body,
        reply_to=message.reply_to,
    )
    mark_sending(message, provider)
    return plan, outbound


def _deliver(
    rt: Runtime, message_id: int, plan: SendPlan, outbound: OutboundMessage
) -> dict[str, Any]:
    """Send one prepared reply and record what the provider said (its own transaction)."""
    try:
        result = plan.send(outbound)
    except TransientSendError as exc:
        log.warning("send to %s failed, will retry: %s", redact_urn(outbound.to), exc)
        count_outbound(outbound.channel.value, "retry")
        raise
    except PermanentSendError as exc:
        if retry_outside_window(rt, message_id, exc.code):  # 63016: try template or SMS
            return _send_reply(message_id)
        with rt.sessions.begin() as session:
            record_refused(
                session,
                message_id,
                exc.code or "rejected",
                opt_out=means_unsubscribed(outbound.channel, exc.code),
            )
        return {
            "status": DeliveryStatus.FAILED.value,
            "error_code": exc.code,
            "channel": outbound.channel.value,
        }
    with rt.sessions.begin() as session:
        record_sent(session, message_id, result.external_id, result.status)
    return {
        "status": result.status,
        "external_id": result.external_id,
        "channel": outbound.channel.value,
    }
