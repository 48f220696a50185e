"""Twilio, outbound: replies through the Messages API, and which of Twilio's errors retry.

Free text goes as ``Body``; outside WhatsApp's 24-hour window an approved template goes as
``ContentSid`` + ``ContentVariables`` (``send_template``). Each reply asks for a status
callback to ``POST /webhooks/twilio/status`` (when SATUPINTU_PUBLIC_URL is set);
``handler.parse_status`` reads those receipts. ``media_credentials`` says which media URLs
are this account's (fetched with its credentials, as Twilio requires).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from adapters.base import PermanentSendError, SendError, TransientSendError
from adapters.twilio_sms.handler import BSUID, STATUS_PATH, WHATSAPP_PREFIX
from config import Settings
from normalizer.records import Channel, OutboundMessage, SendResult

log = logging.getLogger("adapters.twilio_sms")
# The twilio library logs every API request's URL and headers at INFO: quiet by default,
# an operator who needs them lowers this logger's level.
_http_log = logging.getLogger("adapters.twilio_sms.http")
_http_log.setLevel(logging.WARNING)
SEND_TIMEOUT_SECONDS = 15.0


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
        return self._create(message, body=message.text)

    def send_template(
        self, message: OutboundMessage, content_sid: str, variables: Mapping[str, str]
    ) -> SendResult:
        """An approved WhatsApp template instead of free text (outside the 24-hour window)."""
        return self._create(
            message, content_sid=content_sid, content_variables=json.dumps(dict(variables))
        )

    def _create(self, message: OutboundMessage, **content: Any) -> SendResult:
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
            created = self.client.messages.create(**content, **options)
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


def media_credentials(url: str, settings: Settings) -> tuple[str, str] | None:
    """The account's (sid, token) for a media URL Twilio serves (api.twilio.com, or the
    configured SATUPINTU_TWILIO_API_URL's host); None for any other host, which never sees
    them."""
    if not settings.twilio_enabled:
        return None
    host = (urlsplit(url).hostname or "").lower()
    ours = {"api.twilio.com"}
    if settings.twilio_api_url:
        ours = {(urlsplit(settings.twilio_api_url).hostname or "").lower()}
    if host in ours or (not settings.twilio_api_url and host.endswith(".twilio.com")):
        return settings.twilio_account_sid, settings.twilio_auth_token
    return None


def _address(urn: str, channel: Channel) -> str:
    scheme, _, number = urn.partition(":")
    if scheme == "whatsapp" and channel is Channel.WHATSAPP and BSUID.fullmatch(number):
        return urn  # a business-scoped user id: Twilio's own address form
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
