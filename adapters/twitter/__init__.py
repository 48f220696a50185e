"""Twitter/X: mentions of the gateway's handle become complaints, answered in thread.

``handler`` names the channel and verifies X's requests, ``parse`` reads the two shapes
mentions arrive in, ``poll`` asks X for them, ``send`` replies and holds the status table.
"""

from adapters.twitter.handler import (
    MAX_BODY_BYTES,
    MAX_CRC_TOKEN_CHARS,
    NAME,
    SIGNATURE_HEADER,
    WEBHOOK_PATH,
    MalformedRequest,
    SignatureMismatch,
    crc_response,
    verify,
)
from adapters.twitter.parse import Parsed, parse_mentions, parse_webhook
from adapters.twitter.poll import TooManyPages, XClient, client_from_settings, poll
from adapters.twitter.send import (
    MAX_TWEET_WEIGHT,
    SEND_ERRORS,
    TwitterSender,
    fits_in_tweet,
    sender,
)

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_CRC_TOKEN_CHARS",
    "MAX_TWEET_WEIGHT",
    "NAME",
    "SEND_ERRORS",
    "SIGNATURE_HEADER",
    "WEBHOOK_PATH",
    "MalformedRequest",
    "Parsed",
    "SignatureMismatch",
    "TooManyPages",
    "TwitterSender",
    "XClient",
    "client_from_settings",
    "crc_response",
    "fits_in_tweet",
    "parse_mentions",
    "parse_webhook",
    "poll",
    "sender",
    "verify",
]
