"""The case list and who sees which case, as each kind of operator meets them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    OTHER_UNIT,
    UNIT,
    act,
    add_operator,
    case,
    csrf,
    events,
    fast_hashing,
    login,
    set_owner,
    sms_complaint,
    web_complaint,
)

from casestore.casework import CaseFilters, search_cases

pytestmark = pytest.mark.usefixtures("fast_hashing")


# --- the list ---------------------------------------------------------------------------


def test_the_list_shows_cases_with_filters_and_search(client, runtime, work, staff):
    road = web_complaint(runtime, "key-road-0000000001", "Jalan berlubang di Kampung Bale")
    water = web_complaint(runtime, "key-water-000000001", "Air PDAM tidak mengalir tiga hari")
    work()
    login(client, "koord")
    page = client.get("/console/cases").get_data(as_text=True)
    assert road in page and water in page
    assert "2 laporan" in page
    searched = client.get("/console/cases?q=PDAM").get_data(as_text=True)
    assert water in searched and road not in searched
    by_status = client.get("/console/cases?status=verified").get_data(as_text=True)
    assert "0 laporan" in by_status
    typed = f"{road[:5]}-{road[5:]}".lower().replace("0", "o").replace("1", "i")
    by_id = client.get(f"/console/cases?q={typed}").get_data(as_text=True)
    assert road in by_id and water not in by_id


HOSTILE_QUERIES = [
    "status=nonsense",
    "channel=%27%20OR%201%3D1",
    "unit=../../etc",
    "page=-5",
    "page=abc",
    "page=99999999999999999999",
    "q=" + "x" * 5000,
    "q=%25%25%25_",
    "kecamatan=%00",
    "status=received&status=verified",
]


def test_hostile_filters_are_ignored_not_errors(client, runtime, work, staff):
    web_complaint(runtime, "key-hostile-0000001")
    work()
    login(client, "koord")
    for query in HOSTILE_QUERIES:
        assert client.get(f"/console/cases?{query}").status_code == 200, query


def test_like_wildcards_in_the_search_are_literal(runtime, work):
    web_complaint(runtime, "key-like-0000000001", "Lampu mati 100% di jalan utama")
    web_complaint(runtime, "key-like-0000000002", "Lampu mati di jalan kecil")
    work()
    with runtime.sessions() as db:
        now = datetime.now(UTC)
        found = search_cases(db, CaseFilters(query="100%"), scope_unit=None, now=now)
        assert found.total == 1
        assert search_cases(db, CaseFilters(query="%"), scope_unit=None, now=now).total == 1


def test_pagination(client, runtime, work, staff):
    for n in range(27):
        web_complaint(runtime, f"key-page-{n:011d}", f"Laporan nomor {n} tentang jalan rusak")
    work()
    login(client, "koord")
    first = client.get("/console/cases").get_data(as_text=True)
    assert "Halaman 1 dari 2" in first and "page=2" in first
    second = client.get("/console/cases?page=2").get_data(as_text=True)
    assert second.count('class="tid"') == 2


def test_overdue_and_near_deadline_cases_are_highlighted(client, runtime, work, staff):
    late = web_complaint(runtime, "key-late-0000000001")
    soon = web_complaint(runtime, "key-soon-0000000001")
    calm = web_complaint(runtime, "key-calm-0000000001")
    work()
    now = datetime.now(UTC)
    set_owner(runtime, late, UNIT, due_at=now - timedelta(hours=2))
    set_owner(runtime, soon, UNIT, due_at=now + timedelta(hours=5))
    set_owner(runtime, calm, UNIT, due_at=now + timedelta(days=3))
    login(client, "koord")
    page = client.get("/console/cases").get_data(as_text=True)
    rows = {
        tid: re.search(
            # The coordinator's rows start with the bulk-selection checkbox.
            rf'<tr class="([^"]*)">\s*(?:<td class="pick">.*?</td>\s*)?'
            rf'<td[^>]*><a class="tid" href="/console/cases/{tid}"',
            page,
        )
        for tid in (late, soon, calm)
    }
    assert rows[late].group(1) == "row-overdue"
    assert rows[soon].group(1) == "row-near"
    assert rows[calm].group(1) == ""
    overdue = client.get("/console/cases?overdue=1").get_data(as_text=True)
    assert late in overdue and soon not in overdue and calm not in overdue


# --- who sees what ------------------------------------------------------------------------


def test_a_unit_sees_only_its_own_cases_and_404_for_others(client, runtime, work, staff):
    ours = web_complaint(runtime, "key-ours-0000000001", "Jalan desa rusak parah")
    theirs = web_complaint(runtime, "key-theirs-00000001", "Jembatan putus di Linge")
    work()
    set_owner(runtime, ours, UNIT)
    set_owner(runtime, theirs, OTHER_UNIT)
    login(client, "camat-lt")
    listing = client.get("/console/cases").get_data(as_text=True)
    assert ours in listing and theirs not in listing
    # The unit filter cannot widen the scope.
    assert theirs not in client.get(f"/console/cases?unit={OTHER_UNIT}").get_data(as_text=True)
    assert client.get(f"/console/cases/{ours}").status_code == 200
    assert client.get(f"/console/cases/{theirs}").status_code == 404
    token = csrf(client, f"/console/cases/{ours}")
    response = client.post(
        f"/console/cases/{theirs}/actions", data={"csrf_token": token, "action": "verify"}
    )
    assert response.status_code == 404
    assert client.get(f"/console/cases/{theirs}/attachments/1").status_code == 404
    assert case(runtime, theirs).status == "received"


def test_anonymous_citizens_are_hidden_from_units_not_from_the_coordinator(
    app, runtime, work, staff
):
    tracking_id = web_complaint(
        runtime, "key-anon-0000000001", privacy="anonymous", name="Rahmat Hidayat"
    )
    work()
    set_owner(runtime, tracking_id, UNIT)
    unit, coordinator = app.test_client(), app.test_client()
    login(unit, "camat-lt")
    login(coordinator, "koord")
    unit_page = unit.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "Rahmat" not in unit_page and "+6281234567890" not in unit_page
    assert "Disembunyikan (pelapor anonim)" in unit_page
    coordinator_page = coordinator.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "Rahmat Hidayat" in coordinator_page and "tel:+6281234567890" in coordinator_page


def test_a_typed_contact_is_shown_to_the_unit_as_typed_not_verified(app, runtime, work, staff):
    # Issue 13: a web citizen's phone is what they typed, kept on the case, not a contact.
    tracking_id = web_complaint(runtime, "key-typed-000000001", name="Rahmat Hidayat")
    work()
    set_owner(runtime, tracking_id, UNIT)
    unit = app.test_client()
    login(unit, "camat-lt")
    page = unit.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "Rahmat Hidayat" in page and "tel:+6281234567890" in page
    assert "diketik pelapor, belum terverifikasi" in page


def test_confidential_cases_are_marked_in_the_list_and_on_the_page(client, runtime, work, staff):
    tracking_id = web_complaint(runtime, "key-secret-00000001", privacy="confidential")
    work()
    login(client, "koord")
    listing = client.get("/console/cases").get_data(as_text=True)
    assert "badge p-confidential" in listing
    page = client.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "RAHASIA" in page and "badge p-confidential" in page
