"""The intake monitor: queues, workers, spool, failed jobs, quarantine, channels and chart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    UNIT,
    add_operator,
    csrf,
    failed_store_job,
    fast_hashing,
    hold,
    login,
    sms_complaint,
    web_complaint,
)
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from casestore.models import Complaint, Message, Quarantine
from dispatcher.queues import INTAKE, queue
from dispatcher.worker import make_worker

pytestmark = pytest.mark.usefixtures("fast_hashing")

PHONE = "+6281234567890"


@pytest.fixture
def unit_admin(app, runtime):
    add_operator(runtime, "camat-lt", role="unit", unit=UNIT)
    client = app.test_client()
    login(client, "camat-lt")
    return client


def panel(client) -> str:
    response = client.get("/console/monitor/panel", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_monitor_page_loads_its_refresher_and_the_panel(coordinator, runtime, work):
    tracking_id = sms_complaint(runtime, "SM" + "1" * 32)
    work()
    page = coordinator.get("/console/").get_data(as_text=True)
    assert 'id="monitor-panel"' in page and 'data-src="/console/monitor/panel"' in page
    assert "/static/console.js" in page
    assert tracking_id in page  # the new complaint, waiting for verification
    fragment = panel(coordinator)
    assert "<html" not in fragment and tracking_id in fragment
    assert coordinator.get("/static/console.js").status_code == 200


def test_queue_depth_age_workers_and_spool(coordinator, runtime):
    sms_complaint(runtime, "SM" + "2" * 32)  # queued, not worked
    runtime.spool.append({"idempotency_key": "sms:spooled"})
    worker = make_worker(runtime, name="monitor-test-worker")
    worker.register_birth()
    try:
        fragment = panel(coordinator)
    finally:
        worker.register_death()
    row = re.search(r'<tr data-queue="intake"[^>]*>(.*?)</tr>', fragment, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[1].strip() == "1"  # one job waiting
    assert "dtk" in cells[2] or "mnt" in cells[2]  # its age
    assert 'data-workers="1"' in fragment and "monitor-test-worker" in fragment
    assert 'data-spool="1"' in fragment


def test_failed_jobs_show_a_reason_and_a_redacted_preview_and_can_be_retried(
    coordinator, runtime, work
):
    job_id = failed_store_job(runtime)
    work()
    fragment = panel(coordinator)
    row = re.search(rf'<tr data-job="{job_id}">(.*?)</tr>', fragment, re.S).group(1)
    assert "malformed record" in row
    assert "channel=sms" in row and "contact_urn=tel:***90" in row and "text=&lt;" in row
    for private in (PHONE, "6281234567890", "Rahmat", "Pungutan", "Budi"):
        assert private not in fragment
    token = csrf(coordinator, "/console/")
    response = coordinator.post(f"/console/monitor/jobs/{job_id}/retry", data={"csrf_token": token})
    assert response.status_code == 303
    intake = queue(INTAKE, runtime.redis)
    assert job_id in intake.job_ids
    assert job_id not in FailedJobRegistry(queue=intake).get_job_ids()
    again = coordinator.post(f"/console/monitor/jobs/{job_id}/retry", data={"csrf_token": token})
    assert "Sudah tidak ada" in coordinator.get(again.headers["Location"]).get_data(as_text=True)


def test_a_failed_job_can_be_discarded_for_good(coordinator, runtime, work):
    job_id = failed_store_job(runtime)
    work()
    assert "Buang" in panel(coordinator)
    token = csrf(coordinator, "/console/")
    response = coordinator.post(
        f"/console/monitor/jobs/{job_id}/discard", data={"csrf_token": token}
    )
    assert response.status_code == 303
    intake = queue(INTAKE, runtime.redis)
    assert job_id not in FailedJobRegistry(queue=intake).get_job_ids()
    assert job_id not in intake.job_ids
    assert not runtime.redis.exists(f"rq:job:{job_id}")
    again = coordinator.post(f"/console/monitor/jobs/{job_id}/discard", data={"csrf_token": token})
    assert "Sudah tidak ada" in coordinator.get(again.headers["Location"]).get_data(as_text=True)


def test_discarding_needs_csrf_and_the_coordinator(coordinator, unit_admin, runtime, work):
    job_id = failed_store_job(runtime)
    work()
    assert coordinator.post(f"/console/monitor/jobs/{job_id}/discard").status_code == 400
    token = csrf(unit_admin, "/console/cases")
    response = unit_admin.post(
        f"/console/monitor/jobs/{job_id}/discard", data={"csrf_token": token}
    )
    assert response.status_code == 404
    assert job_id in FailedJobRegistry(queue=queue(INTAKE, runtime.redis)).get_job_ids()


@pytest.mark.parametrize("job_id", ["nope", "../../etc", "x" * 200, "a b"])
@pytest.mark.parametrize("action", ["retry", "discard"])
def test_retrying_or_discarding_unknown_jobs_changes_nothing(coordinator, job_id, action):
    token = csrf(coordinator, "/console/")
    response = coordinator.post(
        f"/console/monitor/jobs/{job_id}/{action}", data={"csrf_token": token}
    )
    assert response.status_code in (303, 404)


def test_quarantine_release_stores_the_message(coordinator, runtime):
    held = hold(runtime)
    fragment = panel(coordinator)
    assert f'data-quarantine="{held}"' in fragment
    assert "tel:***90" in fragment and PHONE not in fragment
    token = csrf(coordinator, "/console/")
    response = coordinator.post(
        f"/console/monitor/quarantine/{held}/release", data={"csrf_token": token}
    )
    assert response.status_code == 303
    with runtime.sessions() as db:
        assert db.get(Quarantine, held).resolution == "released"
        assert db.get(Quarantine, held).resolved_by == "operator:koord"
        assert db.scalar(select(func.count()).select_from(Complaint)) == 1
    assert f'data-quarantine="{held}"' not in panel(coordinator)
    twice = coordinator.post(
        f"/console/monitor/quarantine/{held}/release", data={"csrf_token": token}
    )
    assert "Sudah tidak ada" in coordinator.get(twice.headers["Location"]).get_data(as_text=True)


def test_quarantine_reject_keeps_the_row_and_stores_nothing(coordinator, runtime):
    held = hold(runtime)
    token = csrf(coordinator, "/console/")
    coordinator.post(f"/console/monitor/quarantine/{held}/reject", data={"csrf_token": token})
    with runtime.sessions() as db:
        assert db.get(Quarantine, held).resolution == "rejected"
        assert db.scalar(select(func.count()).select_from(Complaint)) == 0


def test_monitor_actions_need_csrf(coordinator, runtime):
    held = hold(runtime)
    assert coordinator.post(f"/console/monitor/quarantine/{held}/reject").status_code == 400
    with runtime.sessions() as db:
        assert db.get(Quarantine, held).resolved_at is None


def test_unit_admins_get_404_on_every_monitor_url(unit_admin, runtime):
    held = hold(runtime)
    token = csrf(unit_admin, "/console/cases")
    assert unit_admin.get("/console/monitor/panel").status_code == 404
    for path in (
        f"/console/monitor/quarantine/{held}/release",
        f"/console/monitor/quarantine/{held}/reject",
        "/console/monitor/jobs/some-job/retry",
    ):
        assert unit_admin.post(path, data={"csrf_token": token}).status_code == 404, path
    with runtime.sessions() as db:
        assert db.get(Quarantine, held).resolved_at is None


def add_inbound(runtime, channel: str, times: list[datetime]) -> None:
    with runtime.sessions.begin() as db:
        for n, at in enumerate(times):
            db.add(
                Message(
                    direction="in",
                    channel=channel,
                    external_id=f"{channel}-hist-{n}",
                    status="received",
                    received_at=at,
                )
            )


def test_channels_show_counts_and_flag_an_unusual_silence(coordinator, runtime):
    now = datetime.now(UTC)
    # Web: a message every 20 minutes for a week, then nothing for 6 hours.
    steady = [now - timedelta(hours=6) - timedelta(minutes=20 * n) for n in range(3 * 24 * 7)]
    add_inbound(runtime, "web", steady)
    fragment = panel(coordinator)
    row = re.search(r'<tr class="([^"]*)" data-channel="web">(.*?)</tr>', fragment, re.S)
    assert row.group(1) == "row-overdue"
    assert "Sepi tidak seperti biasanya" in row.group(2)


def test_the_chart_draws_48_hours_of_intake(coordinator, runtime):
    now = datetime.now(UTC)
    add_inbound(runtime, "web", [now - timedelta(minutes=5), now - timedelta(hours=30)])
    fragment = panel(coordinator)
    svg = re.search(r"<svg viewBox=.*?</svg>", fragment, re.S).group(0)
    assert svg.count("<rect ") == 2  # one bar per non-empty hour and channel
    assert "web (2)" in fragment
