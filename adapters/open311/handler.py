"""Open311 GeoReport v2: a POST requests body -> InboundMessage; errors as Open311 says.

Fields read (application/x-www-form-urlencoded or multipart): ``service_code`` (a category,
or ``lainnya`` to let officers sort it), ``description``, a location (``lat``+``long``,
``address_string``, ``address_id`` = a Kemendagri kecamatan/desa code, or
``attribute[kecamatan]``/``attribute[desa]``), ``media_url``, ``email``, ``phone``,
``first_name``, ``last_name``, ``attribute[privacy]``; ``jurisdiction_id``, ``device_id``
and ``account_id`` are kept in raw, and so are attributes another city defined. ``api_key``
is checked by the gateway. A field given twice is refused rather than guessed between.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit

from adapters.fields import (
    MAX_NAME_CHARS,
    PRIVACY_VALUES,
    FieldProblem,
    IntakeRules,
    check_contact,
    check_coordinates,
    check_place,
    check_text,
)
from normalizer.records import Channel, InboundMessage, Media
from normalizer.text import clean_text

NAME = "open311"
OTHER_SERVICE = "lainnya"  # no category: officers (and the normalizer) sort it
MAX_ADDRESS_CHARS = 500
MAX_URL_CHARS = 2048
MAX_ID_CHARS = 100
MAX_OTHER_ATTRIBUTES = 20
SINGLE_FIELDS = (
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
)
ATTRIBUTES = ("kecamatan", "desa", "privacy")
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]*)\](\[\])?$")

DESCRIPTIONS = {
    "required": "{field} is required",
    "not_text": "{field} must be text",
    "invalid_text": "{field} holds a lone surrogate, which is not text",
    "too_long": "{field} must be at most {limit} characters",
    "unknown": "{field} is not one of the allowed values",
    "not_in_kecamatan": "{field} is not a village of the given kecamatan",
    "not_a_number": "{field} must be a number",
    "out_of_range": "{field} is out of range",
    "outside_area": "lat/long is outside the district this service covers",
    "invalid_contact": "{field} is not a valid contact",
    "duplicated": "{field} was given more than once",
    "no_location": "a location is required: lat and long, address_string, address_id "
    "or attribute[kecamatan]",
    "not_a_url": "{field} must be an http or https URL",
    "unknown_service": "service_code {value} was not found",
}


@dataclass(frozen=True)
class Open311Error:
    """One entry of an Open311 error array."""

    code: int
    description: str


class Open311Errors(ValueError):
    """What a request got wrong, as the array Open311 clients read; ``status`` is HTTP's."""

    def __init__(self, status: int, errors: list[Open311Error]) -> None:
        super().__init__("; ".join(e.description for e in errors))
        self.status = status
        self.errors = errors


def error(status: int, description: str) -> Open311Errors:
    return Open311Errors(status, [Open311Error(status, description)])


class _Collector:
    def __init__(self) -> None:
        self.errors: list[Open311Error] = []

    def add(self, code: str, field: str = "", *, limit: int | None = None, value: str = ""):
        text = DESCRIPTIONS[code].format(field=field, limit=limit, value=value[:80])
        self.errors.append(Open311Error(400, text))

    def run(self, check, default=None):
        try:
            return check()
        except FieldProblem as problem:
            field = {"latitude": "lat", "longitude": "long"}.get(problem.field, problem.field)
            self.add(problem.code, field, limit=problem.limit)
            return default


class FormLike(Protocol):
    """What the parser needs of a form: every value a name was given (werkzeug MultiDict)."""

    def getlist(self, key: str) -> list[str]: ...

    def keys(self) -> Iterable[str]: ...


def _single(form: FormLike, checks: _Collector) -> dict[str, str]:
    values = {}
    for name in SINGLE_FIELDS:
        given = form.getlist(name)
        if len(given) > 1:
            checks.add("duplicated", name)
        if given:
            values[name] = given[0]
    return values


def _attributes(form: FormLike, checks: _Collector) -> tuple[dict[str, str], dict[str, list]]:
    """(our attributes, the others): another city's attributes are kept in raw, not refused."""
    attributes: dict[str, str] = {}
    others: dict[str, list[str]] = {}
    for key in form.keys():  # noqa: SIM118 - a MultiDict, not a dict
        match = _ATTRIBUTE.match(key)
        if match is None:
            continue
        name = match.group(1)
        given = form.getlist(key)
        if name not in ATTRIBUTES:
            if len(others) < MAX_OTHER_ATTRIBUTES:
                others[name[:MAX_ID_CHARS]] = [value[:MAX_ID_CHARS] for value in given[:10]]
        elif len(given) > 1 or name in attributes:
            checks.add("duplicated", f"attribute[{name}]")
        else:
            attributes[name] = given[0]
    return attributes, others


def _media(url: str, checks: _Collector) -> tuple[Media, ...]:
    url = url.strip()
    if not url:
        return ()
    try:
        parts = urlsplit(url) if len(url) <= MAX_URL_CHARS else None
    except ValueError:  # "http://[": an unclosed IPv6 address
        parts = None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.netloc:
        checks.add("not_a_url", "media_url")
        return ()
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        checks.add("not_a_url", "media_url")
        return ()
    return (Media(url=url),)


def _sender(values: dict[str, str], rules: IntakeRules, checks: _Collector) -> str:
    """A phone number is preferred (SMS reaches everyone); an email otherwise."""
    phone = checks.run(lambda: check_contact("phone", values.get("phone"), rules), "")
    if phone.startswith("mailto:"):
        checks.add("invalid_contact", "phone")
        phone = ""
    email = values.get("email", "").strip()
    if email and "@" not in email:
        checks.add("invalid_contact", "email")
        email = ""
    email_urn = checks.run(lambda: check_contact("email", email, rules), "") if email else ""
    return phone or email_urn


def parse(
    form: FormLike,
    rules: IntakeRules,
    *,
    partner: str,
    idempotency_key: str | None = None,
    received_at: datetime | None = None,
) -> InboundMessage:
    """Validate a POST requests body; raises Open311Errors (400) listing every problem."""
    checks = _Collector()
    values = _single(form, checks)
    attributes, other_attributes = _attributes(form, checks)

    service = values.get("service_code", "").strip()
    if not service:
        checks.add("required", "service_code")
    elif service != OTHER_SERVICE and service not in rules.categories:
        checks.add("unknown_service", value=service)
    description = checks.run(
        lambda: check_text(
            "description", values.get("description"), rules.max_description_chars, required=True
        ),
        "",
    )
    address = checks.run(
        lambda: check_text("address_string", values.get("address_string"), MAX_ADDRESS_CHARS), ""
    )
    lat, lon = checks.run(
        lambda: check_coordinates(
            values.get("lat"), values.get("long"), rules, names=("latitude", "longitude")
        ),
        (None, None),
    )
    address_id = values.get("address_id", "").strip()
    kecamatan_given = attributes.get("kecamatan", "")
    desa_given = attributes.get("desa", "")
    if address_id:
        if address_id in rules.desa and not desa_given:
            desa_given = address_id
        elif address_id in rules.kecamatan and not kecamatan_given:
            kecamatan_given = address_id
        elif address_id not in rules.desa and address_id not in rules.kecamatan:
            checks.add("unknown", "address_id")
    kecamatan, desa = checks.run(
        lambda: check_place(kecamatan_given, desa_given, rules), (None, None)
    )
    located = values.get("lat") or values.get("long") or address.strip() or address_id
    if not located and not (kecamatan_given or desa_given):
        checks.add("no_location")
    privacy = attributes.get("privacy", "public").strip() or "public"
    if privacy not in PRIVACY_VALUES:
        checks.add("unknown", "attribute[privacy]")
    sender = _sender(values, rules, checks)
    names = " ".join(
        part.strip()
        for part in (values.get("first_name", ""), values.get("last_name", ""))
        if part.strip()
    )
    if len(names) > MAX_NAME_CHARS:
        checks.add("too_long", "first_name/last_name", limit=MAX_NAME_CHARS)
    for name in ("device_id", "account_id", "jurisdiction_id"):
        if len(values.get(name, "")) > MAX_ID_CHARS:
            checks.add("too_long", name, limit=MAX_ID_CHARS)
    media = _media(values.get("media_url", ""), checks)
    if checks.errors:
        raise Open311Errors(400, checks.errors)

    text = description if not address.strip() else f"{description}\n\nAlamat: {address.strip()}"
    declared = {"privacy": privacy}
    for key, value in (
        ("category", service if service != OTHER_SERVICE else None),
        ("kecamatan_code", kecamatan),
        ("desa_code", desa),
    ):
        if value:
            declared[key] = value
    raw = {k: v for k, v in values.items() if k != "api_key"}
    if attributes or other_attributes:
        raw["attribute"] = {**other_attributes, **attributes}
    return InboundMessage(
        channel=Channel.OPEN311,
        provider=f"{NAME}:{partner}",
        external_id=f"{partner}/{idempotency_key or uuid.uuid4().hex}",
        sender=sender,
        sender_name=clean_text(names, MAX_NAME_CHARS),
        text=text,
        received_at=received_at or datetime.now(UTC),
        latitude=lat,
        longitude=lon,
        media=media,
        declared=declared,
        raw=raw,
    )
