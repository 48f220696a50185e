"""Twilio: SMS on the 1708-style shortcode and WhatsApp, one account, one channel folder.

``handler`` reads what Twilio posts (verify, parse, the status table); ``send`` answers
through the Messages API.
"""

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
    parse,
    parse_status,
    verify,
)
from adapters.twilio_sms.send import PERMANENT_CODES, TRANSIENT_CODES, TwilioSender, sender

__all__ = [
    "EMPTY_TWIML",
    "INBOUND_PATH",
    "MAX_BODY_BYTES",
    "NAME",
    "PERMANENT_CODES",
    "SIGNATURE_HEADER",
    "STATUS_PATH",
    "STATUS_TABLE",
    "TRANSIENT_CODES",
    "DeliveryReport",
    "MalformedRequest",
    "SignatureMismatch",
    "TwilioSender",
    "called_url",
    "parse",
    "parse_status",
    "sender",
    "verify",
]
