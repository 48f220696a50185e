"""The citizen form and the tracking page over Flask's test client, with a real worker."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from casestore.models import Complaint
from dispatcher.inbox import waiting_records

KEY = "form-key-0123456789abcdef"


def csrf_token(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post(client, **fields):
    data = {
        "csrf_token": csrf_token(client),
        "submission_key": KEY,
        "description": "Jalan berlubang besar di depan SD Negeri 1 Takengon, sudah 2 bulan.",
        "kecamatan": "11.04.17",
        "privacy": "biasa",
        "name": "Siti Aminah",
        "contact": "0812 3456 7890",
    }
    data.update(fields)
    return client.post("/", data={k: v for k, v in data.items() if v is not None})


def tracking_id_of(response) -> str:
    return re.search(r'data-tracking-id="([0-9A-Z]{10})"', response.get_data(as_text=True)).group(1)


def complaints(runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Complaint))


def test_the_form_is_in_indonesian_with_every_kecamatan(client):
    page = client.get("/").get_data(as_text=True)
    assert "Isi laporan" in page and "Kirim laporan" in page
    kecamatan = page.split('<select id="kecamatan"')[1].split("</select>")[0]
    assert kecamatan.count('<option value="11.04.') == 14
    assert 'name="submission_key"' in page


def test_english_toggle(client):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Send report" in page
    assert "Send report" in client.get("/").get_data(as_text=True)  # remembered


def test_submit_store_and_track(client, runtime, work):
    response = post(client)
    assert response.status_code == 201
    tracking_id = tracking_id_of(response)
    work()
    page = client.get(f"/track/{tracking_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Belum Terverifikasi" in text
    # Never personal data on the tracking page: no name, no number, no description.
    for private in ("Siti", "3456", "berlubang"):
        assert private not in text


def test_a_double_submit_gives_the_same_tracking_id_and_one_case(client, runtime, work):
    first = tracking_id_of(post(client))
    second = tracking_id_of(post(client))
    assert first == second
    assert len(waiting_records(runtime.redis)) == 1
    work()
    assert complaints(runtime) == 1


def test_tracking_ids_are_forgiving_when_typed(client, runtime, work):
    tracking_id = tracking_id_of(post(client))
    work()
    typed = (tracking_id[:5] + "-" + tracking_id[5:]).lower()
    response = client.get(f"/track/{typed}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/track/{tracking_id}")
    assert client.get(f"/track?id={typed}").status_code == 302


@pytest.mark.parametrize(
    ("label", "fields", "field", "message"),
    [
        ("empty description", {"description": ""}, "description", "wajib diisi"),
        ("whitespace description", {"description": " \n\t \u200b"}, "description", "wajib diisi"),
        ("missing description", {"description": None}, "description", "wajib diisi"),
        ("description too long", {"description": "a" * 5001}, "description", "paling banyak"),
        ("unknown kecamatan", {"kecamatan": "99.99.99"}, "kecamatan", "Pilih kecamatan"),
        ("hostile kecamatan", {"kecamatan": "' OR 1=1 --"}, "kecamatan", "Pilih kecamatan"),
        ("unknown privacy", {"privacy": "public"}, "privacy", "biasa, anonim atau rahasia"),
        ("bad contact", {"contact": "not a number"}, "contact", "tidak dikenali"),
        ("name too long", {"name": "n" * 121}, "name", "paling banyak"),
        ("missing submission key", {"submission_key": None}, "submission_key", "kedaluwarsa"),
        (
            "hostile submission key",
            {"submission_key": "../../etc/passwd"},
            "submission_key",
            "kedaluwarsa",
        ),
    ],
)
def test_bad_fields_get_an_indonesian_error_and_nothing_is_queued(
    client, runtime, label, fields, field, message
):
    response = post(client, **fields)
    assert response.status_code == 422, label
    assert message in response.get_data(as_text=True)
    assert len(waiting_records(runtime.redis)) == 0


def test_hostile_text_is_escaped_when_the_form_is_shown_again(client):
    response = post(client, description="<script>alert(1)</script>", kecamatan="x")
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_a_post_without_csrf_is_refused(client, runtime):
    response = client.post("/", data={"description": "x", "submission_key": KEY})
    assert response.status_code == 400
    assert len(waiting_records(runtime.redis)) == 0


def test_an_oversized_body_gets_413(client, runtime):
    limit = runtime.settings.max_body_bytes
    response = post(client, description="a" * (limit + 10))
    assert response.status_code == 413
    assert "terlalu besar" in response.get_data(as_text=True)
    assert len(waiting_records(runtime.redis)) == 0


@pytest.mark.parametrize("tracking_id", ["ABCDE12345", "nope", "<script>", "A" * 300])
def test_unknown_tracking_ids_get_a_404_page(client, tracking_id):
    response = client.get(f"/track/{tracking_id}")
    assert response.status_code in (301, 404)
    if response.status_code == 301:
        response = client.get(response.headers["Location"])
    assert response.status_code == 404
    assert "tidak ditemukan" in response.get_data(as_text=True)


def test_health_endpoints(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "redis": "ok"}
