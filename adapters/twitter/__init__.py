"""Twitter/X: mentions of the gateway's handle become complaints, answered in thread.

``handler`` names the channel, verifies X's requests and holds the adapter's clock (the
Account Activity API ends 2027-01-01), ``parse`` reads polled mentions and Account Activity
bodies through the one message builder, ``xaa`` reads the X Activity API's events and
filtered-stream Posts, ``poll`` asks X for mentions, ``webhook`` answers X's CRC and event
POSTs, ``manage`` sets up the push path at X (``/2/webhooks``, subscriptions, rules, usage),
``send`` replies in thread or by DM and holds the status table. ``SPEC`` is what the rest of
the house knows of the channel.
"""

from operator import attrgetter

from adapters.base import ChannelSpec, Webhook
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
from adapters.twitter.parse import Parsed, build_message, parse_mentions, parse_webhook
from adapters.twitter.poll import TooManyPages, XClient, client_from_settings, poll
from adapters.twitter.send import (
    MAX_TWEET_WEIGHT,
    SEND_ERRORS,
    TwitterSender,
    fits_in_tweet,
    sender,
)
from adapters.twitter.webhook import crc_webhook, events_webhook, verify_request

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_CRC_TOKEN_CHARS",
    "MAX_TWEET_WEIGHT",
    "NAME",
    "SEND_ERRORS",
    "SIGNATURE_HEADER",
    "SPEC",
    "WEBHOOK_PATH",
    "MalformedRequest",
    "Parsed",
    "SignatureMismatch",
    "TooManyPages",
    "TwitterSender",
    "XClient",
    "build_message",
    "client_from_settings",
    "crc_response",
    "fits_in_tweet",
    "parse_mentions",
    "parse_webhook",
    "poll",
    "sender",
    "verify",
    "verify_request",
]

SPEC = ChannelSpec(
    name=NAME,
    sender=sender,
    reply_fits=fits_in_tweet,  # 280 weighted characters, on top of the two-SMS budget
    public_replies=True,  # a reply tweet: anyone can read it
    unsubscribed_codes=frozenset(),
    status_table={},  # X sends no delivery receipts: a posted reply is "sent"
    webhooks=(
        Webhook(WEBHOOK_PATH, "GET", "twitter_crc", crc_webhook, signed=False),
        Webhook(WEBHOOK_PATH, "POST", "twitter_events", events_webhook),
    ),
    webhook_enabled=attrgetter("twitter_webhook"),
    verify=verify_request,
    max_body_bytes=MAX_BODY_BYTES,
)
