"""Twilio: SMS on the 1708-style shortcode, and WhatsApp through the same account.

Inbound: ``POST /webhooks/twilio/sms`` (a signed urlencoded form, one message per request).
Outbound (``send.py``): the twilio library's ``messages.create`` with a status callback to
``POST /webhooks/twilio/status``, whose receipts update the outbound message's delivery status.

Fields read (Twilio adds parameters without notice; every one is signed and kept in ``raw``):
  MessageSid          the external id (SM... for SMS, MM... for MMS)
  From, To            E.164 numbers; ``whatsapp:+62...`` makes the message channel whatsapp;
                      ``whatsapp:US.1234...`` is a WhatsApp user known by a business-scoped
                      user id only (no phone): contact ``whatsapp:US.1234...``
  ExternalUserId      that business-scoped user id (it names the sender when From has none)
  Body                the text; may be empty when media or a location is sent
  ButtonText, ButtonPayload
                      a quick-reply button pressed: the payload (ours, set in the template:
                      ``CEK <id>``, ``BATAL <id>``, the resolution answer) is the text read
  NumMedia, MediaUrl{N}, MediaContentType{N}
                      attachments by Twilio's URL; a media job fetches them (never here)
  ProfileName         the WhatsApp display name
  Latitude, Longitude a shared WhatsApp location
  MessageStatus, ErrorCode (status callbacks)

Signatures: X-Twilio-Signature, HMAC-SHA1 with the auth token; or, when a Twilio Webhooks
rule signs the URL (header X-Twilio-Webhooks-Signature-Settings), HMAC-SHA256 with the rule's
SharedKey secret (SATUPINTU_TWILIO_WEBHOOK_SHARED_KEY).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from twilio.request_validator import (
    HMAC_SHA1,
    RequestValidator,
    compare,
    get_signature_algorithm,
)
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Request
from werkzeug.wsgi import get_current_url

from adapters import base
from config import Settings
from normalizer.records import Channel, InboundMessage, Media
from normalizer.urns import InvalidContact, tel_urn

log = logging.getLogger("adapters.twilio_sms")

NAME = "twilio"
INBOUND_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
SIGNATURE_HEADER = "X-Twilio-Signature"
SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
WHATSAPP_PREFIX = "whatsapp:"
# A WhatsApp business-scoped user id: two capital letters, a dot, letters and digits
# (US.13491208655302741918). It is the contact's whole address when WhatsApp shows no phone.
BSUID = re.compile(r"[A-Z]{2}\.[0-9A-Za-z]{1,64}")
# What Twilio expects back when we have nothing to say at once: replies go out by notify jobs.
EMPTY_TWIML = str(MessagingResponse())
# Twilio's requests are a few kilobytes (a 1600-character body, ten media URLs); anything far
# larger is not Twilio, whatever the app-wide limit for uploads is.
MAX_BODY_BYTES = 64 * 1024
MAX_MEDIA = 10
# Twilio's ids are two letters and 32 hex digits; compatible providers vary, so be lenient
# about the shape but never accept text that could be anything else.
_SID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{5,63}")
_ERROR_CODE = re.compile(r"[0-9]{1,10}")
# The fields parse() reads: Twilio sends each once, so a repeated one is not Twilio's.
_SINGLE_FIELDS = (
    "MessageSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "ProfileName",
    "Latitude",
    "Longitude",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
    "ExternalUserId",
    "ButtonText",
    "ButtonPayload",
)


class SignatureMismatch(base.SignatureMismatch):
    """X-Twilio-Signature is missing or wrong, or there is no auth token to check it with."""

    def __init__(self, reason: str) -> None:
        super().__init__(NAME, reason)


class MalformedRequest(base.MalformedRequest):
    """A request Twilio would not send; the message names the field, never its value."""


# --- verify -----------------------------------------------------------------------------


def called_url(request: Request, settings: Settings) -> str:
    """The URL Twilio requested, which its signature covers.

    SATUPINTU_PUBLIC_URL when set; otherwise the request's own URL, with X-Forwarded-Proto,
    -Host, -Port and -Prefix believed from exactly SATUPINTU_PROXY_HOPS proxies (werkzeug's
    ProxyFix rules), so a client cannot pick the URL its signature is checked against.
    """
    query = request.environ.get("QUERY_STRING", "")
    if settings.public_url:
        url = settings.public_url + quote(request.path)
        return f"{url}?{query}" if query else url
    environ = dict(request.environ)
    if settings.proxy_hops > 0:
        hops = settings.proxy_hops
        # ProxyFix rewrites the environ it is given (a copy) before calling the app.
        fix = ProxyFix(_no_app, x_for=0, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
        fix(environ, _no_app)
    return get_current_url(environ)


def _no_app(*_args: Any) -> list[bytes]:
    return []


def verify(request: Request, settings: Settings) -> None:
    """Check X-Twilio-Signature over every posted parameter; raises SignatureMismatch.

    Without X-Twilio-Webhooks-Signature-Settings: HMAC-SHA1 keyed with the auth token. With
    it (a Webhooks rule matched the URL): the header's algorithm, keyed with the rule's
    SharedKey secret; a header naming no algorithm we know is refused, not downgraded.
    """
    signature = request.headers.get(SIGNATURE_HEADER, "")
    rule = request.headers.get(SIGNATURE_SETTINGS_HEADER, "")
    key = settings.twilio_webhook_shared_key if rule else settings.twilio_auth_token
    if not key:
        raise SignatureMismatch("not_configured")
    if not signature:
        raise SignatureMismatch("missing")
    algorithm = get_signature_algorithm(rule) if rule else HMAC_SHA1
    # A JSON body is signed through the bodySHA256 query parameter; the library checks that
    # hash only when given the raw body, so a replayed URL cannot carry another body.
    params = request.get_data(as_text=True) if "bodySHA256" in request.args else request.form
    validator = RequestValidator(key)
    url = called_url(request, settings)
    # The common case in one HMAC: a form signed over the URL as we were called. Else the
    # library's full check (with and without the port, and the JSON body's hash).
    if not isinstance(params, str) and _signed_as_called(
        validator, url, params, signature, algorithm
    ):
        return
    if not validator.validate(url, params, signature, algorithm):
        raise SignatureMismatch("invalid")


def _signed_as_called(
    validator: RequestValidator, url: str, params: Any, signature: str, algorithm: str
) -> bool:
    try:
        return compare(validator.compute_signature(url, params, algorithm), signature)
    except ValueError:  # an algorithm the library does not know: its validate refuses it
        return False


# --- parse ------------------------------------------------------------------------------


def parse(
    form: Mapping[str, Any], *, region: str = "ID", received_at: datetime | None = None
) -> InboundMessage:
    """One inbound SMS, MMS or WhatsApp message; raises MalformedRequest."""
    fields = _fields(form)
    external_id = _sid(fields, "MessageSid")
    channel, urn = _sender(fields, region)
    latitude = _coordinate(fields, "Latitude", 90)
    longitude = _coordinate(fields, "Longitude", 180)
    if (latitude is None) != (longitude is None):
        raise MalformedRequest("Latitude and Longitude come together")
    return InboundMessage(
        channel=channel,
        provider=NAME,
        external_id=external_id,
        sender=urn,
        recipient=fields.get("To", ""),
        sender_name=fields.get("ProfileName", ""),
        text=_text(fields),
        media=_media(fields),
        latitude=latitude,
        longitude=longitude,
        received_at=received_at or datetime.now(UTC),
        raw=_raw(form),
    )


def _sender(fields: dict[str, str], region: str) -> tuple[Channel, str]:
    """The channel and the sender's URN: ``tel:`` for a phone, ``whatsapp:<id>`` for a
    WhatsApp user Twilio knows only by a business-scoped user id."""
    sender = fields.get("From", "")
    user_id = fields.get("ExternalUserId", "")
    if user_id and not BSUID.fullmatch(user_id):
        raise MalformedRequest("ExternalUserId is not a business-scoped user id")
    if not sender:
        if not user_id:
            raise MalformedRequest("From is missing")
        return Channel.WHATSAPP, WHATSAPP_PREFIX + user_id
    channel, number = Channel.SMS, sender
    if sender.startswith(WHATSAPP_PREFIX):
        channel, number = Channel.WHATSAPP, sender[len(WHATSAPP_PREFIX) :]
        if BSUID.fullmatch(number):
            return channel, WHATSAPP_PREFIX + number
    elif ":" in sender:
        raise MalformedRequest("From is on a channel this adapter does not handle")
    elif user_id:
        raise MalformedRequest("ExternalUserId comes only with WhatsApp messages")
    try:
        return channel, tel_urn(number, region)
    except InvalidContact as exc:
        raise MalformedRequest("From is not a phone number") from exc


def _text(fields: dict[str, str]) -> str:
    """The words to read: a pressed button's payload (we wrote it into the template: a
    command such as ``CEK <id>``), else its label, else the body."""
    payload = fields.get("ButtonPayload", "")
    if payload:
        return payload[:1600]
    return fields.get("Body", "") or fields.get("ButtonText", "")


@dataclass(frozen=True)
class DeliveryReport:
    """One status callback: which message, and how far it got (our status, None if unknown)."""

    external_id: str
    status: str | None
    provider_status: str
    error_code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_status(form: Mapping[str, Any]) -> DeliveryReport:
    """A status callback; raises MalformedRequest."""
    fields = _fields(form)
    external_id = _sid(fields, "MessageSid")
    provider_status = (fields.get("MessageStatus") or fields.get("SmsStatus") or "").lower()
    if not provider_status:
        raise MalformedRequest("MessageStatus is missing")
    error_code = fields.get("ErrorCode") or None
    if error_code is not None and not _ERROR_CODE.fullmatch(error_code):
        raise MalformedRequest("ErrorCode is not a number")
    status = STATUS_TABLE.get(provider_status)
    if status is None:
        # Not a status Twilio documents: refused (400) so it shows in Twilio's debugger,
        # never guessed at.
        raise MalformedRequest("MessageStatus is not a status Twilio sends")
    return DeliveryReport(external_id, status, provider_status[:20], error_code)


def inbound_webhook(request: Request, settings: Settings) -> base.WebhookResult:
    """``POST /webhooks/twilio/sms``: one message; Twilio is answered an empty TwiML."""
    inbound = parse(request.form, region=settings.default_region)
    return base.WebhookResult(messages=(inbound,), body=EMPTY_TWIML, mimetype="text/xml")


def status_webhook(request: Request, settings: Settings) -> base.WebhookResult:
    """``POST /webhooks/twilio/status``: one delivery receipt for a reply we sent."""
    report = parse_status(request.form)
    return base.WebhookResult(receipts=(report.to_dict(),), status=204)


def _fields(form: Mapping[str, Any]) -> dict[str, str]:
    """The fields we read, each exactly once; raises MalformedRequest for a repeated one."""
    getlist = getattr(form, "getlist", None)
    fields: dict[str, str] = {}
    for name in form:
        values = getlist(name) if getlist else [form[name]]
        if name in _SINGLE_FIELDS and len(values) > 1:
            raise MalformedRequest(f"{name} is repeated")
        fields[name] = str(values[0]).strip() if name != "Body" else str(values[0])
    return fields


def _raw(form: Mapping[str, Any]) -> dict[str, Any]:
    getlist = getattr(form, "getlist", None)
    raw: dict[str, Any] = {}
    for name in form:
        values = getlist(name) if getlist else [form[name]]
        raw[name] = values[0] if len(values) == 1 else list(values)
    return raw


def _sid(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "")
    if not value:
        raise MalformedRequest(f"{name} is missing")
    if not _SID.fullmatch(value):
        raise MalformedRequest(f"{name} is not a message id")
    return value


def _media(fields: dict[str, str]) -> tuple[Media, ...]:
    count_text = fields.get("NumMedia", "0") or "0"
    # ASCII digits, few of them: "²".isdigit() is true and int() of it fails (issue 13).
    if not re.fullmatch(r"[0-9]{1,3}", count_text) or int(count_text) > MAX_MEDIA:
        raise MalformedRequest(f"NumMedia must be a number from 0 to {MAX_MEDIA}")
    media = []
    for n in range(int(count_text)):
        url = fields.get(f"MediaUrl{n}", "")
        try:
            parts = urlsplit(url)
        except ValueError:  # "http://[": an unclosed IPv6 address
            raise MalformedRequest(f"MediaUrl{n} is missing or not a web address") from None
        if parts.scheme not in {"https", "http"} or not parts.netloc:
            raise MalformedRequest(f"MediaUrl{n} is missing or not a web address")
        content_type = fields.get(f"MediaContentType{n}", "")[:100]
        media.append(Media(url=url, content_type=content_type))
    return tuple(media)


def _coordinate(fields: dict[str, str], name: str, bound: float) -> float | None:
    text = fields.get(name, "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise MalformedRequest(f"{name} is not a number") from None
    if not math.isfinite(value) or abs(value) > bound:
        raise MalformedRequest(f"{name} is out of range")
    return value


# --- status table -----------------------------------------------------------------------

# Twilio's MessageStatus -> our outbound status (casestore.delivery ranks them).
STATUS_TABLE = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    # Group MMS and RCS: some recipients got it. A reply has one recipient; it arrived.
    "partially_delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
    "read": "read",
}
