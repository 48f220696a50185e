"""Status pushes between SatuPintu peers: signed, dated, and read strictly.

A peer that took a case from us POSTs each status change to the callback URL we gave
(``/api/v1/federation/status``). The body is JSON; ``SatuPintu-Timestamp`` is the Unix time
it was signed at and ``SatuPintu-Signature`` is ``v1=`` + the hex HMAC-SHA256 of
``"<timestamp>." + body`` keyed with the SHA-256 (hex) of the partner key the peer issued to
us: the peer keeps only that hash, we hold the key itself in our connector key variable, so
both sides can sign and nobody else can. A push older (or newer) than the window is a replay.

Fields: ``origin_case_id`` (the token we forwarded the case under), ``remote_id`` (the
peer's tracking id), ``event_id`` (the peer's, unique per case), ``status`` (the peer's
status value), ``message`` (its words to the reporter, optional), ``at`` (optional).
Unknown fields are ignored (a newer peer may send more).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from adapters.federation.base import (  # noqa: F401 (the forward's headers, read by the API)
    CALLBACK_HEADER,
    ORIGIN_CASE_HEADER,
    RemoteRefused,
    call,
)

TIMESTAMP_HEADER = "SatuPintu-Timestamp"
SIGNATURE_HEADER = "SatuPintu-Signature"
CALLBACK_PATH = "/api/v1/federation/status"
WINDOW_SECONDS = 300
MAX_PUSH_BYTES = 64_000
MAX_MESSAGE_CHARS = 4000
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_EVENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
PEER_STATUSES = (
    "received",
    "verified",
    "dispatched",
    "bounced",
    "in_progress",
    "resolved",
    "closed",
    "rejected",
    "archived",
    "duplicate",
    "withdrawn",
)


class BadPush(ValueError):
    """A push refused before anything changed: ``field`` names what was wrong."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(f"{field} {message}")
        self.field, self.code, self.message = field, code, message


@dataclass(frozen=True)
class Push:
    """One status change of a case, as the peer states it."""

    origin_case_id: str
    remote_id: str
    event_id: str
    status: str
    message: str = ""
    at: str | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "origin_case_id": self.origin_case_id,
            "remote_id": self.remote_id,
            "event_id": self.event_id,
            "status": self.status,
        }
        if self.message:
            body["message"] = self.message
        if self.at:
            body["at"] = self.at
        return body


def signing_key(partner_key_hash: str) -> bytes:
    """The HMAC key: the SHA-256 hex of the partner key (what the issuing peer stores)."""
    return partner_key_hash.encode()


def key_hash(partner_key: str) -> str:
    return hashlib.sha256(partner_key.encode()).hexdigest()


def sign(partner_key_hash: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(
        signing_key(partner_key_hash), str(timestamp).encode() + b"." + body, hashlib.sha256
    )
    return "v1=" + digest.hexdigest()


def verify(partner_key_hash: str, headers: Any, body: bytes, now: float) -> None:
    """Raise BadPush naming the header when the signature or its time is not right."""
    stamp = headers.get(TIMESTAMP_HEADER)
    if not stamp:
        raise BadPush(TIMESTAMP_HEADER, "required", "is required")
    if not stamp.isdigit() or len(stamp) > 12:
        raise BadPush(TIMESTAMP_HEADER, "malformed", "must be a Unix time in seconds")
    age = now - int(stamp)
    if abs(age) > WINDOW_SECONDS:
        raise BadPush(
            TIMESTAMP_HEADER,
            "stale",
            f"is {int(abs(age))} s {'old' if age > 0 else 'ahead'}; "
            f"a push must be signed within {WINDOW_SECONDS} s",
        )
    given = headers.get(SIGNATURE_HEADER)
    if not given:
        raise BadPush(SIGNATURE_HEADER, "required", "is required")
    if not hmac.compare_digest(given.encode(), sign(partner_key_hash, int(stamp), body).encode()):
        raise BadPush(SIGNATURE_HEADER, "mismatch", "does not match the body and timestamp")


def read_push(body: Any) -> Push:
    """The push a parsed JSON body states; BadPush naming the first wrong field."""
    if not isinstance(body, dict):
        raise BadPush("", "not_an_object", "the body must be a JSON object")
    origin = _text(body, "origin_case_id", _ID)
    remote_id = _text(body, "remote_id", _ID)
    event_id = _text(body, "event_id", _EVENT_ID)
    status = body.get("status")
    if status is None:
        raise BadPush("status", "required", "is required")
    if status not in PEER_STATUSES:
        raise BadPush("status", "unknown", "is not one of " + ", ".join(PEER_STATUSES))
    message = body.get("message", "")
    if not isinstance(message, str):
        raise BadPush("message", "not_text", "must be a string")
    if len(message) > MAX_MESSAGE_CHARS:
        raise BadPush("message", "too_long", f"must be at most {MAX_MESSAGE_CHARS} characters")
    at = body.get("at")
    if at is not None and (not isinstance(at, str) or len(at) > 40):
        raise BadPush("at", "malformed", "must be an ISO 8601 time")
    return Push(origin, remote_id, event_id, status, message.strip(), at)


def _text(body: dict[str, Any], name: str, shape: re.Pattern[str]) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise BadPush(name, "required", "is required")
    if not isinstance(value, str):
        raise BadPush(name, "not_text", "must be a string")
    if not shape.match(value):
        raise BadPush(name, "malformed", "must be 1-100 letters, digits or - _ . :")
    return value


def send_push(url: str, partner_key_hash: str, push: Push, now: float) -> None:
    """POST one signed push; RemoteUnavailable to try later, RemoteRefused when the origin
    will not take it (4xx)."""
    body = json.dumps(push.as_json(), ensure_ascii=False).encode()
    stamp = int(now)
    status, answer = call(
        "POST",
        url,
        body=body,
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: sign(partner_key_hash, stamp, body),
        },
    )
    if status >= 400:
        detail = answer.get("detail") if isinstance(answer, dict) else None
        raise RemoteRefused(f"HTTP {status}: {str(detail or 'no detail')[:300]}")
