"""The tracking page names the unit that owns the case now, and its deadline in local time."""

from __future__ import annotations

from datetime import UTC, datetime

from casestore import complaints as store
from casestore.lifecycle import Action, apply_action, start_clocks
from normalizer.tracking import derive_tracking_id
from tests.case_records import complaint_record

RECEIVED = datetime(2026, 12, 21, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB


def test_owner_and_deadline_follow_bounce_and_dispatch(client, runtime):
    tracking_id = derive_tracking_id("web:track-owner", "test-secret")
    with runtime.sessions.begin() as session:
        complaint = store.open_complaint(
            session,
            complaint_record("web:track-owner", RECEIVED),
            tracking_id=tracking_id,
            contact=None,
            owner_unit="dinas-pupr",
        )
        start_clocks(complaint)
    page = client.get(f"/track/{tracking_id}").get_data(as_text=True)
    assert "Dinas Pekerjaan Umum" in page
    # Verify within 3 working days: Tue 22, Wed 23, then Christmas Eve (cuti bersama),
    # Christmas and the weekend, so Monday 28 December, 09:00 local time.
    assert "Batas waktu tindak lanjut" in page and "28 Des 2026 09:00 WIB" in page

    bounced_at = datetime(2026, 12, 22, 3, 0, tzinfo=UTC)  # Tuesday 10:00 WIB
    with runtime.sessions.begin() as session:
        complaint = store.complaint_by_tracking_id(session, tracking_id)
        apply_action(
            session, complaint, Action.BOUNCE, actor="pupr", now=bounced_at, reason="other",
            note="Jalan provinsi, bukan kabupaten",
        )  # fmt: skip
    page = client.get(f"/track/{tracking_id}").get_data(as_text=True)
    assert "Admin Koordinator" in page and "Dinas Pekerjaan Umum" not in page
    assert "Dikembalikan ke koordinator" in page
    assert "Jalan provinsi" not in page  # the units' note stays internal
    assert "29 Des 2026 10:00 WIB" in page  # the coordinator's 3 working days

    with runtime.sessions.begin() as session:
        complaint = store.complaint_by_tracking_id(session, tracking_id)
        apply_action(
            session, complaint, Action.DISPATCH, actor="c", now=bounced_at, unit="dinas-perkim"
        )
    page = client.get(f"/track/{tracking_id}?lang=en").get_data(as_text=True)
    assert "Housing and Settlement Office" in page and "coordinator" not in page.lower()
    assert "Next step due by" in page
