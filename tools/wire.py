"""Requests as providers and apps really send them, as raw HTTP/1.1 bytes.

Twilio SMS webhooks signed with the account's auth token (the twilio library's
RequestValidator), JSON API submissions with an Idempotency-Key, web form posts with a CSRF
token, and Twitter/X Account Activity events signed with the consumer secret. tools/traffic.py
fills them with citizens' words; tools/loadgen.py writes them to sockets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

SMS_PATH = "/webhooks/twilio/sms"
API_PATH = "/api/v1/complaints"
FORM_PATH = "/"
TWITTER_PATH = "/webhooks/twitter"
CHANNELS = ("sms", "api", "web", "twitter")


@dataclass(frozen=True)
class Target:
    """Where to send, and what the gateway is configured with to check what it receives."""

    url: str  # where to connect, e.g. http://127.0.0.1:8000
    public_url: str = ""  # the URL providers sign (SATUPINTU_PUBLIC_URL); default: url
    twilio_auth_token: str = ""
    twilio_account_sid: str = "AC" + "0" * 32
    shortcode: str = "1708"
    twitter_consumer_secret: str = ""
    twitter_user_id: str = ""
    twitter_handle: str = "lapor1708"

    @property
    def host_header(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def signed_base(self) -> str:
        return (self.public_url or self.url).rstrip("/")

    def channels(self) -> tuple[str, ...]:
        """The channels this target can take: SMS and Twitter only with their secrets."""
        return tuple(
            c
            for c in CHANNELS
            if (c != "sms" or self.twilio_auth_token)
            and (c != "twitter" or (self.twitter_consumer_secret and self.twitter_user_id))
        )


@dataclass(frozen=True)
class FormSession:
    """A browser's session cookie and the CSRF token of the form it loaded."""

    cookie: str
    csrf_token: str


@dataclass(frozen=True)
class Prepared:
    """One request ready to write to a socket."""

    channel: str
    key: str  # the message's id at its provider: MessageSid, Idempotency-Key, tweet id...
    wire: bytes
    retry: bool = False


def _wire(target: Target, path: str, body: bytes, headers: Mapping[str, str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {target.host_header}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def sms_request(target: Target, sid: str, sender: str, text: str) -> bytes:
    """A Twilio inbound-SMS webhook: the form Twilio posts, signed as Twilio signs it."""
    params = {
        "ToCountry": "ID",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "Aceh",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": text,
        "FromCountry": "ID",
        "To": target.shortcode,
        "ToZip": "",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": target.twilio_account_sid,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    url = target.signed_base + SMS_PATH
    signature = RequestValidator(target.twilio_auth_token).compute_signature(url, params)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        "User-Agent": "TwilioProxy/1.1",
    }
    return _wire(target, SMS_PATH, urlencode(params).encode(), headers)


def api_request(target: Target, key: str, fields: Mapping[str, object]) -> bytes:
    body = json.dumps(fields, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": key,
        "User-Agent": "satupintu-simulate",
    }
    return _wire(target, API_PATH, body, headers)


def form_request(target: Target, session: FormSession, fields: Mapping[str, str]) -> bytes:
    body = urlencode({"csrf_token": session.csrf_token, **fields}).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": session.cookie,
        "Referer": target.url.rstrip("/") + "/",
        "Accept-Language": "id",
        "User-Agent": "satupintu-simulate",
    }
    return _wire(target, FORM_PATH, body, headers)


def twitter_request(target: Target, tweet_id: str, author_id: str, text: str) -> bytes:
    """An Account Activity ``tweet_create_events`` delivery, signed as X signs it."""
    created = datetime.now(UTC).strftime("%a %b %d %H:%M:%S +0000 %Y")
    payload = {
        "for_user_id": target.twitter_user_id,
        "user_has_blocked": "false",
        "tweet_create_events": [
            {
                "created_at": created,
                "id": int(tweet_id),
                "id_str": tweet_id,
                "text": f"@{target.twitter_handle} {text}",
                "truncated": False,
                "in_reply_to_status_id_str": None,
                "in_reply_to_user_id_str": target.twitter_user_id,
                "user": {
                    "id": int(author_id),
                    "id_str": author_id,
                    "name": "Warga Aceh Tengah",
                    "screen_name": f"warga{author_id[-6:]}",
                },
                "entities": {
                    "user_mentions": [
                        {"id_str": target.twitter_user_id, "screen_name": target.twitter_handle}
                    ]
                },
            }
        ],
    }
    body = json.dumps(payload).encode()
    digest = hmac.new(target.twitter_consumer_secret.encode(), body, hashlib.sha256).digest()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode(),
        "User-Agent": "Twitter-Webhooks",
    }
    return _wire(target, TWITTER_PATH, body, headers)


def fetch_form_session(target: Target, timeout: float = 10.0) -> FormSession:
    """Load the form once, as a browser would: its session cookie and CSRF token."""
    parts = urlsplit(target.url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.netloc, timeout=timeout)
    try:
        connection.request("GET", "/", headers={"Accept-Language": "id"})
        response = connection.getresponse()
        page = response.read().decode("utf-8", "replace")
        cookies = response.headers.get_all("Set-Cookie") or []
    finally:
        connection.close()
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if response.status != 200 or found is None:
        raise RuntimeError(f"the form at {target.url}/ gave no CSRF token (HTTP {response.status})")
    cookie = "; ".join(c.split(";", 1)[0] for c in cookies)
    return FormSession(cookie=cookie, csrf_token=found.group(1))
