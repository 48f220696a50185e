"""Kannel, outbound: replies through smsbox's ``sendsms``, and which answers retry.

GSM-7 text goes as UTF-8 with ``coding=0`` (Kannel packs it into septets); anything else as
UCS-2: the UTF-16BE bytes with ``coding=2&charset=UTF-16BE``. Each reply asks for every
delivery report (``dlr-mask=31``) at a ``dlr-url`` carrying our own ref for it and that
ref's HMAC, so only a report for a reply we sent is believed. Kannel answers 202 when it
took the message; no id comes back, so the ref is the reply's external id.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
from urllib.parse import quote, urlencode

import requests

from adapters.base import PermanentSendError, TransientSendError
from adapters.kannel.handler import DLR_MASK, DLR_PATH, dlr_signature
from config import Settings
from normalizer.records import OutboundMessage, SendResult
from normalizer.segments import count_segments

log = logging.getLogger("adapters.kannel")
# urllib3 logs every request line at DEBUG, and a sendsms URL holds the citizen's number, the
# reply and our password: those lines never reach the logs, whatever the level.
logging.getLogger("urllib3.connectionpool").setLevel(logging.INFO)
SEND_TIMEOUT_SECONDS = 15.0
# Every reply fits two SMS (the renderer's budget); sendsms-user max-messages says the same.
MAX_SEGMENTS = 2


def enabled(settings: Settings) -> bool:
    """Whether the webhooks are on: smsbox's sms-service and our dlr-urls carry the secret."""
    return bool(settings.kannel_secret)


def sends(settings: Settings) -> bool:
    """Whether replies can go out: sendsms is configured (and dlr-urls can be signed)."""
    return bool(
        settings.kannel_secret
        and settings.kannel_sendsms_url
        and settings.kannel_sendsms_username
        and settings.kannel_sendsms_password
    )


def new_ref() -> str:
    """Our id for one reply, the external id its delivery reports name."""
    return "k" + secrets.token_hex(16)


def dlr_url(settings: Settings, ref: str) -> str:
    """Where Kannel reports on ``ref``: Kannel fills in %d (the DLR type), %A (the SMSC's
    words) and %i (the smsc-id) when it calls it."""
    base = settings.public_url or f"http://127.0.0.1:{settings.port}"
    sig = dlr_signature(settings.kannel_secret, ref)
    return f"{base}{DLR_PATH}?ref={ref}&sig={sig}&type=%d&reply=%A&smsc=%i"


def sendsms_query(settings: Settings, to: str, text: str, ref: str) -> str:
    """The sendsms query string for one reply (its own bytes: UCS-2 is not UTF-8)."""
    count = count_segments(text)
    if count.segments > MAX_SEGMENTS:
        raise PermanentSendError(f"reply needs {count.segments} SMS", code="too_long")
    params: list[tuple[str, str | bytes]] = [
        ("username", settings.kannel_sendsms_username),
        ("password", settings.kannel_sendsms_password),
        ("to", to),
    ]
    if settings.kannel_from:
        params.append(("from", settings.kannel_from))
    if count.encoding == "GSM-7":
        params += [("text", text.encode("utf-8")), ("coding", "0"), ("charset", "UTF-8")]
    else:
        params += [("text", text.encode("utf-16-be")), ("coding", "2"), ("charset", "UTF-16BE")]
    params += [("dlr-mask", str(DLR_MASK)), ("dlr-url", dlr_url(settings, ref))]
    return urlencode(params, quote_via=quote)


class KannelSender:
    """Replies through sendsms, from SATUPINTU_KANNEL_FROM (the shortcode)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session = _session(os.getpid())

    def send(self, message: OutboundMessage) -> SendResult:
        to = _number(message.to)
        ref = new_ref()
        query = sendsms_query(self.settings, to, message.text, ref)
        try:
            response = self.session.get(
                f"{self.settings.kannel_sendsms_url}?{query}", timeout=SEND_TIMEOUT_SECONDS
            )
        except requests.RequestException as exc:
            # from None: requests' own message holds the URL, with the number, the text and
            # the sendsms password, and rq logs a retried job's whole exception chain.
            raise TransientSendError(f"kannel unreachable: {type(exc).__name__}") from None
        answer = response.text.strip()[:80]
        if response.status_code in (200, 202):
            # "0: Accepted for delivery", "3: Queued for later delivery" (bearerbox away).
            return SendResult(external_id=ref, status="sent")
        raise _send_error(response.status_code, answer)


@functools.lru_cache(maxsize=2)
def _session(pid: int) -> requests.Session:
    """One HTTP session per process (a forked worker gets its own): its urllib3 pool keeps
    the connection to smsbox open from one reply to the next instead of one per reply."""
    return requests.Session()


def sender(settings: Settings) -> KannelSender | None:
    """The SMS sender, or None while sendsms is not configured."""
    return KannelSender(settings) if sends(settings) else None


def _number(urn: str) -> str:
    scheme, _, number = urn.partition(":")
    if scheme != "tel" or not number.startswith("+"):
        raise PermanentSendError("not a phone number contact", code="no_phone")
    return number


# Kannel's 400s name the request, not the moment: sending it again gets the same refusal.
_PERMANENT_WORDS = (
    ("denied", "number_denied"),  # the sendsms-user's allowed-/denied-prefix lists
    ("receiver", "bad_receiver"),  # "Missing receiver number", "Invalid receiver"
    ("empty text", "empty_text"),
)


def _send_error(status: int, answer: str) -> PermanentSendError | TransientSendError:
    """Kannel's answer as one of our two failures; the reason carries no number or text."""
    lowered = answer.lower()
    if status == 400:
        code = next((c for words, c in _PERMANENT_WORDS if words in lowered), "rejected")
        return PermanentSendError(f"kannel refused the reply: {code}", code=code)
    if status in (401, 403):
        log.error(
            "kannel refused our credentials: check SATUPINTU_KANNEL_SENDSMS_USERNAME/PASSWORD"
        )
    # Everything else (5xx, credentials being fixed, a proxy's error page) may pass: retried.
    return TransientSendError(f"kannel answered {status}", code=f"http_{status}")
