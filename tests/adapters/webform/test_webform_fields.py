"""The form's place, category, coordinate and privacy fields, good and bad, through HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from web_samples import csrf_token
from werkzeug.datastructures import MultiDict

from casestore.models import Complaint
from dispatcher.inbox import waiting_records

KEY = "form-key-fields-0123456789"
TAKENGON = {"latitude": "4.6226", "longitude": "96.8485"}


def post(client, extra=None, **fields):
    data = {
        "csrf_token": csrf_token(client),
        "submission_key": KEY,
        "description": "Sampah menumpuk di pinggir jalan sejak Senin.",
    }
    data.update(fields)
    pairs = [(k, v) for k, v in data.items() if v is not None] + list(extra or [])
    return client.post("/", data=MultiDict(pairs))


def stored(runtime) -> Complaint:
    with runtime.sessions() as session:
        return session.scalars(select(Complaint)).one()


def test_the_form_lists_desa_grouped_by_kecamatan_and_the_categories(client):
    page = client.get("/").get_data(as_text=True)
    assert page.count("<optgroup") == 14
    assert 'data-kecamatan="11.04.17"' in page
    assert '<option value="jalan"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "form.js" in page and "https://" not in page  # no external CDN
    assert 'name="viewport"' in page


def test_place_category_and_coordinates_reach_the_case(client, runtime, work):
    response = post(
        client,
        kecamatan="11.04.17",
        desa="11.04.17.2001",
        category="sampah",
        privacy="anonim",
        latitude="4,6226",  # a decimal comma, as Indonesian keyboards write it
        longitude="96.8485",
    )
    assert response.status_code == 201
    work()
    case = stored(runtime)
    assert (case.kecamatan_code, case.desa_code, case.category) == (
        "11.04.17",
        "11.04.17.2001",
        "sampah",
    )
    assert (case.latitude, case.longitude) == (4.6226, 96.8485)
    assert case.privacy == "anonymous"


def test_a_desa_alone_brings_its_kecamatan(client, runtime, work):
    assert post(client, desa="11.04.17.2001").status_code == 201
    work()
    assert stored(runtime).kecamatan_code == "11.04.17"


@pytest.mark.parametrize(
    ("label", "fields", "message"),
    [
        (
            "desa of another kecamatan",
            {"kecamatan": "11.04.01", "desa": "11.04.17.2001"},
            "tidak berada",
        ),
        ("unknown desa", {"desa": "11.04.17.9999"}, "Pilih desa"),
        ("hostile desa", {"desa": "<script>alert(1)</script>"}, "Pilih desa"),
        ("unknown category", {"category": "politik"}, "Pilih kategori"),
        ("oversized category", {"category": "x" * 10_000}, "Pilih kategori"),
        ("latitude only", {"latitude": "4.62"}, "Isi bujur juga"),
        ("longitude only", {"longitude": "96.8"}, "Isi lintang juga"),
        ("latitude not a number", {**TAKENGON, "latitude": "utara"}, "harus berupa angka"),
        ("latitude NaN", {**TAKENGON, "latitude": "nan"}, "harus berupa angka"),
        ("longitude infinite", {**TAKENGON, "longitude": "1e999"}, "harus berupa angka"),
        ("latitude out of range", {**TAKENGON, "latitude": "91"}, "antara -90 dan 90"),
        ("longitude out of range", {**TAKENGON, "longitude": "-181"}, "antara -180 dan 180"),
        ("Jakarta", {"latitude": "-6.2", "longitude": "106.8"}, "di luar Kabupaten Aceh Tengah"),
        ("oversized latitude", {**TAKENGON, "latitude": "4." + "1" * 100}, "harus berupa angka"),
        ("unknown privacy", {"privacy": "publik"}, "biasa, anonim atau rahasia"),
    ],
)
def test_bad_fields_are_refused_with_a_message(client, runtime, label, fields, message):
    response = post(client, **fields)
    assert response.status_code == 422, label
    page = response.get_data(as_text=True)
    assert message in page, label
    assert "<script>alert(1)" not in page
    assert len(waiting_records(runtime.redis)) == 0


@pytest.mark.parametrize("field", ["description", "kecamatan", "privacy", "submission_key"])
def test_a_field_sent_twice_is_refused(client, runtime, field):
    value = {"kecamatan": "11.04.17", "privacy": "biasa", "submission_key": KEY}.get(
        field, "dua kali"
    )
    response = post(client, extra=[(field, value)], kecamatan="11.04.17", privacy="biasa")
    assert response.status_code == 422
    assert "lebih dari sekali" in response.get_data(as_text=True)
    assert len(waiting_records(runtime.redis)) == 0


def test_errors_follow_the_page_language(client):
    client.get("/?lang=en")
    response = post(client, latitude="-6.2", longitude="106.8")
    assert "outside Aceh Tengah" in response.get_data(as_text=True)


def test_the_rate_limit_counts_submissions_not_retries(client, runtime, app):
    runtime.settings = runtime.settings.replace(submit_rate_limit=2)
    first = post(client, submission_key="form-key-rate-00000000001")
    assert first.status_code == 201
    assert post(client, submission_key="form-key-rate-00000000001").status_code == 201  # retry
    assert post(client, submission_key="form-key-rate-00000000002").status_code == 201
    third = post(client, submission_key="form-key-rate-00000000003")
    assert third.status_code == 429
    assert "Terlalu banyak" in third.get_data(as_text=True)
    # The retries of admitted submissions still get their tracking id.
    assert post(client, submission_key="form-key-rate-00000000002").status_code == 201
    assert len(waiting_records(runtime.redis)) == 2
