"""Twitter/X, the webhook: X's CRC challenge and its signed event bodies, in every shape.

``GET /webhooks/twitter?crc_token=`` proves we hold the consumer secret: X asks when the
webhook is registered (``POST /2/webhooks``), on ``PUT /2/webhooks/:id`` and on its own
schedule after (hourly, or every 30 minutes while it has not validated for a day); a failed
check marks the webhook invalid and stops delivery, so the answer is computed on every
request, never cached. ``POST /webhooks/twitter`` carries events, signed over the raw body:
X Activity API envelopes and filtered-stream Posts (``xaa``), and until 2027-01-01 Account
Activity bodies (``parse``). From that day, by the adapter's clock, an Account Activity body
is refused with 410: X no longer sends them, so one that arrives is not X's.
"""

from __future__ import annotations

from werkzeug.wrappers import Request

from adapters.base import WebhookResult
from adapters.twitter import handler
from adapters.twitter.handler import (
    AAA_END,
    MAX_CRC_TOKEN_CHARS,
    SIGNATURE_HEADER,
    MalformedRequest,
    aaa_open,
    crc_response,
    verify,
)
from adapters.twitter.parse import load_json, parse_webhook
from adapters.twitter.xaa import is_push, parse_push
from config import Settings

AAA_ENDED = (
    f"Account Activity API berakhir {AAA_END.date()} / the Account Activity API ended "
    f"{AAA_END.date()}: register the X Activity API webhook (satupintu twitter webhook "
    "register)\n"
)


def verify_request(request: Request, settings: Settings) -> None:
    """Check the one signature X sends over the raw body; raises SignatureMismatch."""
    signatures = request.headers.getlist(SIGNATURE_HEADER)
    signature = signatures[0] if len(signatures) == 1 else None  # X sends exactly one
    verify(request.get_data(), signature, settings.twitter_consumer_secret)


def crc_webhook(request: Request, settings: Settings) -> WebhookResult:
    """X's challenge-response check: the token signed with the consumer secret."""
    tokens = request.args.getlist("crc_token")
    token = tokens[0] if len(tokens) == 1 else ""
    if not token or len(token) > MAX_CRC_TOKEN_CHARS:
        return WebhookResult(body="crc_token is missing or too long\n", status=400)
    return WebhookResult(body=crc_response(token, settings.twitter_consumer_secret))


def events_webhook(request: Request, settings: Settings) -> WebhookResult:
    """An event body: its Posts and direct messages as messages, the rest counted by kind."""
    received_at = handler.now()  # the arrival time every message of this body carries
    payload = load_json(request.get_data())
    if not isinstance(payload, dict):
        raise MalformedRequest("the body must be a JSON object")
    if is_push(payload):
        parsed = parse_push(payload, settings.twitter_user_id, received_at)
    elif "data" in payload:  # no Account Activity body has it
        raise MalformedRequest("data is neither an X Activity API event nor a stream Post")
    elif aaa_open(received_at):
        parsed = parse_webhook(payload, settings.twitter_user_id, received_at)
    else:
        return WebhookResult(body=AAA_ENDED, status=410)
    return WebhookResult(
        messages=tuple(parsed.messages),
        ignored=parsed.ignored,
        event_ids=tuple(parsed.event_ids),
        body={"accepted": len(parsed.messages), "ignored": dict(parsed.ignored)},
    )
