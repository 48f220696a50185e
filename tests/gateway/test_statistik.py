"""The public scoreboard over HTTP (issue 20): no login, the seeded figures on the page and in
the open data, the period selector, bad periods refused, and nothing private on any of it."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from casestore.models import Complaint, StatusEvent
from gateway.public.statistik import parse_period
from tests.scoreboard_history import seed

# Words that must never reach a public number: a name, a contact, the complaint's text, an
# operator's note, the citizen's rating comment.
PRIVATE = ("Jalan rusak", "kata-kata warga", "Sudah diperbaiki", "Budi Santoso", "6281", "CATATAN")


@pytest.fixture
def seeded(runtime):
    with runtime.sessions.begin() as session:
        seed(session)
        for complaint in session.query(Complaint):
            complaint.reporter_name = "Budi Santoso"
            complaint.update_address = "tel:+6281200000001"
        for event in session.query(StatusEvent):
            event.note = "CATATAN internal petugas"
    return runtime


def test_the_page_needs_no_login_and_shows_the_seeded_figures(client, seeded):
    page = client.get("/statistik?periode=2026-11")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="total-received">7<' in html
    assert "1 pengaduan rahasia" in html
    assert "<svg" in html and "<table" in html
    row = html.split('data-unit="dinas-pupr"')[1].split("</tr>")[0]
    assert ">67%<" in row and ">1,5<" in row and ">4<" in row and "3,5 (2)" in row
    perkim = html.split('data-unit="dinas-perkim"')[1].split("</tr>")[0]
    assert "Terlalu sedikit" in perkim
    assert "Silih Nara" in html  # kecamatan by name


def test_english_on_request(client, seeded):
    html = client.get("/statistik?periode=2026-11&lang=en").get_data(as_text=True)
    assert "Complaints received" in html and "1.5" in html
    assert "Too few complaints" in html


@pytest.mark.parametrize("name", ["summary", "units", "kecamatan", "category", "channel", "months"])
def test_open_data_csv_and_json_agree(client, seeded, name):
    as_json = client.get(f"/statistik/data/{name}.json?periode=2026-11")
    as_csv = client.get(f"/statistik/data/{name}.csv?periode=2026-11")
    assert as_json.status_code == as_csv.status_code == 200
    assert as_csv.mimetype == "text/csv"
    data = as_json.get_json()
    rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert data["fields"] == list(rows[0].keys()) if rows else True
    assert len(rows) == len(data["rows"])
    for text in (as_json.get_data(as_text=True), as_csv.get_data(as_text=True)):
        for word in PRIVATE:
            assert word not in text


def test_open_data_numbers(client, seeded):
    units = {
        r["key"]: r
        for r in client.get("/statistik/data/units.json?periode=2026-11").get_json()["rows"]
    }
    pupr = units["dinas-pupr"]
    assert (pupr["received"], pupr["on_time"], pupr["decided"]) == (5, 2, 3)
    assert pupr["median_first_response"] == 1.5 and pupr["median_resolution"] == 4.0
    assert pupr["on_time_share"] == 0.6667 and pupr["enough"] is True
    perkim = units["dinas-perkim"]
    assert perkim["on_time_share"] is None and perkim["median_resolution"] is None
    kecamatan = client.get("/statistik/data/kecamatan.json?periode=2026-11").get_json()["rows"]
    assert "11.04.03" not in {r["key"] for r in kecamatan}  # the confidential case's only place
    summary = client.get("/statistik/data/summary.json?periode=2026-11").get_json()["rows"][0]
    assert (summary["total_received"], summary["confidential_received"]) == (7, 1)


def test_the_page_never_shows_private_words(client, seeded):
    for lang in ("id", "en"):
        html = client.get(f"/statistik?periode=2026-11&lang={lang}").get_data(as_text=True)
        for word in PRIVATE:
            assert word not in html


@pytest.mark.parametrize(
    "value", ["2026-13", "26", "abcd", "2026-1", "1999", "2026-11-01", "x" * 500, "2026/11"]
)
def test_a_bad_period_is_a_400_naming_the_field(client, value):
    for url in ("/statistik", "/statistik/data/units.json"):
        response = client.get(url, query_string={"periode": value})
        assert response.status_code == 400
        assert "periode" in response.get_data(as_text=True).lower()


def test_unknown_dataset_or_format_is_404(client):
    assert client.get("/statistik/data/contacts.json").status_code == 404
    assert client.get("/statistik/data/units.xml").status_code == 404


def test_default_period_is_the_last_twelve_local_months():
    now = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # 5 December 03:00 WIB
    period = parse_period("", now, "Asia/Jakarta")
    assert period.start == datetime(2025, 12, 31, 17, 0, tzinfo=UTC)  # 1 Jan 2026 WIB
    assert period.end == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)


def test_the_page_is_cached_per_period(client, seeded):
    first = client.get("/statistik/data/summary.json?periode=2026-11").get_json()
    with seeded.sessions.begin() as session:
        session.query(StatusEvent).delete()
        session.query(Complaint).filter(Complaint.privacy == "confidential").delete()
    again = client.get("/statistik/data/summary.json?periode=2026-11").get_json()
    assert again == first  # the cache answered
    other = client.get("/statistik/data/summary.json?periode=2026").get_json()
    assert other["rows"][0]["confidential_received"] == 0
    assert json.dumps(other)


@pytest.mark.parametrize(
    ("lang", "november", "short"), [("id", "November 2026", "Agu"), ("en", "November 2026", "Aug")]
)
def test_the_month_table_names_months_as_the_selector_does(client, seeded, lang, november, short):
    html = client.get(f"/statistik?periode=2026-11&lang={lang}").get_data(as_text=True)
    table = html.split('id="h-months"')[1].split("</table>")[0]
    # The table's twelve months, named by Babel in the page's language, oldest first.
    assert f'<time datetime="2026-11">{november}</time>' in table
    first = "Desember 2025" if lang == "id" else "December 2025"
    assert f'<time datetime="2025-12">{first}</time>' in table
    assert ">2026-11<" not in table
    # The chart's axis names months short (August: "Agu" in Indonesian), never by number.
    assert f">{short}</text>" in table
    # The open data keeps the machine codes.
    rows = client.get("/statistik/data/months.json?periode=2026-11").get_json()["rows"]
    assert rows[-1]["month"] == "2026-11"
