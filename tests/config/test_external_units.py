"""External units in the units file: what they may say, and where their keys come from."""

from __future__ import annotations

import pytest

from config.external_units import ExternalUnitError, connector_key, external_link, key_variable
from config.reference import load_units

ENTRY = {
    "code": "atr-bpn",
    "kind": "agency",
    "external": True,
    "connector": "open311",
    "endpoint": "https://open311.atrbpn.go.id/v2/",
    "service_code": "pertanahan",
    "service_codes": {"perizinan": "izin-tanah"},
}


def test_the_default_units_ship_external_examples_switched_off():
    external = [unit for unit in load_units() if unit.external]
    assert {u.code for u in external} == {
        "pupr-aceh",
        "atr-bpn-aceh-tengah",
        "polres-aceh-tengah",
        "pln-up3-takengon",
    }
    assert all(unit.link is not None and not unit.link.enabled for unit in external)
    assert not any(unit.external for unit in load_units() if unit.kind != "agency")


def test_a_link_maps_categories_to_the_remotes_services():
    link = external_link("units.toml: unit #1", ENTRY)
    assert link is not None and link.enabled
    assert link.endpoint == "https://open311.atrbpn.go.id/v2"  # no trailing slash
    assert link.service_for("perizinan") == "izin-tanah"
    assert link.service_for("jalan") == link.service_for(None) == "pertanahan"


def test_a_district_unit_has_no_link():
    assert external_link("u", {"code": "dinas-pupr", "kind": "agency"}) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"external": "yes"}, "external must be true or false"),
        ({"connector": "lapor"}, "connector must be one of open311, satupintu"),
        ({"connector": None}, "connector must be one of"),
        ({"endpoint": "ftp://files.example/"}, r"endpoint must be an http\(s\) URL"),
        ({"endpoint": "https://"}, r"endpoint must be an http\(s\) URL"),
        ({"endpoint": 7}, "endpoint must be a URL string"),
        ({"service_code": ""}, "service_code must be a non-empty string"),
        ({"service_codes": {"jalan": 3}}, "service_codes maps category codes"),
        ({"service_codes": ["jalan"]}, "service_codes maps category codes"),
        ({"kind": "kecamatan"}, "an external unit has kind = 'agency'"),
        ({"external": False}, "connector, endpoint, service_code, service_codes only for"),
    ],
)
def test_bad_external_entries_name_the_key(change, message):
    with pytest.raises(ExternalUnitError, match=message):
        external_link("units.toml: unit #9 ('atr-bpn')", ENTRY | change)


def test_the_key_comes_from_the_environment_only():
    assert key_variable("pupr-aceh") == "SATUPINTU_CONNECTOR_KEY_PUPR_ACEH"
    assert key_variable("kec-11.04.17") == "SATUPINTU_CONNECTOR_KEY_KEC_11_04_17"
    environ = {"SATUPINTU_CONNECTOR_KEY_PUPR_ACEH": " s3cret \n"}
    assert connector_key("pupr-aceh", environ) == "s3cret"
    assert connector_key("atr-bpn", environ) == ""
