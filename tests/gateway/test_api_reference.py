"""Issue 23, a partner's first day on the JSON API: the codes it takes are listed
(GET /api/v1/places, GET /api/v1/categories, public and cacheable), a kecamatan may be given
by its name, and a 422 for an unknown value says where the allowed ones are."""

from __future__ import annotations

import pytest

from adapters.fields import place_key, unambiguous_names
from dispatcher.inbox import waiting_records

KEY = "7a1c2e3f-0b4d-4e5f-8a9b-0c1d2e3f4a5b"


def test_places_lists_every_kecamatan_with_its_desa(client):
    response = client.get("/api/v1/places")  # no key: a partner needs it before having one
    assert response.status_code == 200
    kecamatan = response.get_json()["kecamatan"]
    assert len(kecamatan) == 14
    laut_tawar = next(k for k in kecamatan if k["code"] == "11.04.17")
    assert laut_tawar["name"] == "Laut Tawar"
    assert {"code": "11.04.17.2001", "name": laut_tawar["desa"][0]["name"]} in laut_tawar["desa"]
    assert all(d["code"].startswith("11.04.17.") for d in laut_tawar["desa"])


@pytest.mark.parametrize("path", ["/api/v1/places", "/api/v1/categories"])
def test_reference_lists_are_cacheable(client, path):
    first = client.get(path)
    assert "max-age=" in first.headers["Cache-Control"]
    assert "public" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_categories_carry_indonesian_and_english_names(client):
    categories = client.get("/api/v1/categories").get_json()["categories"]
    air = next(c for c in categories if c["code"] == "air")
    assert air == {"code": "air", "name": "Air Bersih (PDAM)", "name_en": "Piped water (PDAM)"}


@pytest.mark.parametrize(
    "given", ["Laut Tawar", "laut tawar", "  LAUT   TAWAR ", "Kec. Laut Tawar"]
)
def test_a_kecamatan_may_be_given_by_its_name(client, runtime, given):
    body = {"description": "Lampu jalan mati di depan masjid.", "kecamatan": given}
    response = client.post("/api/v1/complaints", json=body, headers={"Idempotency-Key": KEY})
    assert response.status_code == 201, response.get_json()
    (record,) = waiting_records(runtime.redis)
    assert record["kecamatan_code"] == "11.04.17"


def test_an_ambiguous_name_is_no_name():
    names = unambiguous_names({"1": "Bale", "2": "bale", "3": "Kute Panang"})
    assert names == {"kute panang": "3"}
    assert place_key("KECAMATAN  Kute   Panang") == "kute panang"


@pytest.mark.parametrize(
    "field, value, hint",
    [
        ("kecamatan", "Takengon Raya", "GET /api/v1/places"),
        ("desa", "11.04.17.9999", "GET /api/v1/places"),
        ("category", "jalan_tol", "GET /api/v1/categories"),
        ("privacy", "secret", "public, anonymous, confidential"),
    ],
)
def test_an_unknown_value_names_where_the_allowed_ones_are(client, field, value, hint):
    body = {"description": "Jalan rusak parah di Kampung Bale.", field: value}
    response = client.post("/api/v1/complaints", json=body, headers={"Idempotency-Key": KEY})
    assert response.status_code == 422
    (error,) = [e for e in response.get_json()["errors"] if e["field"] == field]
    assert error["code"] == "unknown" and hint in error["message"]


@pytest.mark.parametrize(
    "query, headers, language",
    [
        ("", {}, "id"),
        ("?lang=en", {}, "en"),
        ("", {"Accept-Language": "en-US,en;q=0.9"}, "en"),
        ("", {"Accept-Language": "id-ID,id;q=0.9,en;q=0.5"}, "id"),
        ("?lang=id", {"Accept-Language": "en"}, "id"),
    ],
)
def test_open311_services_speak_one_language(client, runtime, query, headers, language):
    """Issue 23: no more Indonesian names beside English descriptions."""
    response = client.get("/open311/v2/services.json" + query, headers=headers)
    assert response.headers["Content-Language"] == language
    assert "Accept-Language" in response.headers["Vary"]
    services = {s["service_code"]: s for s in response.get_json()}
    air = next(c for c in runtime.categories if c.code == "air")
    expected = air.name if language == "id" else air.name_en
    assert services["air"]["service_name"] == services["air"]["description"] == expected
    other = services["lainnya"]
    assert other["service_name"] == ("Lainnya" if language == "id" else "Other")
    assert other["description"].startswith(other["service_name"])
