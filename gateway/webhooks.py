"""POST /webhooks/...: provider callbacks. Each view is thin: verify, parse, submit, answer."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import redis
from flask import Blueprint, Response, request

from adapters import twilio_sms, twitter
from dispatcher.abuse import count_signature_failure
from dispatcher.delivery import submit_delivery
from dispatcher.submit import submit
from dispatcher.twitter_poll import count_ignored
from gateway.context import runtime
from normalizer import normalize

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.errorhandler(redis.RedisError)
def _queue_unavailable(exc: redis.RedisError) -> Response:
    # Only what cannot be spooled gets here (a delivery receipt): the provider may try again.
    log.warning("webhook refused, redis unavailable: %s", type(exc).__name__)
    return Response("queue unavailable, try again\n", 503, mimetype="text/plain")


# --- Twilio: SMS and WhatsApp (adapters/twilio_sms/) ------------------------------------


def _twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Check X-Twilio-Signature before the view; shadow mode counts and logs, and lets in."""

    @functools.wraps(view)
    def checked(**kwargs: Any) -> Any:
        rt = runtime()
        if not rt.settings.twilio_enabled:
            return Response("twilio channel is not configured\n", 503, mimetype="text/plain")
        request.max_content_length = min(rt.settings.max_body_bytes, twilio_sms.MAX_BODY_BYTES)
        try:
            twilio_sms.verify(request, rt.settings)
        except twilio_sms.SignatureMismatch as exc:
            count_signature_failure(rt.redis, twilio_sms.NAME, exc.reason)
            if rt.settings.twilio_signature_mode != "shadow":
                log.warning("twilio signature %s on %s: refused", exc.reason, request.path)
                return Response("signature mismatch\n", 403, mimetype="text/plain")
            log.warning(
                "twilio signature %s on %s: accepted (shadow mode)", exc.reason, request.path
            )
        return view(**kwargs)

    return checked


@bp.errorhandler(twilio_sms.MalformedRequest)
def _twilio_malformed(exc: twilio_sms.MalformedRequest) -> Response:
    log.warning("twilio request refused: %s", exc)  # names the field, never its value
    return Response(f"{exc}\n", 400, mimetype="text/plain")


@bp.post("/twilio/sms")
@_twilio_signed
def twilio_inbound() -> Response:
    rt = runtime()
    inbound = twilio_sms.parse(request.form, region=rt.settings.default_region)
    submit(normalize(inbound, rt.rules), rt.redis, rt.spool)  # queued, duplicate or spooled
    return Response(twilio_sms.EMPTY_TWIML, mimetype="text/xml")


@bp.post("/twilio/status")
@_twilio_signed
def twilio_status() -> Response:
    report = twilio_sms.parse_status(request.form)
    submit_delivery(report.to_dict(), runtime().redis)
    return Response(status=204)


# --- Twitter/X: Account Activity (adapters/twitter/) ------------------------------------


def _twitter_off() -> Response | None:
    if runtime().settings.twitter_webhook:
        return None
    return Response("twitter channel is not configured\n", 503, mimetype="text/plain")


@bp.errorhandler(twitter.MalformedRequest)
def _twitter_malformed(exc: twitter.MalformedRequest) -> Response:
    log.warning("twitter request refused: %s", exc)  # names the part, never its value
    return Response(f"{exc}\n", 400, mimetype="text/plain")


@bp.get("/twitter")
def twitter_crc() -> Any:
    """X's challenge-response check, when the webhook is registered and every hour after."""
    if (off := _twitter_off()) is not None:
        return off
    tokens = request.args.getlist("crc_token")
    token = tokens[0] if len(tokens) == 1 else ""
    if not token or len(token) > twitter.MAX_CRC_TOKEN_CHARS:
        return Response("crc_token is missing or too long\n", 400, mimetype="text/plain")
    return twitter.crc_response(token, runtime().settings.twitter_consumer_secret)


@bp.post("/twitter")
def twitter_events() -> Any:
    if (off := _twitter_off()) is not None:
        return off
    rt = runtime()
    request.max_content_length = min(rt.settings.max_body_bytes, twitter.MAX_BODY_BYTES)
    body = request.get_data(cache=False)
    signatures = request.headers.getlist(twitter.SIGNATURE_HEADER)
    signature = signatures[0] if len(signatures) == 1 else None  # X sends exactly one
    try:
        twitter.verify(body, signature, rt.settings.twitter_consumer_secret)
    except twitter.SignatureMismatch as exc:
        count_signature_failure(rt.redis, twitter.NAME, exc.reason)
        log.warning("twitter signature %s on %s: refused", exc.reason, request.path)
        return Response("signature mismatch\n", 403, mimetype="text/plain")
    parsed = twitter.parse_webhook(body, rt.settings.twitter_user_id)
    for inbound in parsed.messages:
        submit(normalize(inbound, rt.rules), rt.redis, rt.spool)  # queued, duplicate or spooled
    count_ignored(rt.redis, parsed.ignored)
    return {"accepted": len(parsed.messages), "ignored": dict(parsed.ignored)}
