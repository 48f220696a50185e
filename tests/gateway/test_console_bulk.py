"""The coordinator's bulk actions (issue 19): one transaction, one event and one citizen
notification per case; a partial failure names the cases that failed and why."""

from __future__ import annotations

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    UNIT,
    case,
    csrf,
    events,
    fast_hashing,
    login,
    set_owner,
    sms_complaint,
)
from sqlalchemy import select

from casestore.models import AuditEntry, Message

pytestmark = pytest.mark.usefixtures("fast_hashing")


def bulk(client, action, ids, **fields):
    token = csrf(client, "/console/cases")
    data = {"csrf_token": token, "bulk_action": action, "case": ids, **fields}
    return client.post("/console/bulk", data=data, follow_redirects=True)


def outbound(runtime, tracking_id) -> list[Message]:
    with runtime.sessions() as db:
        complaint_id = case(runtime, tracking_id).id
        return list(
            db.scalars(
                select(Message).where(
                    Message.complaint_id == complaint_id, Message.direction == "out"
                )
            )
        )


@pytest.fixture
def three(runtime, work, staff):
    ids = [
        sms_complaint(runtime, "SM" + c * 32, sender=f"tel:+62812345678{n}")
        for n, c in enumerate("pqr")
    ]
    work()
    return ids


def test_bulk_verify_then_dispatch_each_case_its_own_event_and_message(
    client, runtime, work, three
):
    login(client, "koord")
    before = {tid: len(outbound(runtime, tid)) for tid in three}
    page = bulk(client, "verify", three).get_data(as_text=True)
    assert "3 laporan berhasil diproses." in page
    page = bulk(client, "dispatch", three, unit=UNIT, note="Mohon segera").get_data(as_text=True)
    assert "3 laporan berhasil diproses." in page
    work()
    for tid in three:
        assert case(runtime, tid).status == "dispatched" and case(runtime, tid).owner_unit == UNIT
        kinds = [e.kind for e in events(runtime, tid)]
        assert kinds.count("verify") == 1 and kinds.count("dispatch") == 1
        assert len(outbound(runtime, tid)) == before[tid] + 2  # told of each step, once
    with runtime.sessions() as db:
        audited = list(db.scalars(select(AuditEntry).where(AuditEntry.kind == "case_action")))
    assert len(audited) == 6 and all(e.detail["bulk"] for e in audited)


def test_a_partial_failure_names_the_cases_and_why(client, runtime, work, three):
    login(client, "koord")
    first, second, third = three
    set_owner(runtime, second, UNIT, status="closed")
    page = bulk(client, "reject_spam", [first, second, "ZZZZZZZZZZ", third])
    text = page.get_data(as_text=True)
    assert "2 laporan berhasil diproses." in text
    shown = f"{second[:5]}-{second[5:]}"
    assert f"{shown} gagal:" in text
    assert "ZZZZZ-ZZZZZ gagal: laporan tidak ditemukan" in text
    assert case(runtime, first).status == "rejected" and case(runtime, third).status == "rejected"
    assert case(runtime, second).status == "closed"  # untouched, nothing half-done
    assert [e.reason for e in events(runtime, first) if e.kind == "reject"] == ["spam"]


BAD_FORMS = [
    ({"bulk_action": "delete_everything"}, "bulk_action"),
    ({"bulk_action": "dispatch", "unit": "no-such-unit"}, "unit"),
    ({"bulk_action": "dispatch"}, "unit"),
    ({"bulk_action": "archive", "reason": "because"}, "reason"),
    ({"bulk_action": "verify", "note": "x" * 2001}, "note"),
]


@pytest.mark.parametrize(("fields", "named"), BAD_FORMS)
def test_bad_bulk_forms_are_a_400_naming_the_field(client, runtime, three, fields, named):
    login(client, "koord")
    token = csrf(client, "/console/cases")
    response = client.post("/console/bulk", data={"csrf_token": token, "case": three, **fields})
    assert response.status_code == 400
    assert named in response.get_data(as_text=True)
    assert all(case(runtime, tid).status == "received" for tid in three)


def test_too_many_cases_at_once_is_refused(client, runtime, three):
    login(client, "koord")
    token = csrf(client, "/console/cases")
    ids = [f"{n:010d}" for n in range(101)]
    data = {"csrf_token": token, "bulk_action": "verify", "case": ids}
    assert client.post("/console/bulk", data=data).status_code == 400


def test_a_unit_admin_gets_404_and_no_checkboxes(client, runtime, three):
    set_owner(runtime, three[0], UNIT)
    login(client, "camat-lt")
    page = client.get("/console/cases").get_data(as_text=True)
    assert 'name="case"' not in page and "/console/bulk" not in page
    token = csrf(client, "/console/cases")
    data = {"csrf_token": token, "bulk_action": "verify", "case": [three[0]]}
    assert client.post("/console/bulk", data=data).status_code == 404
    assert case(runtime, three[0]).status == "received"


def test_nothing_ticked_says_so(client, runtime, three):
    login(client, "koord")
    page = bulk(client, "verify", []).get_data(as_text=True)
    assert "Belum ada laporan yang dicentang." in page
