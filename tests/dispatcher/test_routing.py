"""route_complaint: every complaint gets exactly one existing owner, with a readable reason.

The corpus test runs real-looking complaints (tests/fixtures/routing_corpus.csv, written
before the matching code) through classify + find_location + route_complaint.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from config.reference import (
    KECAMATAN_LEVEL,
    RoutingRule,
    Unit,
    load_categories,
    load_gazetteer,
    load_routing_rules,
    load_units,
)
from dispatcher.routing import RouteDecision, route_complaint
from normalizer.category import CategoryMatch, build_category_index, classify
from normalizer.location import LocationMatch, build_location_index, find_location

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "routing_corpus.csv"
MIN_UNIT_ACCURACY = 0.9

UNITS = (
    Unit("kominfo", "Dinas Kominfo", "Kominfo", "coordinator"),
    Unit("pupr", "Dinas PUPR", "Public works", "agency"),
    Unit("satpol", "Satpol PP", "Civil police", "agency"),
    Unit("dpmk", "DPMK", "Villages", "agency"),
    Unit("kec-01", "Kantor Camat Linge", "Linge office", "kecamatan", "01"),
    Unit("kec-03", "Kantor Camat Bebesen", "Bebesen office", "kecamatan", "03"),
)
RULES = (
    RoutingRule("jalan", None, "pupr"),
    RoutingRule("ketertiban", None, "satpol"),
    RoutingRule("ketertiban", "01", "kec-01"),  # remote kecamatan: its camat
    RoutingRule("kampung", None, "dpmk"),
    RoutingRule("kampung", "01", "kec-01"),
    RoutingRule("kampung", "03", "kec-03"),
    RoutingRule("hantu", None, "dinas-hantu"),  # a unit that does not exist
)


def topic(code: str) -> CategoryMatch:
    return CategoryMatch(code, 1.0, False, (code,))


def place(kecamatan: str | None) -> LocationMatch:
    return LocationMatch(kecamatan, None, False, (), kecamatan)


def places(*candidates: str) -> LocationMatch:
    return LocationMatch(None, None, True, candidates, "umang")


NOWHERE = place(None)
TIE = CategoryMatch(None, 0.5, True, ("jalan", "air"))
UNKNOWN = CategoryMatch(None, 0.0, False, ())

CASES = [
    # label, category, location, (unit, reason)
    ("default, no place", topic("jalan"), NOWHERE, ("pupr", "category_default")),
    ("default, place", topic("jalan"), place("03"), ("pupr", "category_default")),
    ("override", topic("ketertiban"), place("01"), ("kec-01", "kecamatan_office")),
    ("no override here", topic("ketertiban"), place("03"), ("satpol", "category_default")),
    ("kecamatan office", topic("kampung"), place("03"), ("kec-03", "kecamatan_office")),
    ("office, no place", topic("kampung"), NOWHERE, ("dpmk", "category_default")),
    ("place, same unit", topic("jalan"), places("01", "03"), ("pupr", "category_default")),
    (
        "place, units differ",
        topic("ketertiban"),
        places("01", "03"),
        ("kominfo", "ambiguous_location"),
    ),
    ("no category", UNKNOWN, place("03"), ("kominfo", "no_category")),
    ("tied categories", TIE, place("03"), ("kominfo", "ambiguous_category")),
    ("no rule for category", topic("sampah"), place("03"), ("kominfo", "no_rule")),
    ("rule names no unit", topic("hantu"), NOWHERE, ("kominfo", "unknown_unit")),
]


@pytest.mark.parametrize(
    ("label", "category", "location", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_route_complaint(
    label: str, category: CategoryMatch, location: LocationMatch, expected: tuple[str, str]
) -> None:
    decision = route_complaint(category, location, RULES, UNITS)
    assert (decision.unit, decision.reason) == expected
    assert decision.unit in {u.code for u in UNITS}
    assert decision.explanation.endswith(".") and "→" in decision.explanation


def test_a_rule_to_another_units_office_is_a_plain_rule() -> None:
    rules = (RoutingRule("jalan", None, "pupr"), RoutingRule("jalan", "03", "kec-01"))
    decision = route_complaint(topic("jalan"), place("03"), rules, UNITS)
    assert (decision.unit, decision.reason) == ("kec-01", "rule")


def test_candidates_reaching_the_same_unit_by_different_rules_agree() -> None:
    rules = (RoutingRule("jalan", None, "pupr"), RoutingRule("jalan", "03", "pupr"))
    decision = route_complaint(topic("jalan"), places("01", "03"), rules, UNITS)
    assert decision.unit == "pupr"


EXPLANATIONS = [
    (
        topic("jalan"),
        LocationMatch("11.04.03", None, False, (), "bebesen"),
        "Kategori 'jalan' di Kec. Bebesen → Dinas Pekerjaan Umum dan Penataan Ruang "
        "(aturan routing bawaan kategori).",
    ),
    (
        topic("ketertiban"),
        LocationMatch("11.04.01", None, False, (), "linge"),
        "Kategori 'ketertiban' di Kec. Linge → Kantor Camat Linge "
        "(ditangani kantor camat wilayahnya).",
    ),
    (
        topic("adminduk"),
        NOWHERE,
        "Kategori 'adminduk' (lokasi tidak disebut) → Dinas Kependudukan dan Pencatatan Sipil "
        "(aturan routing bawaan kategori).",
    ),
    (
        topic("ketertiban"),
        LocationMatch(None, None, True, ("11.04.01", "11.04.03"), "umang"),
        "Kategori 'ketertiban', lokasi tidak pasti (Kec. Linge / Kec. Bebesen) dan unitnya "
        "berbeda → Dinas Komunikasi dan Informatika (Admin Koordinator SP4N-LAPOR!).",
    ),
    (
        TIE,
        NOWHERE,
        "Kategori tidak pasti ('jalan' / 'air') → Dinas Komunikasi dan Informatika "
        "(Admin Koordinator SP4N-LAPOR!).",
    ),
]


@pytest.mark.parametrize(("category", "location", "explanation"), EXPLANATIONS)
def test_explanations_are_indonesian_sentences_for_operators(
    category: CategoryMatch, location: LocationMatch, explanation: str
) -> None:
    decision = route_complaint(category, location, load_routing_rules(), load_units())
    assert decision.explanation == explanation


def test_every_category_in_every_kecamatan_has_one_existing_owner() -> None:
    units, rules = load_units(), load_routing_rules()
    codes = {u.code for u in units}
    kecamatan = [p.code for p in load_gazetteer() if p.level == KECAMATAN_LEVEL]
    for category in load_categories():
        for kec in [None, *kecamatan]:
            decision = route_complaint(topic(category.code), place(kec), rules, units)
            assert decision.unit in codes
            assert decision.reason in {"rule", "kecamatan_office", "category_default"}


# --- the corpus ---------------------------------------------------------------------------


def _corpus() -> list[dict[str, str]]:
    with CORPUS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_corpus_covers_the_district_and_every_category() -> None:
    rows = _corpus()
    categories = {c.code for c in load_categories()}
    kecamatan = {p.code for p in load_gazetteer() if p.level == KECAMATAN_LEVEL}
    units = {u.code for u in load_units()}
    counts = Counter(row["category"] for row in rows)
    assert len(rows) >= 160
    assert {row["kecamatan_code"] for row in rows} - {""} == kecamatan
    assert {row["unit"] for row in rows} <= units
    assert set(counts) - {""} == categories
    assert min(counts[c] for c in categories) >= 4
    assert counts[""] >= 10  # low-information and ambiguous messages


def _route(text: str, resources: tuple) -> RouteDecision:
    category_index, location_index, rules, units = resources
    return route_complaint(
        classify(text, category_index), find_location(text, location_index), rules, units
    )


def test_corpus_routing_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    resources = (
        build_category_index(load_categories()),
        build_location_index(load_gazetteer()),
        load_routing_rules(),
        load_units(),
    )
    rows = _corpus()
    total, right = Counter[str](), Counter[str]()
    misses = []
    for row in rows:
        decision = _route(row["text"], resources)
        label = row["category"] or "(none/ambiguous)"
        total[label] += 1
        if decision.unit == row["unit"]:
            right[label] += 1
        else:
            misses.append(f"  {row['unit']} <- {decision.unit} ({decision.reason}): {row['text']}")
    accuracy = sum(right.values()) / len(rows)
    with capsys.disabled():
        print(f"\nrouting corpus: {sum(right.values())}/{len(rows)} units right = {accuracy:.3f}")
        for label in sorted(total):
            print(
                f"  {label:22} {right[label]:3}/{total[label]:<3} {right[label] / total[label]:.2f}"
            )
        print("misses (expected <- routed):", *misses, sep="\n")
    assert accuracy >= MIN_UNIT_ACCURACY, f"unit accuracy {accuracy:.3f} < {MIN_UNIT_ACCURACY}"
