"""The case list as a desk works it (issue 19): sort, date range, desa, page size, saved URLs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    OTHER_UNIT,
    UNIT,
    fast_hashing,
    login,
    set_owner,
    web_complaint,
)

pytestmark = pytest.mark.usefixtures("fast_hashing")

DESA = "11.04.17.2001"  # Takengon Timur, Laut Tawar
OTHER_DESA = "11.04.17.2002"  # Asir Asir


def order_of(page: str, ids: list[str]) -> list[str]:
    found = re.findall(r'href="/console/cases/([0-9A-Z]+)"', page)
    return [tid for tid in found if tid in ids]


@pytest.fixture
def three(runtime, work, staff):
    """Three cases received on three days, with different deadlines, activity and desa."""
    now = datetime.now(UTC)
    old = web_complaint(runtime, "key-list-old-000001", received_at=now - timedelta(days=20))
    mid = web_complaint(runtime, "key-list-mid-000001", received_at=now - timedelta(days=10))
    new = web_complaint(runtime, "key-list-new-000001", received_at=now - timedelta(days=1))
    work()
    set_owner(runtime, old, UNIT, due_at=now + timedelta(days=1), desa_code=DESA)
    set_owner(runtime, mid, UNIT, due_at=now + timedelta(days=9), desa_code=OTHER_DESA)
    set_owner(runtime, new, OTHER_UNIT, due_at=now + timedelta(days=4))
    set_owner(runtime, mid, UNIT, status="in_progress")  # the latest activity
    return {"old": old, "mid": mid, "new": new, "now": now}


SORTS = [
    ("", ["new", "mid", "old"]),
    ("sort=received", ["new", "mid", "old"]),
    ("sort=due", ["old", "new", "mid"]),
    ("sort=activity", ["mid"]),  # the most recently touched first; the rest in any order
    ("sort=status", ["new", "old", "mid"]),  # received before in_progress, newest first
    ("sort=nonsense", ["new", "mid", "old"]),
]


@pytest.mark.parametrize(("query", "expected"), SORTS)
def test_the_list_sorts(client, three, query, expected):
    login(client, "koord")
    page = client.get(f"/console/cases?{query}").get_data(as_text=True)
    ids = [three[name] for name in ("old", "mid", "new")]
    got = order_of(page, ids)
    assert got[: len(expected)] == [three[name] for name in expected], query


def test_date_range_is_in_local_days_and_inclusive(client, three, runtime):
    login(client, "koord")
    local = (three["now"] - timedelta(days=10)).astimezone(ZoneInfo(runtime.settings.timezone))
    one_day = local.date().isoformat()
    page = client.get(f"/console/cases?received_from={one_day}&received_to={one_day}")
    text = page.get_data(as_text=True)
    assert "1 laporan" in text and three["mid"] in text
    since = client.get(f"/console/cases?received_from={one_day}").get_data(as_text=True)
    assert three["mid"] in since and three["new"] in since and three["old"] not in since
    broken = client.get("/console/cases?received_from=kemarin&received_to=2026-13-45")
    assert broken.status_code == 200 and "3 laporan" in broken.get_data(as_text=True)


def test_desa_filter_and_desa_on_the_list_and_the_case_page(client, three):
    login(client, "koord")
    page = client.get(f"/console/cases?desa={DESA}").get_data(as_text=True)
    assert three["old"] in page and three["mid"] not in page and "1 laporan" in page
    assert "Laut Tawar / Takengon Timur" in page
    case_page = client.get(f"/console/cases/{three['old']}").get_data(as_text=True)
    assert "Takengon Timur" in case_page and "Desa/kelurahan" in case_page
    unknown = client.get("/console/cases?desa=99.99").get_data(as_text=True)
    assert "3 laporan" in unknown


def test_page_size_and_filters_survive_in_the_pager(client, runtime, work, staff):
    for n in range(27):
        web_complaint(runtime, f"key-pages-{n:010d}")
    work()
    login(client, "koord")
    page = client.get("/console/cases?sort=due&kecamatan=11.04.17").get_data(as_text=True)
    assert len(re.findall(r'<a class="tid"', page)) == 25
    assert "Halaman 1 dari 2" in page
    next_link = re.search(r'<a href="(\?[^"]+)">Berikutnya', page).group(1)
    assert "sort=due" in next_link and "kecamatan=11.04.17" in next_link
    assert "page=2" in next_link
    fifty = client.get("/console/cases?per_page=50").get_data(as_text=True)
    assert len(re.findall(r'<a class="tid"', fifty)) == 27 and "Halaman 1 dari 1" in fifty
    odd = client.get("/console/cases?per_page=7").get_data(as_text=True)
    assert len(re.findall(r'<a class="tid"', odd)) == 25


def test_a_unit_sees_only_its_cases_whatever_the_filters(client, three):
    login(client, "camat-lt")
    page = client.get(f"/console/cases?unit={OTHER_UNIT}&sort=due").get_data(as_text=True)
    assert three["new"] not in page and three["old"] in page and three["mid"] in page
    assert client.get(f"/console/cases/{three['new']}").status_code == 404


def test_no_channel_code_shown_as_text(client, three):
    login(client, "koord")
    page = client.get("/console/cases").get_data(as_text=True)
    assert "Formulir web" in page
    assert ">web<" not in page


def test_the_case_page_shows_every_hop_with_reason_who_and_when(app, client, runtime, work, staff):
    from console_support import act

    tid = web_complaint(runtime, "key-hops-000000001")
    work()
    set_owner(runtime, tid, UNIT, status="dispatched")
    unit_admin = app.test_client()
    login(unit_admin, "camat-lt")
    assert act(unit_admin, tid, "bounce", reason="not_authority").status_code == 303
    login(client, "koord")
    page = client.get(f"/console/cases/{tid}").get_data(as_text=True)
    hops = page[page.index('class="hops"') : page.index("</section>", page.index('class="hops"'))]
    assert "Kantor Camat Laut Tawar →" in hops
    assert "Bukan wewenang unit ini" in hops and "camat-lt" in hops
    assert "Dikembalikan 1 kali" in hops
    assert "not_authority" not in page  # the reason in words, never its code
    # The dispatch form pre-selects nothing and suggests the rules' next unit, not the bouncer.
    form = page[page.index('data-action="dispatch"') :]
    options = re.findall(r'<option value="([^"]*)"( disabled)?( selected)?>([^<]*)<', form)
    assert options[0][:3] == ("", " disabled", " selected")
    code, _, selected, label = options[1]
    assert "(disarankan aturan routing)" in label and code != UNIT and not selected
