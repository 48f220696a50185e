"""Kannel: SMS on the operators' shortcode (SMPP), through smsbox's HTTP interface.

``handler`` reads what smsbox calls us with (verify, parse, the DLR status table); ``send``
answers through sendsms; ``conf`` writes the kannel.conf that points smsbox at us. ``SPEC``
is what the rest of the house knows of the provider.
"""

from adapters.base import ChannelSpec, Webhook
from adapters.kannel.handler import (
    DLR_MASK,
    DLR_PATH,
    FAILURE_CODES,
    INBOUND_PATH,
    MAX_BODY_BYTES,
    NAME,
    STATUS_TABLE,
    DeliveryReport,
    MalformedRequest,
    SignatureMismatch,
    decode_text,
    dlr_signature,
    dlr_webhook,
    inbound_webhook,
    parse,
    parse_dlr,
    request_fields,
    verify,
)
from adapters.kannel.send import KannelSender, enabled, sender, sends

__all__ = [
    "DLR_MASK",
    "DLR_PATH",
    "FAILURE_CODES",
    "INBOUND_PATH",
    "MAX_BODY_BYTES",
    "NAME",
    "SPEC",
    "STATUS_TABLE",
    "DeliveryReport",
    "KannelSender",
    "MalformedRequest",
    "SignatureMismatch",
    "decode_text",
    "dlr_signature",
    "enabled",
    "parse",
    "parse_dlr",
    "request_fields",
    "sender",
    "sends",
    "verify",
]

SPEC = ChannelSpec(
    name=NAME,
    sender=sender,
    # Every reply fits two SMS (the renderer's own budget), as on Twilio.
    reply_fits=None,
    public_replies=False,
    # Operators' SMSCs have no STOP of their own: citizens' STOP reaches us as a keyword.
    unsubscribed_codes=frozenset(),
    status_table=STATUS_TABLE,
    rate_limited=True,  # one phone, one SATUPINTU_SMS_RATE_LIMIT, whichever provider
    webhooks=(
        # smsbox's sms-service uses get-url (GET) or post-url (POST); dlr-urls are GETs.
        Webhook(INBOUND_PATH, "GET", "kannel_inbound", inbound_webhook),
        Webhook(INBOUND_PATH, "POST", "kannel_inbound_post", inbound_webhook),
        Webhook(DLR_PATH, "GET", "kannel_dlr", dlr_webhook),
        Webhook(DLR_PATH, "POST", "kannel_dlr_post", dlr_webhook),
    ),
    webhook_enabled=enabled,
    verify=verify,
    max_body_bytes=MAX_BODY_BYTES,
)
