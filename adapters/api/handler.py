"""JSON API: request bodies of ``/api/v1`` -> InboundMessage, with field errors in English.

``POST /api/v1/complaints`` takes ``description`` (required), ``name``, ``contact``,
``kecamatan``, ``desa``, ``category``, ``privacy`` (public / anonymous / confidential),
``latitude``/``longitude`` and ``language`` (id / en); unknown fields are refused so a typo
never silently drops what the app meant. The ``Idempotency-Key`` header is the external id:
a repeat is the same message. ``POST .../<tracking_id>/messages`` takes ``citizen_secret``,
``text`` and optionally ``resolution_answer`` (accepted / rejected).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters import fields
from adapters.fields import (
    MAX_NAME_CHARS,
    PRIVACY_VALUES,
    FieldProblem,
    IntakeRules,
    check_category,
    check_contact,
    check_coordinates,
    check_place,
    check_text,
)
from normalizer.citizen_secret import hash_citizen_secret
from normalizer.records import Channel, InboundMessage, Intent
from normalizer.text import clean_text

NAME = "api"
# A UUID fits; so does any client's own 16-64 character token. Nothing else reaches Redis keys.
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
COMPLAINT_FIELDS = frozenset({*fields.COMPLAINT_FIELDS, "language"})
MESSAGE_FIELDS = frozenset({"citizen_secret", "text", "resolution_answer"})
LANGUAGES = ("id", "en")
RESOLUTION_ANSWERS = ("accepted", "rejected")

MESSAGES = {
    "required": "is required",
    "not_text": "must be a string",
    "too_long": "must be at most {limit} characters",
    "unknown": "is not one of the allowed values",
    "not_in_kecamatan": "is not a village of the given kecamatan",
    "not_a_number": "must be a number",
    "out_of_range": "is out of range",
    "outside_area": "is outside the district this service covers",
    "invalid_contact": "is neither a phone number nor an email address",
    "unexpected": "is not a field of this request",
    "malformed": "is not a citizen secret (12 letters and digits, e.g. ABCD-EFGH-1234)",
    "not_an_object": "the body must be a JSON object",
    "not_json": "the body is not valid JSON",
    "too_deep": "is nested deeper than {limit} levels",
    "duplicated": "was given more than once",
    "invalid_text": "contains a lone surrogate (\\ud800-\\udfff), which is not text",
}


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class InvalidRequest(ValueError):
    """The body has bad fields; ``errors`` lists every one."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field} {e.message}" for e in errors))
        self.errors = errors


# Where an "unknown" value's allowed ones are listed (issue 23: a partner must learn them).
ALLOWED = {
    "kecamatan": "a kecamatan code (or its name) from GET /api/v1/places",
    "desa": "a desa code from GET /api/v1/places",
    "category": "a category code from GET /api/v1/categories",
    "privacy": "one of " + ", ".join(PRIVACY_VALUES),
    "language": "one of " + ", ".join(LANGUAGES),
    "resolution_answer": "one of " + ", ".join(RESOLUTION_ANSWERS),
}


def field_error(field: str, code: str, limit: int | None = None) -> FieldError:
    message = MESSAGES[code].format(limit=limit)
    if code == "unknown" and field in ALLOWED:
        message = f"{message}: use {ALLOWED[field]}"
    return FieldError(field, code, message)


class _Collector:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self._seen: set[str] = set()

    def run(self, check, default=None):
        try:
            return check()
        except FieldProblem as problem:
            self.add(problem.field, problem.code, problem.limit)
            return default

    def add(self, field: str, code: str, limit: int | None = None) -> None:
        if field not in self._seen:
            self._seen.add(field)
            self.errors.append(field_error(field, code, limit))


def _object(body: Any, allowed: frozenset[str]) -> tuple[dict[str, Any], _Collector]:
    checks = _Collector()
    if not isinstance(body, dict):
        raise InvalidRequest([field_error("", "not_an_object")])
    for name in sorted(set(body) - allowed):
        checks.add(name, "unexpected")
    return body, checks


def _choice(checks: _Collector, body: dict[str, Any], name: str, allowed: tuple[str, ...]):
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        checks.add(name, "unknown")
        return None
    return value


def _code(checks: _Collector, body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        checks.add(name, "not_text")
        return None
    return value


def parse_complaint(
    body: Any,
    idempotency_key: str,
    rules: IntakeRules,
    *,
    partner: str | None = None,
    received_at: datetime | None = None,
) -> InboundMessage:
    """Validate a new complaint; raises InvalidRequest listing every bad field."""
    body, checks = _object(body, COMPLAINT_FIELDS)
    description = checks.run(
        lambda: check_text(
            "description", body.get("description"), rules.max_description_chars, required=True
        ),
        "",
    )
    name = checks.run(lambda: check_text("name", body.get("name"), MAX_NAME_CHARS), "")
    sender = checks.run(lambda: check_contact("contact", body.get("contact"), rules), "")
    kecamatan = _code(checks, body, "kecamatan")
    desa = _code(checks, body, "desa")
    kecamatan, desa = checks.run(lambda: check_place(kecamatan, desa, rules), (None, None))
    category = _code(checks, body, "category")
    category = checks.run(lambda: check_category(category, rules))
    latitude, longitude = checks.run(
        lambda: check_coordinates(body.get("latitude"), body.get("longitude"), rules),
        (None, None),
    )
    if isinstance(body.get("latitude"), str) or isinstance(body.get("longitude"), str):
        # JSON has numbers; a string here is a client bug worth telling about.
        field = "latitude" if isinstance(body.get("latitude"), str) else "longitude"
        checks.add(field, "not_a_number")
    privacy = _choice(checks, body, "privacy", PRIVACY_VALUES) or "public"
    language = _choice(checks, body, "language", LANGUAGES)
    if not IDEMPOTENCY_KEY.match(idempotency_key):
        checks.add("Idempotency-Key", "unknown")
    if checks.errors:
        raise InvalidRequest(checks.errors)

    declared = {"privacy": privacy}
    for key, value in (
        ("kecamatan_code", kecamatan),
        ("desa_code", desa),
        ("category", category),
        ("language", language),
    ):
        if value:
            declared[key] = value
    return InboundMessage(
        channel=Channel.API,
        provider=NAME if partner is None else f"{NAME}:{partner}",
        external_id=external_id(idempotency_key, partner),
        sender=sender,
        sender_name=clean_text(name, MAX_NAME_CHARS),
        text=description,
        received_at=received_at or datetime.now(UTC),
        latitude=latitude,
        longitude=longitude,
        declared=declared,
        raw={"body": body, "idempotency_key": idempotency_key},
    )


def external_id(idempotency_key: str, partner: str | None = None) -> str:
    """Keys are scoped per partner key, so two partners' keys never collide."""
    return idempotency_key if partner is None else f"{partner}/{idempotency_key}"


@dataclass(frozen=True)
class CitizenMessage:
    inbound: InboundMessage
    secret_hash: str


def parse_message(
    body: Any,
    tracking_id: str,
    rules: IntakeRules,
    *,
    idempotency_key: str | None = None,
    received_at: datetime | None = None,
) -> CitizenMessage:
    """Validate a follow-up; the secret is checked against the case by the caller."""
    body, checks = _object(body, MESSAGE_FIELDS)
    answer = _choice(checks, body, "resolution_answer", RESOLUTION_ANSWERS)
    text = checks.run(
        lambda: check_text(
            "text", body.get("text"), rules.max_description_chars, required=answer is None
        ),
        "",
    )
    secret = body.get("citizen_secret")
    secret_hash = None
    if secret is None or secret == "":
        checks.add("citizen_secret", "required")
    elif not isinstance(secret, str):
        checks.add("citizen_secret", "not_text")
    else:
        secret_hash = hash_citizen_secret(secret)
        if secret_hash is None:
            checks.add("citizen_secret", "malformed")
    if idempotency_key is not None and not IDEMPOTENCY_KEY.match(idempotency_key):
        checks.add("Idempotency-Key", "unknown")
    if checks.errors or secret_hash is None:
        raise InvalidRequest(checks.errors)

    raw: dict[str, Any] = {
        "body": {k: v for k, v in body.items() if k != "citizen_secret"},
        "citizen_secret_hash": secret_hash,
    }
    if answer:
        raw["resolution_answer"] = answer
    return CitizenMessage(
        inbound=InboundMessage(
            channel=Channel.API,
            provider=NAME,
            external_id=f"msg/{tracking_id}/{idempotency_key or uuid.uuid4().hex}",
            sender="",
            text=text or "",
            received_at=received_at or datetime.now(UTC),
            declared={"intent": Intent.FOLLOW_UP.value, "target_tracking_id": tracking_id},
            raw=raw,
        ),
        secret_hash=secret_hash,
    )
