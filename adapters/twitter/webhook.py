"""Twitter/X, the Account Activity webhook: X's CRC challenge and its signed event bodies.

``GET /webhooks/twitter?crc_token=`` proves we hold the consumer secret (when the webhook is
registered and every hour after); ``POST /webhooks/twitter`` carries events, signed over the
raw body: tweets become messages, every other kind is counted and answered 200.
"""

from __future__ import annotations

from werkzeug.wrappers import Request

from adapters.base import WebhookResult
from adapters.twitter.handler import MAX_CRC_TOKEN_CHARS, SIGNATURE_HEADER, crc_response, verify
from adapters.twitter.parse import parse_webhook
from config import Settings


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
    """An event body: its tweets as messages, the rest counted by kind."""
    parsed = parse_webhook(request.get_data(), settings.twitter_user_id)
    return WebhookResult(
        messages=tuple(parsed.messages),
        ignored=parsed.ignored,
        body={"accepted": len(parsed.messages), "ignored": dict(parsed.ignored)},
    )
