"""/webhooks/...: provider callbacks, one route per ``Webhook`` of each channel's spec.

The routes are built from ``adapters.registry``: a new channel's webhooks appear here with
its registry line. Every view is the same few steps: the channel is on, the signature holds
(shadow mode counts and logs a mismatch, and lets it in), the channel's handler parses the
request, its messages and receipts are submitted, and only then is the provider answered.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable

import redis
from flask import Blueprint, Response, request

from adapters.base import ChannelSpec, MalformedRequest, SignatureMismatch, Webhook, WebhookResult
from adapters.registry import channels_where, specs
from dispatcher.abuse import count_signature_failure
from dispatcher.delivery import submit_delivery
from dispatcher.runtime import Runtime
from dispatcher.submit import submit
from dispatcher.twitter_poll import count_ignored, first_delivery, forget_delivery
from gateway.context import runtime
from normalizer import normalize
from normalizer.records import ComplaintRecord, Intent

log = logging.getLogger(__name__)

# Channels whose senders are held to SATUPINTU_SMS_RATE_LIMIT: over it, their messages wait in
# the inbox's slow lane (dispatcher/inbox.py), so a flood does not delay real complaints.
RATE_LIMITED = channels_where(lambda spec: spec.rate_limited)


def _sender_limit(record: ComplaintRecord, rt: Runtime) -> tuple[int, int] | None:
    if record.channel not in RATE_LIMITED or record.intent is Intent.OPT_OUT:
        return None  # an opt-out always goes straight through
    return rt.settings.sms_rate


def blueprint(channel_specs: Iterable[ChannelSpec]) -> Blueprint:
    """A blueprint serving every webhook of ``channel_specs`` (the registry's, in the app)."""
    webhooks = Blueprint("webhooks", __name__)
    webhooks.register_error_handler(redis.RedisError, _queue_unavailable)
    for spec in channel_specs:
        for hook in spec.webhooks:
            webhooks.add_url_rule(
                hook.path, hook.endpoint, _view(spec, hook), methods=[hook.method]
            )
    return webhooks


def _queue_unavailable(exc: redis.RedisError) -> Response:
    # Only what cannot be spooled gets here (a delivery receipt): the provider may try again.
    log.warning("webhook refused, redis unavailable: %s", type(exc).__name__)
    return _text("queue unavailable, try again\n", 503)


def _text(body: str, status: int, mimetype: str = "text/plain") -> Response:
    return Response(body, status, mimetype=mimetype)


def _refused(spec: ChannelSpec, rt: Runtime) -> Response | None:
    """403 for a bad signature, or None to go on (it holds, or the channel is in shadow mode)."""
    try:
        spec.verify(request, rt.settings)
    except SignatureMismatch as exc:
        count_signature_failure(rt.redis, spec.name, exc.reason)
        if not spec.signature_shadow(rt.settings):
            log.warning("%s signature %s on %s: refused", spec.name, exc.reason, request.path)
            return _text("signature mismatch\n", 403)
        log.warning(
            "%s signature %s on %s: accepted (shadow mode)", spec.name, exc.reason, request.path
        )
    return None


def _answer(result: WebhookResult) -> Response | tuple[dict, int]:
    if isinstance(result.body, dict):
        return result.body, result.status
    return _text(result.body, result.status, result.mimetype)


def _view(spec: ChannelSpec, hook: Webhook) -> Callable[[], object]:
    def view() -> object:
        rt = runtime()
        if not spec.webhook_enabled(rt.settings):
            return _text(f"{spec.name} channel is not configured\n", 503)
        request.max_content_length = min(rt.settings.max_body_bytes, spec.max_body_bytes)
        if hook.signed and (refused := _refused(spec, rt)) is not None:
            return refused
        try:
            result = hook.handle(request, rt.settings)
        except MalformedRequest as exc:
            log.warning("%s request refused: %s", spec.name, exc)  # names the field only
            return _text(f"{exc}\n", 400)
        if not first_delivery(rt.redis, spec.name, result.event_ids):
            # X delivers at least once: the same event_uuid again is answered, not submitted.
            count_ignored(rt.redis, Counter({"duplicate_event": 1}))
            return {"accepted": 0, "duplicate": True}, 200
        try:
            for inbound in result.messages:
                record = normalize(inbound, rt.rules)
                submit(record, rt.redis, rt.spool, _sender_limit(record, rt))  # queued/dup/spooled
            for receipt in result.receipts:
                submit_delivery(receipt, rt.redis)
        except BaseException:
            forget_delivery(rt.redis, spec.name, result.event_ids)  # X's retry must get in
            raise
        count_ignored(rt.redis, result.ignored)  # X's passed-over events (no other channel has any)
        return _answer(result)

    return view


bp = blueprint(specs())
