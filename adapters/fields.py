"""Fields the web form, the JSON API and Open311 share: place, category, coordinates, contact.

Each check returns the clean value or raises ``FieldProblem(field, code)``; every adapter
words the code for its own audience (Bahasa Indonesia on the form, English in the APIs).
Hostile input is refused here, once for every adapter: JSON bodies nested too deep, lone
surrogates (text that cannot be stored), dates Python cannot carry to UTC, and contacts
longer than the column that keeps them.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from config.reference import DESA_LEVEL, KECAMATAN_LEVEL, Category, Place
from normalizer.text import is_blank
from normalizer.urns import InvalidContact, contact_urn

MAX_NAME_CHARS = 120
MAX_CONTACT_CHARS = 254
MAX_NUMBER_CHARS = 32
# contacts.urn and quarantine.contact_urn are VARCHAR(255); a test reads the columns. An
# accepted contact that did not fit would be acknowledged and then fail to store for good.
MAX_URN_CHARS = 255
# Honest bodies of our APIs nest two levels; the limit refuses bombs before any field check.
MAX_JSON_DEPTH = 16
# What a date parameter may name: beyond these, time zones overflow Python's calendar
# (0001-01-01T00:00+14:00 is year 0 in UTC) and nothing was filed anyway.
EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(3000, 1, 1, tzinfo=UTC)
MAX_TIME_CHARS = 40
_SURROGATE = re.compile("[\ud800-\udfff]")
PRIVACY_VALUES = ("public", "anonymous", "confidential")
# A complaint's fields as the form and the JSON API both name them (Open311 has its own).
COMPLAINT_FIELDS = (
    "description",
    "name",
    "contact",
    "kecamatan",
    "desa",
    "category",
    "latitude",
    "longitude",
    "privacy",
)


class FieldProblem(ValueError):
    """``field`` is wrong in the way ``code`` names (required, too_long, unknown, ...)."""

    def __init__(self, field: str, code: str, limit: int | None = None) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
        self.limit = limit


@dataclass(frozen=True)
class ServiceArea:
    """A latitude/longitude box the district's complaints must fall in."""

    south: float
    west: float
    north: float
    east: float

    @classmethod
    def parse(cls, text: str) -> ServiceArea:
        """``"south,west,north,east"`` in degrees (the SATUPINTU_SERVICE_AREA setting)."""
        try:
            south, west, north, east = (float(part) for part in text.split(","))
        except ValueError as exc:
            raise ValueError(f"service area must be south,west,north,east: {text!r}") from exc
        if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
            raise ValueError(f"service area is not a box: {text!r}")
        return cls(south, west, north, east)

    def contains(self, latitude: float, longitude: float) -> bool:
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east


@dataclass(frozen=True)
class IntakeRules:
    """The reference data the checks need; built once per process."""

    kecamatan: Mapping[str, str]  # code -> name
    desa: Mapping[str, tuple[str, str]]  # code -> (name, kecamatan code)
    categories: Mapping[str, Category]
    area: ServiceArea
    max_description_chars: int
    region: str = "ID"
    # A kecamatan's name (place_key) -> its code, for names no other kecamatan shares.
    kecamatan_names: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        places: Iterable[Place],
        categories: Iterable[Category],
        *,
        area: ServiceArea,
        max_description_chars: int,
        region: str = "ID",
    ) -> IntakeRules:
        places = list(places)
        kecamatan = {p.code: p.name for p in places if p.level == KECAMATAN_LEVEL}
        return cls(
            kecamatan=kecamatan,
            kecamatan_names=unambiguous_names(kecamatan),
            desa={p.code: (p.name, p.parent_code or "") for p in places if p.level == DESA_LEVEL},
            categories={c.code: c for c in categories},
            area=area,
            max_description_chars=max_description_chars,
            region=region,
        )


# --- hostile text and JSON -----------------------------------------------------------------


def has_lone_surrogate(text: str) -> bool:
    """A UTF-16 half on its own (JSON's ``"\\ud800"``): no UTF-8 encoder, Redis or DB takes it."""
    return _SURROGATE.search(text) is not None


def replace_lone_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate (in keys and strings, at any depth) made U+FFFD.

    For payloads that must be stored whatever they hold (a provider's, signed, that retries
    a refused delivery forever); what citizens and partners send is refused instead.
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if has_lone_surrogate(value) else value
    if isinstance(value, list):
        return [replace_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {replace_lone_surrogates(k): replace_lone_surrogates(v) for k, v in value.items()}
    return value


def _deep_field(text: str, limit: int) -> str:
    """The top-level key under which ``text`` nests deeper than ``limit`` ("" if none)."""
    depth, in_string, escaped, start, key, candidate = 0, False, False, None, "", ""
    for index, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                if start is not None:
                    candidate = text[start:index]
            continue
        if ch == '"':
            in_string, start = True, index + 1 if depth == 1 else None
        elif ch in "[{":
            depth += 1
            if depth > limit:
                break
        elif ch in "]}":
            depth -= 1
        elif ch == ":" and depth == 1:
            key = candidate
    try:
        return _SURROGATE.sub("\ufffd", json.loads(f'"{key}"'))
    except ValueError:
        return ""


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are each given once: a second value is refused, not guessed."""
    body = dict(pairs)
    if len(body) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return body


def parse_json(data: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON request body, refused (FieldProblem) when it cannot be carried safely.

    Codes: ``not_json`` (field ""), ``too_deep`` (the top-level field it happens under, ""
    for the body itself), ``invalid_text`` (the top-level field holding a lone surrogate),
    ``duplicated`` (a key given twice in one object).
    """
    try:
        text = data.decode("utf-8")
        body = json.loads(text, object_pairs_hook=_object_once)
    except _DuplicateKey as duplicate:
        raise FieldProblem(_SURROGATE.sub("\ufffd", duplicate.key), "duplicated") from None
    except RecursionError:
        raise FieldProblem(_deep_field(text, max_depth), "too_deep", max_depth) from None
    except ValueError:
        raise FieldProblem("", "not_json") from None
    # Iteratively: the walk itself must not be the recursion the limit prevents.
    stack: list[tuple[Any, int, str]] = [(body, 0, "")]
    while stack:
        value, depth, top = stack.pop()
        if isinstance(value, dict | list):
            if depth >= max_depth:
                raise FieldProblem(top, "too_deep", max_depth)
            items = value.items() if isinstance(value, dict) else (("", v) for v in value)
            for key, item in items:
                field = top or (key if depth == 0 and isinstance(value, dict) else "")
                if has_lone_surrogate(key):
                    raise FieldProblem(_SURROGATE.sub("\ufffd", field), "invalid_text")
                stack.append((item, depth + 1, field))
        elif isinstance(value, str) and has_lone_surrogate(value):
            raise FieldProblem(top, "invalid_text")
    return body


def fingerprint(body: Any) -> str:
    """The same JSON document always has the same fingerprint, whatever its key order.

    What a submission key or Idempotency-Key was first used with: the same key with another
    fingerprint is another submission, refused rather than silently answered as the first.
    """
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def check_time(field: str, value: object, *, assume: tzinfo | None = None) -> datetime:
    """An ISO 8601 / W3C date-time parameter as aware UTC, within the calendar we serve.

    Without a zone it is refused, or read in ``assume`` when given. Codes: ``not_a_time``,
    ``out_of_range`` (before 1900, from 3000 on, or beyond what UTC can express).
    """
    if not isinstance(value, str) or len(value) > MAX_TIME_CHARS:
        raise FieldProblem(field, "not_a_time")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FieldProblem(field, "not_a_time") from None
    if parsed.tzinfo is None:
        if assume is None:
            raise FieldProblem(field, "not_a_time")
        parsed = parsed.replace(tzinfo=assume)
    try:
        moment = parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # 0001-01-01T00:00+14:00, 9999-12-31T23:59-14:00
        raise FieldProblem(field, "out_of_range") from None
    if not EARLIEST_TIME <= moment < LATEST_TIME:
        raise FieldProblem(field, "out_of_range")
    return moment


# --- fields --------------------------------------------------------------------------------


def check_text(field: str, value: object, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FieldProblem(field, "not_text")
    if has_lone_surrogate(value):
        raise FieldProblem(field, "invalid_text")
    if required and is_blank(value):
        raise FieldProblem(field, "required")
    if len(value) > limit:
        raise FieldProblem(field, "too_long", limit)
    return value


def place_key(name: str) -> str:
    """A place name as people type it, made comparable: case, spacing and a leading
    "Kecamatan" / "Kec." forgiven ("kec. laut  tawar" is "Laut Tawar")."""
    words = name.casefold().replace(".", ". ").split()
    if words and words[0] in {"kecamatan", "kec."}:
        words = words[1:]
    return " ".join(words)


def unambiguous_names(codes_to_names: Mapping[str, str]) -> dict[str, str]:
    """place_key(name) -> code, leaving out any name two places share."""
    found: dict[str, set[str]] = {}
    for code, name in codes_to_names.items():
        found.setdefault(place_key(name), set()).add(code)
    return {key: codes.pop() for key, codes in found.items() if len(codes) == 1}


def check_place(
    kecamatan: str | None, desa: str | None, rules: IntakeRules
) -> tuple[str | None, str | None]:
    """(kecamatan, desa) codes; a desa alone brings its kecamatan, a mismatch is refused.
    A kecamatan may be given by its name where no other kecamatan has it (issue 23)."""
    kecamatan = (kecamatan or "").strip() or None
    desa = (desa or "").strip() or None
    if kecamatan is not None and kecamatan not in rules.kecamatan:
        kecamatan = rules.kecamatan_names.get(place_key(kecamatan), kecamatan)
    if kecamatan is not None and kecamatan not in rules.kecamatan:
        raise FieldProblem("kecamatan", "unknown")
    if desa is not None:
        if desa not in rules.desa:
            raise FieldProblem("desa", "unknown")
        parent = rules.desa[desa][1]
        if kecamatan is not None and parent != kecamatan:
            raise FieldProblem("desa", "not_in_kecamatan")
        kecamatan = parent
    return kecamatan, desa


def check_category(code: str | None, rules: IntakeRules) -> str | None:
    code = (code or "").strip() or None
    if code is not None and code not in rules.categories:
        raise FieldProblem("category", "unknown")
    return code


def _number(field: str, value: object) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldProblem(field, "not_a_number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_CHARS:
            raise FieldProblem(field, "not_a_number")
        # Indonesian keyboards write a decimal comma.
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError as exc:
            raise FieldProblem(field, "not_a_number") from exc
    else:
        raise FieldProblem(field, "not_a_number")
    if not math.isfinite(number):
        raise FieldProblem(field, "not_a_number")
    return number


def check_coordinates(
    latitude: object,
    longitude: object,
    rules: IntakeRules,
    *,
    names: tuple[str, str] = ("latitude", "longitude"),
) -> tuple[float | None, float | None]:
    """Both or neither; each in range; the point inside the district's service area."""
    lat, lon = _number(names[0], latitude), _number(names[1], longitude)
    if lat is None and lon is None:
        return None, None
    if lat is None:
        raise FieldProblem(names[0], "required")
    if lon is None:
        raise FieldProblem(names[1], "required")
    if not -90 <= lat <= 90:
        raise FieldProblem(names[0], "out_of_range")
    if not -180 <= lon <= 180:
        raise FieldProblem(names[1], "out_of_range")
    if not rules.area.contains(lat, lon):
        raise FieldProblem(names[0], "outside_area")
    return lat, lon


def check_contact(field: str, value: object, rules: IntakeRules) -> str:
    """A contact URN (``tel:+62...`` or ``mailto:...``) or "" when none was given."""
    text = check_text(field, value, MAX_CONTACT_CHARS).strip()
    if not text:
        return ""
    try:
        urn = contact_urn(text, rules.region)
    except InvalidContact as exc:
        raise FieldProblem(field, "invalid_contact") from exc
    if len(urn) > MAX_URN_CHARS:
        # The longest email that fits with its "mailto:".
        raise FieldProblem(field, "too_long", MAX_URN_CHARS - len(urn) + len(text))
    return urn
