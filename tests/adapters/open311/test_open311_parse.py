"""One table over Open311 GeoReport v2 ``POST requests`` bodies, run through ``parse()``.

Each row names a fixture (the urlencoded body an Open311 client posts, one per condition),
optionally a change to it, and what must come out: fields of the ``InboundMessage``, or the
descriptions of the Open311 error array (all 400). Bad input is rows of the same table. The
HTTP side (api_key, jurisdiction, JSON and XML answers, the spec's schemas) is in
tests/gateway/test_open311.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from adapter_tables import (
    RECEIVED,
    FormChange,
    assert_message,
    drop,
    intake_rules,
    put,
    read_captured,
    repeat,
)
from werkzeug.datastructures import MultiDict

from adapters import open311

FIXTURES = Path(__file__).parent / "fixtures"
PARTNER = "sp_3f9c2d41"


@dataclass(frozen=True)
class Case:
    label: str
    fixture: str
    change: FormChange | None = None
    key: str | None = "2f0c9e8d7c6b5a41"  # the Idempotency-Key header, if the client sent one
    message: dict[str, Any] = field(default_factory=dict)
    errors: list[str] | None = None  # words of each error's description, in order


CASES = [
    Case(
        "lat and long, e-mail, name, device id",
        "request_lat_long",
        message={
            "channel": "open311",
            "provider": f"open311:{PARTNER}",
            "external_id": f"{PARTNER}/2f0c9e8d7c6b5a41",
            "sender": "mailto:pelapor@example.id",
            "sender_name": "Ahmad Fauzi",
            "latitude": 4.6226,
            "longitude": 96.8485,
            "declared": {"privacy": "public", "category": "jalan"},
            "raw.api_key": "<absent>",
            "raw.device_id": "ios-4F2A",
        },
    ),
    Case(
        "address_id naming a desa",
        "request_address_id_desa",
        message={
            "sender": "",
            "declared": {
                "privacy": "public",
                "category": "sampah",
                "kecamatan_code": "11.04.17",
                "desa_code": "11.04.17.2001",
            },
        },
    ),
    Case(
        "address_string and kecamatan, the catch-all service, a phone",
        "request_address_string_other_service",
        message={
            "sender": "tel:+6281377788899",
            "text": "Anak sekolah menyeberang tanpa zebra cross di jalan ramai.\n\n"
            "Alamat: Jl. Lebe Kader, depan kantor camat Lut Tawar",
            "declared": {"privacy": "public", "kecamatan_code": "11.04.17"},
        },
    ),
    Case(
        "a media URL, our privacy attribute and another city's",
        "request_media_and_private_attribute",
        message={
            "media": (
                {
                    "url": "https://partner.example.id/foto/sungai.jpg",
                    "content_type": "",
                    "size": None,
                },
            ),
            "declared": {
                "privacy": "anonymous",
                "category": "lingkungan",
                "kecamatan_code": "11.04.03",
            },
            "raw.attribute": {"WARD": ["7"], "kecamatan": "11.04.03", "privacy": "anonymous"},
        },
    ),
    Case(
        "a service that does not exist",
        "request_lat_long",
        change=put("service_code", "006"),
        errors=["service_code 006 was not found"],
    ),
    Case(
        "no service_code",
        "request_lat_long",
        change=drop("service_code"),
        errors=["service_code is required"],
    ),
    Case(
        "no location at all",
        "request_lat_long",
        change=drop("lat", "long"),
        errors=["a location is required"],
    ),
    Case(
        "coordinates outside the district",
        "request_lat_long",
        change=put("lat", "-6.2088"),
        errors=["outside the district"],
    ),
    Case(
        "an address_id that is not a Kemendagri code of the district",
        "request_address_id_desa",
        change=put("address_id", "31.71.01"),
        errors=["address_id is not one of the allowed values"],
    ),
    Case(
        "a field given twice",
        "request_lat_long",
        change=repeat("description", "yang kedua"),
        errors=["description was given more than once"],
    ),
    Case(
        "a media_url that is not a web address",
        "request_media_and_private_attribute",
        change=put("media_url", "javascript:alert(1)"),
        errors=["media_url must be an http or https URL"],
    ),
    Case(
        "a privacy attribute Open311 here does not have",
        "request_media_and_private_attribute",
        change=put("attribute[privacy]", "secret"),
        errors=["attribute[privacy] is not one of the allowed values"],
    ),
    Case(
        "a phone that is an e-mail address",
        "request_address_string_other_service",
        change=put("phone", "warga@example.id"),
        errors=["phone is not a valid contact"],
    ),
    Case(
        "every problem at once",
        "request_lat_long",
        change=lambda form: [drop("description")(form), put("service_code", "")(form)],
        errors=["service_code is required", "description is required"],
    ),
]


def _form(case: Case) -> MultiDict:
    form = read_captured(FIXTURES / f"{case.fixture}.txt").form()
    if case.change is not None:
        case.change(form)
    return form


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_post_requests(case: Case):
    form = _form(case)

    def parse():
        return open311.parse(
            form, intake_rules(), partner=PARTNER, idempotency_key=case.key, received_at=RECEIVED
        )

    if case.errors is not None:
        with pytest.raises(open311.Open311Errors) as raised:
            parse()
        assert raised.value.status == 400
        assert len(raised.value.errors) == len(case.errors)
        for error, words in zip(raised.value.errors, case.errors, strict=True):
            assert (error.code, words in error.description) == (400, True), error.description
        return
    message = parse()
    assert_message(message, case.message)


def test_without_an_idempotency_key_each_post_is_its_own_request():
    form = _form(Case("no key", "request_address_id_desa"))
    ids = {open311.parse(form, intake_rules(), partner=PARTNER).external_id for _ in range(2)}
    assert len(ids) == 2
    assert all(i.startswith(f"{PARTNER}/") for i in ids)


def test_every_fixture_is_in_the_table():
    assert {c.fixture for c in CASES} == {p.stem for p in FIXTURES.glob("*.txt")}
