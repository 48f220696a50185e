"""The console's notification settings, the unit's home (what needs it now) and unread
marks on cases with citizen activity (issue 18)."""

from __future__ import annotations

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    UNIT,
    add_operator,
    case,
    csrf,
    events,
    fast_hashing,
    login,
    set_owner,
    web_complaint,
)

from casestore import alerts
from casestore import complaints as cases
from casestore import operators as accounts
from casestore.vocabulary import EventKind

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def staff(runtime):
    add_operator(runtime, "koordinator")
    add_operator(runtime, "camat.laut", role="unit", unit=UNIT)
    add_operator(runtime, "camat.lain", role="unit", unit="kec-11.04.01")


def prefs(runtime, username):
    with runtime.sessions() as db:
        return alerts.preferences(db, accounts.operator_by_username(db, username))


def save(client, path, **fields):
    return client.post(path, data={"csrf_token": csrf(client, path), **fields})


def test_the_coordinator_sets_a_units_email_and_kinds(client, runtime, staff):
    login(client, "koordinator")
    page = client.get("/console/notifications").get_data(as_text=True)
    assert 'data-email="off"' in page and "SATUPINTU_SMTP_URL" in page  # no SMTP here
    assert "camat.laut" in page
    answer = save(
        client,
        "/console/notifications/camat.laut",
        email="Camat.Laut@AcehTengahKab.go.id",
        phone="0812 6000 0009",
        delivery="digest",
        kind_routed="1",
        kind_deadline="1",
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("saved=1")
    wanted = prefs(runtime, "camat.laut")
    assert (wanted.email, wanted.phone, wanted.delivery) == (
        "Camat.Laut@acehtengahkab.go.id",
        "+6281260000009",
        "digest",
    )
    assert wanted.kinds == {"routed", "deadline"}


def test_a_bad_email_is_refused_and_names_the_field(client, runtime, staff):
    login(client, "camat.laut")
    answer = save(client, "/console/notifications", email="bukan email", delivery="immediate")
    assert answer.status_code == 422
    assert "Alamat email tidak sah." in answer.get_data(as_text=True)
    assert prefs(runtime, "camat.laut").email == ""


def test_a_unit_admin_edits_their_own_settings_only(client, runtime, staff):
    login(client, "camat.laut")
    assert save(client, "/console/notifications", email="saya@contoh.id").status_code == 302
    assert prefs(runtime, "camat.laut").email == "saya@contoh.id"
    assert client.get("/console/notifications/camat.lain").status_code == 404
    assert client.get("/console/notifications/koordinator").status_code == 404
    page = client.get("/console/notifications").get_data(as_text=True)
    assert "camat.lain" not in page  # nobody else's addresses


def test_citizen_activity_is_unread_until_the_owners_admin_opens_the_case(
    client, runtime, work, staff
):
    tracking_id = web_complaint(runtime, "form-unread-1", sender="mailto:warga@contoh.id")
    work()
    set_owner(runtime, tracking_id, UNIT, status="dispatched")
    with runtime.sessions.begin() as db:
        cases.add_event(db, case(runtime, tracking_id), EventKind.FOLLOW_UP, note="", public=False)
    assert events(runtime, tracking_id)[-1].kind == EventKind.FOLLOW_UP
    login(client, "camat.laut")
    home = client.get("/console/", follow_redirects=True).get_data(as_text=True)
    assert "Yang perlu ditangani sekarang" in home
    unread_section = home.split('data-section="unread"')[1].split("</section>")[0]
    assert tracking_id[:5] in unread_section
    listed = client.get("/console/cases?unread=1").get_data(as_text=True)
    assert 'data-unread="yes"' in listed
    assert "warga@contoh.id" not in listed
    client.get(f"/console/cases/{tracking_id}")  # the owner's admin reads it
    listed = client.get("/console/cases").get_data(as_text=True)
    assert 'data-unread="yes"' not in listed
    home = client.get("/console/today").get_data(as_text=True)
    assert tracking_id[:5] not in home.split('data-section="unread"')[1].split("</section>")[0]


def test_the_coordinator_opening_a_units_case_leaves_it_unread_for_the_unit(
    client, runtime, work, staff
):
    tracking_id = web_complaint(runtime, "form-unread-2")
    work()
    set_owner(runtime, tracking_id, UNIT, status="dispatched")
    with runtime.sessions.begin() as db:
        cases.add_event(db, case(runtime, tracking_id), EventKind.FOLLOW_UP, note="", public=False)
    login(client, "koordinator")
    client.get(f"/console/cases/{tracking_id}")
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/cases")})
    login(client, "camat.laut")
    assert 'data-unread="yes"' in client.get("/console/cases").get_data(as_text=True)


def test_texts_to_the_phone_are_offered_only_through_a_channel_that_is_on(client, runtime, staff):
    from fakes.twilio_api import FakeTwilioApi, twilio_settings

    login(client, "camat.laut")
    page = client.get("/console/notifications").get_data(as_text=True)
    assert 'data-texts="off"' in page and "pesan singkat ke HP tidak dapat dikirim" in page
    assert 'value="sms"' not in page
    with FakeTwilioApi("AC" + "5" * 32, "token-" + "6" * 26) as api:
        runtime.settings = twilio_settings(runtime.settings, api, "https://lapor.test")
        page = client.get("/console/notifications").get_data(as_text=True)
        assert 'data-texts="on"' in page and 'value="sms"' in page and 'value="whatsapp"' in page
        no_phone = save(client, "/console/notifications", phone="", phone_alerts="sms")
        assert no_phone.status_code == 422
        assert "memerlukan nomor HP" in no_phone.get_data(as_text=True)
        answer = save(
            client, "/console/notifications", phone="0812 6000 0009", phone_alerts="sms",
            kind_routed="1",
        )  # fmt: skip
        assert answer.status_code == 302
    wanted = prefs(runtime, "camat.laut")
    assert (wanted.phone, wanted.phone_alerts) == ("+6281260000009", "sms")
