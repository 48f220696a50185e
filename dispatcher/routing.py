"""Which unit owns a complaint: category x kecamatan -> exactly one existing unit, explained.

Pure: no rq, no SQL. Takes what the normalizer found and the loaded rules and units, and
returns a ``RouteDecision`` whose ``explanation`` is stored as the routing event an operator
reads (and can undo). Whatever is unclear goes to the coordinator, never to nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from config.reference import RoutingRule, Unit, coordinator_of
from normalizer.category import CategoryMatch
from normalizer.location import LocationMatch

# Reason codes, stored on the routing event.
RULE = "rule"  # a per-kecamatan override in routing.toml
KECAMATAN_OFFICE = "kecamatan_office"  # the Kantor Camat of the place (scope "kecamatan")
CATEGORY_DEFAULT = "category_default"
NO_CATEGORY = "no_category"
AMBIGUOUS_CATEGORY = "ambiguous_category"
AMBIGUOUS_LOCATION = "ambiguous_location"  # candidate kecamatan would go to different units
NO_RULE = "no_rule"  # rules without a default for the category (the loader forbids it)
UNKNOWN_UNIT = "unknown_unit"  # a rule names a unit that is not in the units given

_WHY = {
    RULE: "aturan routing khusus kecamatan",
    KECAMATAN_OFFICE: "ditangani kantor camat wilayahnya",
    CATEGORY_DEFAULT: "aturan routing bawaan kategori",
}


@dataclass(frozen=True)
class RouteDecision:
    """The owning unit, a short reason code, and an Indonesian sentence for operators."""

    unit: str
    reason: str
    explanation: str


def route_complaint(
    category: CategoryMatch,
    location: LocationMatch,
    rules: Sequence[RoutingRule],
    units: Sequence[Unit],
) -> RouteDecision:
    """The one unit that owns a complaint about ``category`` at ``location``."""
    coordinator = coordinator_of(units)
    by_code = {unit.code: unit for unit in units}

    def to_coordinator(reason: str, why: str) -> RouteDecision:
        return RouteDecision(coordinator.code, reason, f"{why} → {coordinator.name}.")

    if category.ambiguous:
        options = " / ".join(f"'{c}'" for c in category.candidates) or "?"
        return to_coordinator(AMBIGUOUS_CATEGORY, f"Kategori tidak pasti ({options})")
    if category.code is None:
        return to_coordinator(NO_CATEGORY, "Kategori tidak dikenali")

    code = category.code
    table: dict[str | None, str] = {}  # kecamatan (None: default) -> unit; first rule wins
    for rule in rules:
        if rule.category == code:
            table.setdefault(rule.kecamatan_code, rule.unit)
    kecamatans = _kecamatans(location)
    outcomes = [_unit_for(table, kec, by_code) for kec in kecamatans]
    if len({unit for unit, _ in outcomes}) > 1:
        places = " / ".join(_place_label(kec, units) for kec in kecamatans)
        return to_coordinator(
            AMBIGUOUS_LOCATION,
            f"Kategori '{code}', lokasi tidak pasti ({places}) dan unitnya berbeda",
        )
    unit_code, reason = outcomes[0]
    if reason == NO_RULE:
        return to_coordinator(NO_RULE, f"Tidak ada aturan routing untuk kategori '{code}'")
    if unit_code not in by_code:
        return to_coordinator(
            UNKNOWN_UNIT, f"Aturan kategori '{code}' menunjuk unit {unit_code!r} yang tidak ada"
        )
    where = _where(location, kecamatans, units)
    return RouteDecision(
        unit_code,
        reason,
        f"Kategori '{code}' {where} → {by_code[unit_code].name} ({_WHY[reason]}).",
    )


def _kecamatans(location: LocationMatch) -> tuple[str | None, ...]:
    """The kecamatan to try: the one found, the candidates, or None for 'anywhere'."""
    if location.ambiguous and location.candidates:
        return tuple(location.candidates)
    return (location.kecamatan_code,)


def _unit_for(
    table: dict[str | None, str], kecamatan: str | None, by_code: dict[str, Unit]
) -> tuple[str, str]:
    """(unit, reason) for one kecamatan: its own rule first, then the category default."""
    if kecamatan is not None and kecamatan in table:
        unit = table[kecamatan]
        office = by_code.get(unit)
        own_office = office is not None and office.kecamatan_code == kecamatan
        return unit, KECAMATAN_OFFICE if own_office else RULE
    if None in table:
        return table[None], CATEGORY_DEFAULT
    return "", NO_RULE


def _place_label(kecamatan: str | None, units: Sequence[Unit]) -> str:
    """ "Kec. Linge" from the Kantor Camat's name, or the code if there is no office."""
    for unit in units:
        if unit.kind == "kecamatan" and unit.kecamatan_code == kecamatan:
            return "Kec. " + unit.name.removeprefix("Kantor Camat ")
    return f"Kec. {kecamatan}"


def _where(
    location: LocationMatch, kecamatans: tuple[str | None, ...], units: Sequence[Unit]
) -> str:
    if location.ambiguous and location.candidates:
        return "di " + " / ".join(_place_label(k, units) for k in kecamatans)
    if location.kecamatan_code is None:
        return "(lokasi tidak disebut)"
    return "di " + _place_label(location.kecamatan_code, units)
