"""Which unit to suggest in the dispatch form (issue 19): the routing rules' ranking for the
case's category and place, minus every unit that already bounced it.

The form never pre-selects a unit; a suggestion is listed first and marked, the operator
still chooses. Rules for the case's own kecamatan rank before the category's default.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from config.reference import RoutingRule


def ranked_units(
    rules: Sequence[RoutingRule],
    category: str | None,
    kecamatan: str | None,
    bounced_by: Iterable[str],
) -> list[str]:
    """Units in the order the routing rules would pick them, without those that bounced."""
    if not category:
        return []
    excluded = set(bounced_by)
    own_place = [r.unit for r in rules if r.category == category and r.kecamatan_code == kecamatan]
    default = [r.unit for r in rules if r.category == category and r.kecamatan_code is None]
    ranked: list[str] = []
    for unit in (*own_place, *default) if kecamatan else default:
        if unit not in excluded and unit not in ranked:
            ranked.append(unit)
    return ranked
