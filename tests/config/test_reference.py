"""Reference data loaders: the shipped files are consistent, and bad files fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.reference import (
    DESA_LEVEL,
    KECAMATAN_LEVEL,
    ReferenceDataError,
    RoutingRule,
    coordinator_of,
    load_categories,
    load_gazetteer,
    load_routing_rules,
    load_units,
)

# --- the shipped data ---------------------------------------------------------------------


def test_gazetteer_has_the_14_kecamatan_and_295_desa_of_aceh_tengah() -> None:
    places = load_gazetteer()
    kecamatan = [p for p in places if p.level == KECAMATAN_LEVEL]
    desa = [p for p in places if p.level == DESA_LEVEL]
    assert len(kecamatan) == 14
    assert len(desa) == 295
    assert {p.parent_code for p in kecamatan} == {"11.04"}
    assert {p.parent_code for p in desa} <= {p.code for p in kecamatan}
    assert next(p for p in places if p.code == "11.04.17").name == "Laut Tawar"


def test_one_coordinator_and_one_office_per_kecamatan() -> None:
    units = load_units()
    assert coordinator_of(units).code == "diskominfo"
    offices = {u.kecamatan_code: u for u in units if u.kind == "kecamatan"}
    kecamatan = {p.code: p for p in load_gazetteer() if p.level == KECAMATAN_LEVEL}
    assert offices.keys() == kecamatan.keys()
    for code, office in offices.items():
        assert office.code == f"kec-{code}"
        assert office.name == f"Kantor Camat {kecamatan[code].name}"


def test_every_category_has_a_default_owner_and_keywords() -> None:
    categories = load_categories()
    rules = load_routing_rules()
    defaults = {r.category: r.unit for r in rules if r.kecamatan_code is None}
    assert len(categories) >= 10
    assert defaults.keys() == {c.code for c in categories}
    assert all(len(c.keywords) >= 5 for c in categories)
    assert defaults["listrik"] == "diskominfo"  # PLN is forwarded by the coordinator
    assert defaults["lampu_jalan"] == "dinas-perkim"


def test_kecamatan_scoped_categories_get_their_own_office_in_every_kecamatan() -> None:
    rules = load_routing_rules()
    scoped = [c.code for c in load_categories() if c.scope == "kecamatan"]
    assert scoped == ["pemerintahan_kampung"]
    for office in (u for u in load_units() if u.kind == "kecamatan"):
        assert RoutingRule("pemerintahan_kampung", office.kecamatan_code, office.code) in rules


def test_default_loads_are_read_once() -> None:
    assert load_units() is load_units()
    assert load_routing_rules() is load_routing_rules()


# --- validation ---------------------------------------------------------------------------

UNITS = """
[[unit]]
code = "kominfo"
name = "Dinas Kominfo"
name_en = "Kominfo"
kind = "coordinator"

[[unit]]
code = "pupr"
name = "Dinas PUPR"
name_en = "Public works"
kind = "agency"

[[unit]]
code = "kec-11.04.01"
name = "Kantor Camat Linge"
name_en = "Linge office"
kind = "kecamatan"
kecamatan_code = "11.04.01"
"""

CATEGORIES = """
[[category]]
code = "jalan"
name = "Jalan"
name_en = "Roads"
scope = "agency"
keywords = ["jalan", "jembatan"]

[[category]]
code = "kampung"
name = "Pemerintahan kampung"
name_en = "Village government"
scope = "kecamatan"
keywords = ["reje"]
"""

ROUTING = """
[defaults]
jalan = "pupr"
kampung = "kominfo"

[overrides.jalan]
"11.04.01" = "kec-11.04.01"
"""

GAZETTEER = """kode,nama,level,level_name,parent_kode
11.04,Kabupaten Aceh Tengah,2,kabupaten_kota,
11.04.01,Linge,3,kecamatan,11.04
11.04.01.2015,Linge,4,desa_kelurahan,11.04.01
"""


def _files(tmp_path: Path, **overrides: str) -> dict[str, Path]:
    texts = {
        "units": UNITS,
        "categories": CATEGORIES,
        "routing": ROUTING,
        "gazetteer": GAZETTEER,
    } | overrides
    suffix = {"units": ".toml", "categories": ".toml", "routing": ".toml", "gazetteer": ".csv"}
    paths = {}
    for name, text in texts.items():
        paths[name] = tmp_path / f"{name}{suffix[name]}"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def _load_all(paths: dict[str, Path]) -> tuple[RoutingRule, ...]:
    units = load_units(paths["units"])
    categories = load_categories(str(paths["categories"]))
    places = load_gazetteer(paths["gazetteer"])
    return load_routing_rules(paths["routing"], units=units, categories=categories, places=places)


def test_valid_files_load_with_the_kecamatan_office_rule_written_out(tmp_path: Path) -> None:
    rules = _load_all(_files(tmp_path))
    assert set(rules) == {
        RoutingRule("jalan", None, "pupr"),
        RoutingRule("kampung", None, "kominfo"),
        RoutingRule("jalan", "11.04.01", "kec-11.04.01"),
        RoutingRule("kampung", "11.04.01", "kec-11.04.01"),
    }


BAD_FILES = [
    ("units", UNITS.replace('"pupr"', '"kominfo"'), r"duplicate unit code 'kominfo'"),
    (
        "units",
        UNITS.replace('kind = "agency"', 'kind = "coordinator"'),
        r"exactly one unit must have kind = 'coordinator', found 2 \(kominfo, pupr\)",
    ),
    (
        "units",
        UNITS.replace('kind = "coordinator"', 'kind = "agency"'),
        r"exactly one .* found 0 \(none\)",
    ),
    ("units", UNITS.replace('"agency"', '"dinas"'), r"unit #2 \('pupr'\): kind must be one of"),
    (
        "units",
        UNITS.replace('kecamatan_code = "11.04.01"\n', ""),
        r"unit #3 \('kec-11.04.01'\): kecamatan_code is required",
    ),
    ("units", UNITS.replace('code = "pupr"', 'code = "PUPR"'), r"unit #2 \('PUPR'\): code must"),
    ("units", UNITS.replace('name_en = "Kominfo"', 'nama_en = "x"'), r"unit #1 .*missing name_en"),
    ("units", UNITS + "\ncolour = 1\n", r"unknown keys colour"),
    ("units", UNITS.replace("[[unit]]", "[[unit]", 1), r"not valid TOML"),
    ("units", "", r"needs at least one \[\[unit\]\] entry"),
    (
        "categories",
        CATEGORIES.replace('"reje"', '"Jembatan"'),
        r"duplicate keyword 'jembatan'",
    ),
    ("categories", CATEGORIES.replace('"kampung"', '"jalan"'), r"duplicate category code"),
    (
        "categories",
        CATEGORIES.replace('scope = "kecamatan"', 'scope = "desa"'),
        r"category #2 \('kampung'\): scope must be one of agency, kecamatan",
    ),
    ("categories", CATEGORIES.replace('["reje"]', "[]"), r"keywords must be a non-empty list"),
    ("categories", CATEGORIES.replace('["reje"]', '["reje", " "]'), r"every keyword"),
    ("categories", CATEGORIES.replace('"jalan"', '"Jalan"', 1), r"code must be lowercase"),
    (
        "categories",
        CATEGORIES.replace('scope = "agency"', 'scope = "agency"\npriority = -1'),
        r"priority must be a whole number",
    ),
    (
        "routing",
        ROUTING.replace('jalan = "pupr"', 'jalan = "dinas-pupr"'),
        r"\[defaults\] jalan: unknown unit 'dinas-pupr'",
    ),
    (
        "routing",
        ROUTING.replace("[defaults]\n", '[defaults]\nsampah = "pupr"\n'),
        r"\[defaults\] sampah: unknown category 'sampah'",
    ),
    (
        "routing",
        ROUTING.replace('"11.04.01" =', '"11.04.99" ='),
        r"\[overrides.jalan\] 11.04.99: unknown kecamatan '11.04.99'",
    ),
    ("routing", ROUTING.replace('kampung = "kominfo"\n', ""), r"no unit for categories kampung"),
    ("routing", "[overrides]\n", r"missing defaults"),
    ("gazetteer", GAZETTEER.replace("parent_kode", "induk"), r"missing columns parent_kode"),
    ("gazetteer", GAZETTEER + "11.04.01,Linge,3,kecamatan,11.04\n", r"duplicate place code"),
    ("gazetteer", GAZETTEER.replace(",11.04.01\n", ",11.04.09\n"), r"unknown parent 11.04.09"),
    ("gazetteer", GAZETTEER.replace(",3,", ",tiga,"), r"line 3 \(11.04.01\): level must be"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD_FILES)
def test_bad_files_are_rejected_naming_the_file_and_entry(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    paths = _files(tmp_path, **{name: text})
    with pytest.raises(ValueError, match=message) as raised:
        _load_all(paths)
    assert isinstance(raised.value, ReferenceDataError)
    assert str(paths[name]) in str(raised.value)
