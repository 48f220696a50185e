"""Fields the web form, the JSON API and Open311 share: place, category, coordinates, contact.

Each check returns the clean value or raises ``FieldProblem(field, code)``; every adapter
words the code for its own audience (Bahasa Indonesia on the form, English in the APIs).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from config.reference import DESA_LEVEL, KECAMATAN_LEVEL, Category, Place
from normalizer.text import is_blank
from normalizer.urns import InvalidContact, contact_urn

MAX_NAME_CHARS = 120
MAX_CONTACT_CHARS = 254
MAX_NUMBER_CHARS = 32
PRIVACY_VALUES = ("public", "anonymous", "confidential")


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


def check_text(field: str, value: object, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FieldProblem(field, "not_text")
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
        return contact_urn(text, rules.region)
    except InvalidContact as exc:
        raise FieldProblem(field, "invalid_contact") from exc
