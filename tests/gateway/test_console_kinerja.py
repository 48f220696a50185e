"""The coordinator's accountability page and home (issue 20): the scoreboard's figures with
the slipping units first, low ratings linked to their cases, local holidays added and
removed (and then skipped by new clocks); unit operators never see any of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from console_support import csrf_from, fast_hashing, login  # noqa: F401 (fixture)
from sqlalchemy import select

from casestore import complaints as store
from casestore.accountability import local_holiday_days
from casestore.lifecycle import Action
from casestore.models import Complaint, utcnow
from dispatcher.casework import act_on_case, lifecycle_action
from tests.scoreboard_history import seed

pytestmark = pytest.mark.usefixtures("fast_hashing")


def test_the_page_ranks_slipping_units_first_with_low_ratings(client, runtime, staff):
    with runtime.sessions.begin() as session:
        seed(session)
    login(client, "koord")
    page = client.get("/console/kinerja?periode=2026-11")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="kinerja-total">7<' in html
    units = html.split("<tbody>")[1].split("</tbody>")[0]
    first = units.split('data-unit="')[1].split('"')[0]
    assert first == "dinas-pupr"  # open overdue and 67% on time: slipping
    low = html.split('id="rendah"')[1].split("</ul>")[0]
    assert "/console/cases/" in low and "<strong>2</strong>" in low
    assert "kata-kata warga" not in html  # the comment is on the case page, not in lists
    assert client.get("/console/kinerja?periode=bulan").status_code == 400


def test_the_home_shows_this_months_slipping_units(client, runtime, staff, work):
    from console_support import web_complaint

    tracking_id = web_complaint(runtime, "key-kinerja-000001")
    work()

    def find(session):
        return store.complaint_by_tracking_id(session, tracking_id)

    act_on_case(runtime, find, lifecycle_action(Action.VERIFY, runtime, actor="op"))
    act_on_case(
        runtime, find, lifecycle_action(Action.DISPATCH, runtime, actor="op", unit="dinas-pupr")
    )
    with runtime.sessions.begin() as session:  # its follow-up deadline has passed
        case = session.scalars(select(Complaint)).one()
        case.due_at = utcnow() - timedelta(hours=1)
    login(client, "koord")
    home = client.get("/console/").get_data(as_text=True)
    summary = home.split('id="kinerja-ringkas"')[1].split("</section>")[0]
    assert 'data-unit="dinas-pupr"' in summary


def test_local_holidays_are_added_and_removed_by_the_coordinator(client, runtime, staff):
    login(client, "koord")
    page = client.get("/console/kinerja").get_data(as_text=True)
    token = csrf_from(page)
    day = (utcnow() + timedelta(days=1)).date()
    added = client.post(
        "/console/kinerja/libur",
        data={"csrf_token": token, "day": day.isoformat(), "name": "Hari jadi Takengon"},
    )
    assert added.status_code == 303
    with runtime.sessions() as session:
        assert local_holiday_days(session) == {day}
    assert "Hari jadi Takengon" in client.get("/console/kinerja").get_data(as_text=True)
    for bad, field in (
        ({"day": "besok", "name": "x"}, "YYYY-MM-DD"),
        ({"day": "2026-12-31", "name": ""}, "wajib"),
    ):
        refused = client.post("/console/kinerja/libur", data={"csrf_token": token, **bad})
        assert refused.status_code == 422 and field in refused.get_data(as_text=True)
    removed = client.post(
        f"/console/kinerja/libur/{day.isoformat()}/hapus", data={"csrf_token": token}
    )
    assert removed.status_code == 303
    with runtime.sessions() as session:
        assert local_holiday_days(session) == frozenset()


def test_unit_operators_and_strangers_see_none_of_it(client, runtime, staff):
    assert client.get("/console/kinerja").status_code in (302, 401)
    login(client, "camat-lt")
    assert client.get("/console/kinerja").status_code == 404
    token = csrf_from(client.get("/console/cases").get_data(as_text=True))
    posted = client.post(
        "/console/kinerja/libur", data={"csrf_token": token, "day": "2026-12-31", "name": "x"}
    )
    assert posted.status_code == 404
    with runtime.sessions() as session:
        assert local_holiday_days(session) == frozenset()
