"""The audit trail (issue 19): logins, failed logins, identity views, actions, exports and
password changes are recorded with who, when and where; only the coordinator reads it; no
one rewrites it."""

from __future__ import annotations

import re

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    PASSWORD,
    UNIT,
    act,
    csrf,
    fast_hashing,
    login,
    set_owner,
    web_complaint,
)
from sqlalchemy import select, text

from casestore import audit
from casestore.models import AuditEntry

pytestmark = pytest.mark.usefixtures("fast_hashing")


def trail(runtime) -> list[AuditEntry]:
    with runtime.sessions() as db:
        return list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_a_working_day_is_on_the_record(app, client, runtime, work, staff):
    tid = web_complaint(runtime, "key-audit-00000001", name="Siti Aminah")
    work()
    stranger = app.test_client()
    assert login(stranger, "koord", "salah-sandi-123").status_code == 401
    assert login(stranger, "nobody-here", "salah-sandi-123").status_code == 401
    login(client, "koord")
    assert client.get(f"/console/cases/{tid}").status_code == 200
    assert act(client, tid, "verify").status_code == 303
    assert client.get("/console/export/cases.csv").status_code == 200
    kinds = [(e.kind, e.actor, e.target) for e in trail(runtime)]
    assert ("login_failed", "koord", "") in kinds
    assert ("login_failed", "nobody-here", "") in kinds
    assert ("login", "koord", "") in kinds
    assert ("identity_viewed", "koord", tid) in kinds
    assert ("case_action", "koord", tid) in kinds
    assert ("export", "koord", "") in kinds
    entries = trail(runtime)
    assert all(e.address == "127.0.0.1" and e.at is not None for e in entries)
    action = next(e for e in entries if e.kind == "case_action")
    assert action.detail == {"action": "verify"}
    assert "Siti" not in repr([e.detail for e in entries])  # codes and counts, never names

    page = client.get("/console/audit").get_data(as_text=True)
    assert "Gagal masuk" in page and "Melihat identitas pelapor" in page and tid in page
    only_failed = client.get("/console/audit?kind=login_failed").get_data(as_text=True)
    assert "nobody-here" in only_failed and "3 catatan" not in only_failed
    assert 'class="audit-case_action"' not in only_failed
    assert "2 catatan" in only_failed, re.findall(r"\d+ catatan", only_failed)
    by_case = client.get(f"/console/audit?target={tid.lower()}").get_data(as_text=True)
    assert "3 catatan" in by_case  # two views of the page (one for its form) and the action
    by_actor = client.get("/console/audit?actor=nobody-here").get_data(as_text=True)
    assert "1 catatan" in by_actor
    for hostile in ("kind=drop", "since=kemarin", "page=-1", "target=" + "x" * 500):
        assert client.get(f"/console/audit?{hostile}").status_code == 200, hostile


def test_a_unit_admin_neither_reads_the_trail_nor_sees_hidden_identities_logged(
    client, runtime, work, staff
):
    tid = web_complaint(runtime, "key-audit-00000002", privacy="anonymous")
    work()
    set_owner(runtime, tid, UNIT)
    login(client, "camat-lt")
    assert client.get("/console/audit").status_code == 404
    assert client.get("/console/audit?kind=login").status_code == 404
    assert 'href="/console/audit"' not in client.get("/console/cases").get_data(as_text=True)
    assert client.get(f"/console/cases/{tid}").status_code == 200
    # The anonymous citizen was hidden from the unit: nothing was viewed, nothing recorded.
    assert "identity_viewed" not in [e.kind for e in trail(runtime)]


def test_a_password_change_and_a_logout_are_recorded(client, runtime, staff):
    login(client, "camat-lt")
    token = csrf(client, "/console/password")
    new = "sandi-baru-yang-panjang-1"
    form = {"csrf_token": token, "current": PASSWORD, "new": new, "confirm": new}
    assert client.post("/console/password", data=form).status_code == 302
    token = csrf(client, "/console/cases")
    client.post("/console/logout", data={"csrf_token": token})
    kinds = [(e.kind, e.actor, e.actor_unit) for e in trail(runtime)]
    assert ("password_changed", "camat-lt", UNIT) in kinds
    assert ("logout", "camat-lt", UNIT) in kinds


def test_the_trail_is_append_only(runtime):
    actor = audit.Actor(username="koord", address="10.0.0.9")
    with runtime.sessions.begin() as db:
        audit.record(db, actor, audit.AuditKind.LOGIN)
    with pytest.raises(audit.AppendOnlyError), runtime.sessions.begin() as db:
        entry = db.scalars(select(AuditEntry)).one()
        entry.actor = "someone-else"
    with pytest.raises(audit.AppendOnlyError), runtime.sessions.begin() as db:
        db.delete(db.scalars(select(AuditEntry)).one())
    # Past the application too: the database refuses to rewrite a row.
    with pytest.raises(Exception, match="append-only"), runtime.sessions.begin() as db:
        db.execute(text("UPDATE audit_log SET actor = 'someone-else'"))
    assert [e.actor for e in trail(runtime)] == ["koord"]
