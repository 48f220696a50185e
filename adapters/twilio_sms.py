"""Twilio: SMS on the 1708-style shortcode, and WhatsApp through the same account.

Inbound: ``POST /webhooks/twilio/sms`` (a signed urlencoded form, one message per request).
Outbound: the twilio library's ``messages.create`` with a status callback to ``POST
/webhooks/twilio/status``, whose receipts update the outbound message's delivery status.

Fields read (Twilio adds parameters without notice; every one is signed and kept in ``raw``):
  MessageSid          the external id (SM... for SMS, MM... for MMS)
  From, To            E.164 numbers; ``whatsapp:+62...`` makes the message channel whatsapp
  Body                the text; may be empty when media or a location is sent
  NumMedia, MediaUrl{N}, MediaContentType{N}
                      attachments, kept by reference (Twilio's URL), never downloaded here
  ProfileName         the WhatsApp display name
  Latitude, Longitude a shared WhatsApp location
  MessageStatus, ErrorCode (status callbacks)
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Request
from werkzeug.wsgi import get_current_url

from adapters.base import PermanentSendError, SendError, TransientSendError
from config import Settings
from normalizer.records import Channel, InboundMessage, Media, OutboundMessage, SendResult
from normalizer.urns import InvalidContact, tel_urn

log = logging.getLogger(__name__)
# The twilio library logs every API request's URL and headers at INFO: quiet by default,
# an operator who needs them lowers this logger's level.
_http_log = logging.getLogger(f"{__name__}.http")
_http_log.setLevel(logging.WARNING)

NAME = "twilio"
INBOUND_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
SIGNATURE_HEADER = "X-Twilio-Signature"
WHATSAPP_PREFIX = "whatsapp:"
# What Twilio expects back when we have nothing to say at once: replies go out by notify jobs.
EMPTY_TWIML = str(MessagingResponse())
# Twilio's requests are a few kilobytes (a 1600-character body, ten media URLs); anything far
# larger is not Twilio, whatever the app-wide limit for uploads is.
MAX_BODY_BYTES = 64 * 1024
MAX_MEDIA = 10
SEND_TIMEOUT_SECONDS = 15.0
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
)


class SignatureMismatch(Exception):
    """X-Twilio-Signature is missing or wrong, or there is no auth token to check it with."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"twilio signature {reason}")
        self.reason = reason  # missing | invalid | not_configured


class MalformedRequest(ValueError):
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
    """Check X-Twilio-Signature over every posted parameter; raises SignatureMismatch."""
    if not settings.twilio_auth_token:
        raise SignatureMismatch("not_configured")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        raise SignatureMismatch("missing")
    # A JSON body is signed through the bodySHA256 query parameter; the library checks that
    # hash only when given the raw body, so a replayed URL cannot carry another body.
    params = request.get_data(as_text=True) if "bodySHA256" in request.args else request.form
    validator = RequestValidator(settings.twilio_auth_token)
    if not validator.validate(called_url(request, settings), params, signature):
        raise SignatureMismatch("invalid")


# --- parse ------------------------------------------------------------------------------


def parse(
    form: Mapping[str, Any], *, region: str = "ID", received_at: datetime | None = None
) -> InboundMessage:
    """One inbound SMS, MMS or WhatsApp message; raises MalformedRequest."""
    fields = _fields(form)
    external_id = _sid(fields, "MessageSid")
    sender = fields.get("From", "")
    if not sender:
        raise MalformedRequest("From is missing")
    channel, number = Channel.SMS, sender
    if sender.startswith(WHATSAPP_PREFIX):
        channel, number = Channel.WHATSAPP, sender[len(WHATSAPP_PREFIX) :]
    elif ":" in sender:
        raise MalformedRequest("From is on a channel this adapter does not handle")
    try:
        urn = tel_urn(number, region)
    except InvalidContact as exc:
        raise MalformedRequest("From is not a phone number") from exc
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
        text=fields.get("Body", ""),
        media=_media(fields),
        latitude=latitude,
        longitude=longitude,
        received_at=received_at or datetime.now(UTC),
        raw=_raw(form),
    )


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
        # A status Twilio added after this table was written: accepted and ignored, not refused.
        log.warning("twilio status %r is not in the status table; ignored", provider_status[:20])
    return DeliveryReport(external_id, status, provider_status[:20], error_code)


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


# --- send -------------------------------------------------------------------------------


class TwilioSender:
    """Replies through the Messages API, from the configured number or messaging service."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = _client(
            settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url
        )

    def warm_up(self) -> None:
        """Import the client's Messages API now (no request is made)."""
        _ = self.client.messages

    def send(self, message: OutboundMessage) -> SendResult:
        s = self.settings
        options: dict[str, Any] = {"to": _address(message.to, message.channel)}
        if s.twilio_messaging_service_sid:
            options["messaging_service_sid"] = s.twilio_messaging_service_sid
        else:
            options["from_"] = _channel_address(s.twilio_from, message.channel)
        # Without a public address Twilio could not reach us, so no callback is asked for.
        if s.public_url:
            options["status_callback"] = s.public_url + STATUS_PATH
        try:
            created = self.client.messages.create(body=message.text, **options)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _send_error(exc.status, exc.code) from exc
        except requests.RequestException as exc:
            raise TransientSendError(f"twilio unreachable: {type(exc).__name__}") from exc
        except TwilioException as exc:
            raise TransientSendError(f"twilio client error: {type(exc).__name__}") from exc
        # Our "sent" means the provider took it; its own queued/sending/sent receipts that
        # follow rank no higher, so they change nothing, and delivered/failed move it on.
        return SendResult(external_id=created.sid, status="sent")


def sender(settings: Settings) -> TwilioSender | None:
    """The sender for sms and whatsapp, or None while the channel is not configured."""
    return TwilioSender(settings) if settings.twilio_enabled else None


class _ApiUrlHttpClient(TwilioHttpClient):
    """Twilio's HTTP client, sending every request for *.twilio.com to another base URL.

    A custom ``http_client`` is the library's documented hook for proxies and mock servers;
    rewriting here, after the client picked its host (edge and region included), keeps
    every API path exactly as the library builds it.
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=_http_log)
        self.base = urlsplit(base_url.rstrip("/"))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        if parts.hostname and parts.hostname.endswith("twilio.com"):
            url = urlunsplit(
                (self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, "")
            )
        return super().request(method, url, *args, **kwargs)


@functools.lru_cache(maxsize=4)
def _client(account_sid: str, auth_token: str, api_url: str) -> Client:
    """One REST client per process and configuration: its HTTP session keeps connections."""
    if api_url:
        http_client: TwilioHttpClient = _ApiUrlHttpClient(api_url, SEND_TIMEOUT_SECONDS)
    else:
        http_client = TwilioHttpClient(timeout=SEND_TIMEOUT_SECONDS, logger=_http_log)
    return Client(account_sid, auth_token, http_client=http_client)


def _address(urn: str, channel: Channel) -> str:
    scheme, _, number = urn.partition(":")
    if scheme != "tel" or not number.startswith("+"):
        raise PermanentSendError("not a phone number contact", code="no_phone")
    return _channel_address(number, channel)


def _channel_address(number: str, channel: Channel) -> str:
    if channel is Channel.WHATSAPP and not number.startswith(WHATSAPP_PREFIX):
        return WHATSAPP_PREFIX + number
    return number


def _send_error(status: int | None, code: int | None) -> SendError:
    """Twilio's answer as one of our two failures; the reason carries codes, never numbers."""
    code_text = str(code) if code is not None else None
    reason = f"twilio answered {status} (error {code_text})"
    if code in PERMANENT_CODES:
        return PermanentSendError(reason, code=code_text)
    if code in TRANSIENT_CODES or status is None or status >= 500 or status in {401, 429}:
        if status == 401:
            log.error("twilio refused our credentials: check SATUPINTU_TWILIO_ACCOUNT_SID/TOKEN")
        return TransientSendError(reason, code=code_text)
    return PermanentSendError(reason, code=code_text)


# --- status table -----------------------------------------------------------------------

# Twilio's MessageStatus -> our outbound status (casestore.delivery ranks them).
STATUS_TABLE = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
    "read": "read",
}
# Worth trying again later: rate limits and queue overflow (HTTP 5xx and 429 are too).
TRANSIENT_CODES = frozenset({20429, 20500, 20503, 30001, 63018})
# Never worth retrying, whatever the HTTP status: the recipient or the content is the problem.
PERMANENT_CODES = frozenset(
    {
        21211,  # invalid To number
        21408,  # sending to this region is not enabled
        21610,  # recipient replied STOP: unsubscribed
        21612,  # To cannot be reached from this From
        21614,  # To is not a mobile number
        21617,  # body too long
        63016,  # WhatsApp: outside the 24-hour window, a template is needed
    }
)
