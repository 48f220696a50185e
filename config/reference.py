"""Reference data: the units that own complaints, the categories, the routing rules, the places.

Each loader reads one file from ``config/data/`` (or the path it is given), checks it, and
returns frozen dataclasses. A bad file raises ``ReferenceDataError`` (a ``ValueError``) naming
the file and the entry, so a deployment fails at start-up instead of misrouting complaints.
Loads of the default files are cached: every process reads them once.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from config.external_units import EXTERNAL_KEYS, ExternalLink, ExternalUnitError, external_link

DATA_DIR = Path(__file__).resolve().parent / "data"
UNITS_FILE = DATA_DIR / "units.toml"
CATEGORIES_FILE = DATA_DIR / "categories.toml"
ROUTING_FILE = DATA_DIR / "routing.toml"
GAZETTEER_FILE = DATA_DIR / "gazetteer_aceh_tengah.csv"

UNIT_KINDS = ("coordinator", "agency", "kecamatan")
CATEGORY_SCOPES = ("agency", "kecamatan")
KECAMATAN_LEVEL = 3
DESA_LEVEL = 4
GAZETTEER_COLUMNS = ("kode", "nama", "level", "level_name", "parent_kode")

_UNIT_CODE = re.compile(r"[a-z0-9][a-z0-9.\-]*")
_CATEGORY_CODE = re.compile(r"[a-z][a-z0-9_]*")


class ReferenceDataError(ValueError):
    """A reference data file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Unit:
    """A unit that can own a complaint: the coordinator, an agency (OPD) or a Kantor Camat."""

    code: str
    name: str
    name_en: str
    kind: str
    kecamatan_code: str | None = None
    link: ExternalLink | None = None  # set for a unit outside the district (external = true)

    @property
    def external(self) -> bool:
        return self.link is not None


@dataclass(frozen=True)
class Category:
    """What a complaint is about, with the words citizens use for it."""

    code: str
    name: str
    name_en: str
    keywords: tuple[str, ...]
    scope: str
    priority: int = 0


@dataclass(frozen=True)
class RoutingRule:
    """Complaints of ``category`` in ``kecamatan_code`` (None: anywhere) go to ``unit``."""

    category: str
    kecamatan_code: str | None
    unit: str


@dataclass(frozen=True)
class Place:
    """One gazetteer row: province (1), kabupaten (2), kecamatan (3) or desa/kelurahan (4)."""

    code: str
    name: str
    level: int
    parent_code: str | None


# --- public loaders -----------------------------------------------------------------------


def load_units(path: str | Path | None = None) -> tuple[Unit, ...]:
    """The units in ``path`` (default ``config/data/units.toml``), checked."""
    return _default_units() if path is None else _read_units(Path(path))


def load_categories(path: str | Path | None = None) -> tuple[Category, ...]:
    """The categories in ``path`` (default ``config/data/categories.toml``), checked."""
    return _default_categories() if path is None else _read_categories(Path(path))


def load_routing_rules(
    path: str | Path | None = None,
    *,
    units: Sequence[Unit] | None = None,
    categories: Sequence[Category] | None = None,
    places: Sequence[Place] | None = None,
) -> tuple[RoutingRule, ...]:
    """The rules in ``path`` (default ``config/data/routing.toml``), checked against the
    units, categories and places they name (the default files when not given).

    Categories with scope "kecamatan" get one rule per Kantor Camat (its own kecamatan)
    besides the rules written in the file.
    """
    if path is None and units is None and categories is None and places is None:
        return _default_routing_rules()
    return _read_routing_rules(
        ROUTING_FILE if path is None else Path(path),
        load_units() if units is None else units,
        load_categories() if categories is None else categories,
        load_gazetteer() if places is None else places,
    )


def load_gazetteer(path: str | Path | None = None) -> tuple[Place, ...]:
    """Every place in ``path`` (default ``config/data/gazetteer_aceh_tengah.csv``), checked."""
    return _default_gazetteer() if path is None else _read_gazetteer(Path(path))


def coordinator_of(units: Iterable[Unit]) -> Unit:
    """The one coordinator among ``units``."""
    found = [unit for unit in units if unit.kind == "coordinator"]
    if len(found) != 1:
        raise ReferenceDataError(f"expected exactly one coordinator unit, found {len(found)}")
    return found[0]


@cache
def _default_units() -> tuple[Unit, ...]:
    return _read_units(UNITS_FILE)


@cache
def _default_categories() -> tuple[Category, ...]:
    return _read_categories(CATEGORIES_FILE)


@cache
def _default_routing_rules() -> tuple[RoutingRule, ...]:
    return _read_routing_rules(ROUTING_FILE, load_units(), load_categories(), load_gazetteer())


@cache
def _default_gazetteer() -> tuple[Place, ...]:
    return _read_gazetteer(GAZETTEER_FILE)


# --- units --------------------------------------------------------------------------------


def _read_units(path: Path) -> tuple[Unit, ...]:
    entries = _table_list(path, read_toml(path), "unit")
    units = tuple(_unit(path, i, entry) for i, entry in enumerate(entries, 1))
    _require_unique(path, "unit code", [u.code for u in units])
    offices = [u.kecamatan_code for u in units if u.kind == "kecamatan"]
    _require_unique(path, "kecamatan_code of a kecamatan office", offices)
    coordinators = [u.code for u in units if u.kind == "coordinator"]
    if len(coordinators) != 1:
        raise ReferenceDataError(
            f"{path}: exactly one unit must have kind = 'coordinator', found "
            f"{len(coordinators)} ({', '.join(coordinators) or 'none'})"
        )
    return units


def _unit(path: Path, index: int, entry: Mapping[str, Any]) -> Unit:
    where = f"{path}: unit #{index} ({entry.get('code', '?')!r})"
    _require_keys(
        where,
        entry,
        required={"code", "name", "name_en", "kind"},
        optional={"kecamatan_code", *EXTERNAL_KEYS},
    )
    code = _text(where, entry, "code")
    if not _UNIT_CODE.fullmatch(code):
        raise ReferenceDataError(f"{where}: code must be lowercase letters, digits, '-' or '.'")
    kind = _text(where, entry, "kind")
    if kind not in UNIT_KINDS:
        raise ReferenceDataError(f"{where}: kind must be one of {', '.join(UNIT_KINDS)}")
    kecamatan_code = _text(where, entry, "kecamatan_code") if "kecamatan_code" in entry else None
    if (kind == "kecamatan") != (kecamatan_code is not None):
        raise ReferenceDataError(
            f"{where}: kecamatan_code is required for kind = 'kecamatan' and only for it"
        )
    try:
        link = external_link(where, entry)
    except ExternalUnitError as exc:
        raise ReferenceDataError(str(exc)) from exc
    return Unit(
        code=code,
        name=_text(where, entry, "name"),
        name_en=_text(where, entry, "name_en"),
        kind=kind,
        kecamatan_code=kecamatan_code,
        link=link,
    )


# --- categories ---------------------------------------------------------------------------


def _read_categories(path: Path) -> tuple[Category, ...]:
    entries = _table_list(path, read_toml(path), "category")
    categories = tuple(_category(path, i, entry) for i, entry in enumerate(entries, 1))
    _require_unique(path, "category code", [c.code for c in categories])
    # A keyword in two categories would make every message containing it a tie.
    _require_unique(path, "keyword", [_keyword_key(k) for c in categories for k in c.keywords])
    return categories


def _category(path: Path, index: int, entry: Mapping[str, Any]) -> Category:
    where = f"{path}: category #{index} ({entry.get('code', '?')!r})"
    _require_keys(
        where,
        entry,
        required={"code", "name", "name_en", "keywords", "scope"},
        optional={"priority"},
    )
    code = _text(where, entry, "code")
    if not _CATEGORY_CODE.fullmatch(code):
        raise ReferenceDataError(f"{where}: code must be lowercase letters, digits or '_'")
    scope = _text(where, entry, "scope")
    if scope not in CATEGORY_SCOPES:
        raise ReferenceDataError(f"{where}: scope must be one of {', '.join(CATEGORY_SCOPES)}")
    keywords = entry["keywords"]
    if not isinstance(keywords, list) or not keywords:
        raise ReferenceDataError(f"{where}: keywords must be a non-empty list of strings")
    if not all(isinstance(k, str) and k.strip() for k in keywords):
        raise ReferenceDataError(f"{where}: every keyword must be a non-empty string")
    priority = entry.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int) or priority < 0:
        raise ReferenceDataError(f"{where}: priority must be a whole number >= 0")
    return Category(
        code=code,
        name=_text(where, entry, "name"),
        name_en=_text(where, entry, "name_en"),
        keywords=tuple(k.strip() for k in keywords),
        scope=scope,
        priority=priority,
    )


def _keyword_key(keyword: str) -> str:
    return " ".join(keyword.casefold().replace("-", " ").split())


# --- routing ------------------------------------------------------------------------------


def _read_routing_rules(
    path: Path,
    units: Sequence[Unit],
    categories: Sequence[Category],
    places: Sequence[Place],
) -> tuple[RoutingRule, ...]:
    data = read_toml(path)
    _require_keys(f"{path}", data, required={"defaults"}, optional={"overrides"})
    unit_codes = {u.code for u in units}
    category_codes = {c.code for c in categories}
    kecamatan_codes = {p.code for p in places if p.level == KECAMATAN_LEVEL}

    def rule(category: str, kecamatan: str | None, unit: Any, where: str) -> RoutingRule:
        if category not in category_codes:
            raise ReferenceDataError(f"{where}: unknown category {category!r}")
        if not isinstance(unit, str) or unit not in unit_codes:
            raise ReferenceDataError(f"{where}: unknown unit {unit!r}")
        if kecamatan is not None and kecamatan not in kecamatan_codes:
            raise ReferenceDataError(f"{where}: unknown kecamatan {kecamatan!r}")
        return RoutingRule(category=category, kecamatan_code=kecamatan, unit=unit)

    defaults = _table(path, data, "defaults")
    rules = [rule(cat, None, unit, f"{path}: [defaults] {cat}") for cat, unit in defaults.items()]
    missing = sorted(category_codes - defaults.keys())
    if missing:
        raise ReferenceDataError(
            f"{path}: [defaults] has no unit for categories {', '.join(missing)}"
        )
    for category, table in _table(path, data, "overrides").items():
        where = f"{path}: [overrides.{category}]"
        if not isinstance(table, dict):
            raise ReferenceDataError(f"{where}: must be a table of kecamatan_code = unit")
        rules += [rule(category, kec, unit, f"{where} {kec}") for kec, unit in table.items()]
    return tuple(rules) + _kecamatan_office_rules(rules, units, categories)


def _kecamatan_office_rules(
    rules: Sequence[RoutingRule], units: Sequence[Unit], categories: Sequence[Category]
) -> tuple[RoutingRule, ...]:
    """For categories with scope "kecamatan": each Kantor Camat owns its own kecamatan,
    unless an override in the file says otherwise. Written out as ordinary rules so the
    router needs nothing but rules and units."""
    overridden = {(r.category, r.kecamatan_code) for r in rules}
    offices = [u for u in units if u.kind == "kecamatan" and u.kecamatan_code]
    return tuple(
        RoutingRule(category=c.code, kecamatan_code=office.kecamatan_code, unit=office.code)
        for c in categories
        if c.scope == "kecamatan"
        for office in offices
        if (c.code, office.kecamatan_code) not in overridden
    )


# --- gazetteer ----------------------------------------------------------------------------


def _read_gazetteer(path: Path) -> tuple[Place, ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = set(GAZETTEER_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ReferenceDataError(f"{path}: missing columns {', '.join(sorted(missing))}")
        places = tuple(_place(path, reader.line_num, row) for row in reader)
    _require_unique(path, "place code", [p.code for p in places])
    codes = {p.code for p in places}
    for place in places:
        if place.parent_code is not None and place.parent_code not in codes:
            raise ReferenceDataError(
                f"{path}: place {place.code} ({place.name}) has unknown parent {place.parent_code}"
            )
    if not any(p.level == KECAMATAN_LEVEL for p in places):
        raise ReferenceDataError(f"{path}: no kecamatan (level {KECAMATAN_LEVEL}) rows")
    return places


def _place(path: Path, line: int, row: Mapping[str, str | None]) -> Place:
    code, name = (row["kode"] or "").strip(), (row["nama"] or "").strip()
    if not code or not name:
        raise ReferenceDataError(f"{path}: line {line}: kode and nama must not be empty")
    try:
        level = int(row["level"] or "")
    except ValueError:
        raise ReferenceDataError(
            f"{path}: line {line} ({code}): level must be a number, not {row['level']!r}"
        ) from None
    return Place(
        code=code, name=name, level=level, parent_code=(row["parent_kode"] or "").strip() or None
    )


# --- shared checks ------------------------------------------------------------------------


def read_toml(path: Path) -> dict[str, Any]:
    """A data file's tables; ReferenceDataError names the file when it is not TOML."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ReferenceDataError(f"{path}: not valid TOML: {exc}") from exc


def _table(path: Path, data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ReferenceDataError(f"{path}: [{key}] must be a table")
    return value


def _table_list(path: Path, data: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    entries = data.get(key)
    if not isinstance(entries, list) or not entries:
        raise ReferenceDataError(f"{path}: needs at least one [[{key}]] entry")
    return entries


def _require_keys(
    where: str, entry: Mapping[str, Any], required: set[str], optional: set[str]
) -> None:
    missing = required - entry.keys()
    if missing:
        raise ReferenceDataError(f"{where}: missing {', '.join(sorted(missing))}")
    unknown = entry.keys() - required - optional
    if unknown:
        raise ReferenceDataError(f"{where}: unknown keys {', '.join(sorted(unknown))}")


def _text(where: str, entry: Mapping[str, Any], key: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise ReferenceDataError(f"{where}: {key} must be a non-empty string")
    return value.strip()


def _require_unique(path: Path, what: str, values: Iterable[Any]) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ReferenceDataError(f"{path}: duplicate {what} {value!r}")
        seen.add(value)
