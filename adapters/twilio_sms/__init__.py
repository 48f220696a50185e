"""Twilio: SMS on the 1708-style shortcode and WhatsApp, one account, one channel folder.

``handler`` reads what Twilio posts (verify, parse, the status table); ``send`` answers
through the Messages API. ``SPEC`` is what the rest of the house knows of the channel.
"""

from operator import attrgetter

from adapters.base import ChannelSpec, Webhook
from adapters.twilio_sms.handler import (
    EMPTY_TWIML,
    INBOUND_PATH,
    MAX_BODY_BYTES,
    NAME,
    SIGNATURE_HEADER,
    STATUS_PATH,
    STATUS_TABLE,
    DeliveryReport,
    MalformedRequest,
    SignatureMismatch,
    called_url,
    inbound_webhook,
    parse,
    parse_status,
    status_webhook,
    verify,
)
from adapters.twilio_sms.send import (
    PERMANENT_CODES,
    TRANSIENT_CODES,
    TwilioSender,
    media_credentials,
    sender,
)

__all__ = [
    "EMPTY_TWIML",
    "INBOUND_PATH",
    "MAX_BODY_BYTES",
    "NAME",
    "PERMANENT_CODES",
    "SIGNATURE_HEADER",
    "SPEC",
    "STATUS_PATH",
    "STATUS_TABLE",
    "TRANSIENT_CODES",
    "DeliveryReport",
    "MalformedRequest",
    "SignatureMismatch",
    "TwilioSender",
    "called_url",
    "media_credentials",
    "parse",
    "parse_status",
    "sender",
    "verify",
]

SPEC = ChannelSpec(
    name=NAME,
    sender=sender,
    # Every reply fits two SMS (the renderer's own budget); SMS has no limit beyond it.
    reply_fits=None,
    public_replies=False,
    unsubscribed_codes=frozenset({"21610"}),  # the citizen texted STOP to Twilio
    status_table=STATUS_TABLE,
    rate_limited=True,  # a phone can flood: SATUPINTU_SMS_RATE_LIMIT, SMS and WhatsApp together
    webhooks=(
        Webhook(INBOUND_PATH, "POST", "twilio_inbound", inbound_webhook),
        Webhook(STATUS_PATH, "POST", "twilio_status", status_webhook),
    ),
    webhook_enabled=attrgetter("twilio_enabled"),
    verify=verify,
    signature_shadow=lambda settings: settings.twilio_signature_mode == "shadow",
    max_body_bytes=MAX_BODY_BYTES,
)
