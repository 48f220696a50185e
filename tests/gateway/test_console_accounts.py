"""Accounts in the console (issue 19): the coordinator adds unit admins with a one-time
password shown once, disables, enables and resets them; all of it is audited; a unit's
admin gets 404 on every URL."""

from __future__ import annotations

import re

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    UNIT,
    csrf,
    fast_hashing,
    login,
)
from sqlalchemy import select

from casestore.models import AuditEntry

pytestmark = pytest.mark.usefixtures("fast_hashing")


def post(client, path, **data):
    token = csrf(client, "/console/accounts")
    return client.post(path, data={"csrf_token": token, **data})


def one_time_password(html: str) -> str:
    return re.search(r"<code data-one-time-password>([^<]+)</code>", html).group(1)


def test_the_coordinator_adds_a_unit_admin_who_must_change_the_password(
    app, client, runtime, staff
):
    login(client, "koord")
    response = post(
        client, "/console/accounts", username="Admin-LT2", unit=UNIT, display_name="Ani"
    )
    assert response.status_code == 201
    password = one_time_password(response.get_data(as_text=True))
    assert "admin-lt2" in response.get_data(as_text=True)
    # Shown once: the list afterwards never shows it again.
    assert password not in client.get("/console/accounts").get_data(as_text=True)
    newcomer = app.test_client()
    first = login(newcomer, "admin-lt2", password)
    assert first.status_code == 302 and first.headers["Location"].endswith("/console/password")
    with runtime.sessions() as db:
        created = db.scalars(select(AuditEntry).where(AuditEntry.kind == "account_created")).one()
    assert created.actor == "koord" and created.target == "admin-lt2"
    assert created.detail == {"role": "unit", "unit": UNIT}


def test_disable_ends_sessions_enable_and_reset_issue_a_new_password(app, client, runtime, staff):
    unit_admin = app.test_client()
    login(unit_admin, "camat-lt")
    assert unit_admin.get("/console/cases").status_code == 200
    login(client, "koord")
    assert post(client, "/console/accounts/camat-lt/active", active="0").status_code == 303
    assert unit_admin.get("/console/cases").status_code == 302  # the session ended
    assert "nonaktif" in client.get("/console/accounts").get_data(as_text=True)
    assert post(client, "/console/accounts/camat-lt/active", active="1").status_code == 303
    reset = post(client, "/console/accounts/camat-lt/password")
    assert reset.status_code == 200
    password = one_time_password(reset.get_data(as_text=True))
    again = app.test_client()
    assert login(again, "camat-lt", password).headers["Location"].endswith("/console/password")
    with runtime.sessions() as db:
        changes = [
            e.detail["change"]
            for e in db.scalars(
                select(AuditEntry)
                .where(AuditEntry.kind == "account_changed")
                .order_by(AuditEntry.id)
            )
        ]
    assert changes == ["disabled", "enabled", "password_reset"]


BAD_NEW_ACCOUNTS = [
    ({"username": "ab", "unit": UNIT}, "Nama pengguna"),
    ({"username": "<script>", "unit": UNIT}, "Nama pengguna"),
    ({"username": "x" * 200, "unit": UNIT}, "Nama pengguna"),
    ({"username": "petugas-baru", "unit": "no-such-unit"}, "Pilih unit"),
    ({"username": "petugas-baru"}, "Pilih unit"),
    ({"username": "camat-lt", "unit": UNIT}, "sudah dipakai"),
]


@pytest.mark.parametrize(("fields", "says"), BAD_NEW_ACCOUNTS)
def test_bad_new_accounts_are_refused_with_a_reason(client, staff, fields, says):
    login(client, "koord")
    response = post(client, "/console/accounts", **fields)
    assert response.status_code == 422
    assert says in response.get_data(as_text=True)
    assert "data-one-time-password" not in response.get_data(as_text=True)


def test_own_account_and_unknown_accounts(client, staff):
    login(client, "koord")
    assert post(client, "/console/accounts/koord/active", active="0").status_code == 303
    assert client.get("/console/cases").status_code == 200  # still logged in
    assert post(client, "/console/accounts/nobody/active", active="0").status_code == 404
    assert post(client, "/console/accounts/nobody/password").status_code == 404


def test_a_unit_admin_gets_404_everywhere_here(client, staff):
    login(client, "camat-lt")
    assert client.get("/console/accounts").status_code == 404
    token = csrf(client, "/console/cases")
    for path in (
        "/console/accounts",
        "/console/accounts/camat-linge/active",
        "/console/accounts/camat-linge/password",
    ):
        assert client.post(path, data={"csrf_token": token, "active": "0"}).status_code == 404
