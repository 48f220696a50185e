"""The console in a real browser: Debian's Chromium driven by Playwright, end to end.

An SMS arrives through the signed Twilio webhook while the coordinator watches the monitor;
the coordinator opens it, verifies it and dispatches it to Kantor Camat Laut Tawar; that
kecamatan's admin logs in, starts and resolves it; the citizen's answer leaves through the
fake Twilio API. Screenshots of the monitor and the case page go to test-artifacts/.

Destructive actions ask first: the console's own script shows a confirmation for every form
with ``data-confirm`` (an inline ``confirm()`` would be blocked by the console's CSP);
dismissing it keeps the failed job or the case, accepting it goes ahead.

Chromium and the live server come from tests/browser/conftest.py.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    PASSWORD,
    UNIT,
    add_operator,
    failed_store_job,
    fast_hashing,
)
from fakes.twilio_api import FakeTwilioApi, twilio_settings
from twilio.request_validator import RequestValidator

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("fast_hashing")]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ACCOUNT_SID = "AC" + "c0de" * 8
AUTH_TOKEN = "console-browser-test-token"
CITIZEN = "+6281377001122"
WAIT_MS = 15_000


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def settings(settings, fake_twilio, live_url):
    """SMS on, sending to the fake Twilio; the public URL is the live server's."""
    return twilio_settings(settings, fake_twilio, live_url)


def send_sms(base: str, text: str) -> None:
    """POST the webhook as Twilio does: form-encoded and signed with the auth token."""
    sid = "SM" + datetime.now(UTC).strftime("%Y%m%d%H%M%S%f").ljust(32, "0")
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": CITIZEN,
        "To": "1708",
        "Body": text,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    url = base + "/webhooks/twilio/sms"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def act(page, action: str, **fields: str) -> None:
    """Open an action's panel on the case page, fill it in and submit it."""
    form = page.locator(f"form[data-action={action}]")
    details = form.locator("xpath=..")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    for name, value in fields.items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_an_sms_complaint_from_monitor_to_resolution(
    runtime, live_server, browser, log_in, work, fake_twilio
):
    add_operator(runtime, "koord", display_name="Admin Koordinator")
    add_operator(runtime, "camat-lt", role="unit", unit=UNIT, display_name="Admin Laut Tawar")
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)

    # The coordinator watches the monitor while an SMS arrives.
    log_in(page, "koord")
    page.wait_for_url(live_server + "/console/")
    assert page.locator("h1").first.inner_text().startswith("Pantauan")
    send_sms(live_server, "Lampu jalan mati sepanjang jalan Kampung Bale, Kec. Laut Tawar.")
    work()  # the store job; the acknowledgement SMS goes to the fake Twilio
    with runtime.sessions() as db:
        from sqlalchemy import select

        from casestore.models import Complaint

        tracking_id = db.scalars(select(Complaint.tracking_id)).one()
    shown = f"{tracking_id[:5]}-{tracking_id[5:]}"
    # No reload: the panel refreshes itself and the new complaint appears in it.
    link = page.locator(f"#monitor-panel a.tid:has-text('{shown}')")
    link.wait_for()
    page.screenshot(path=str(ARTIFACTS / "console-monitor.png"), full_page=True)

    # Open it, verify and dispatch it to the kecamatan.
    link.click()
    page.wait_for_url(f"{live_server}/console/cases/{tracking_id}")
    assert "Lampu jalan mati" in page.inner_text(".description")
    act(page, "verify")
    act(page, "dispatch", unit=UNIT, note="Mohon ditindaklanjuti oleh Kecamatan Laut Tawar.")
    assert "Didisposisikan" in page.inner_text("h1")
    page.screenshot(path=str(ARTIFACTS / "console-case.png"), full_page=True)
    page.click("button:has-text('Keluar')")
    page.wait_for_url(live_server + "/console/login")

    # The kecamatan's admin finds it on their home (what needs them now), starts and
    # resolves it.
    log_in(page, "camat-lt")
    page.wait_for_url(live_server + "/console/today")
    assert shown in page.inner_text("[data-section=new]")
    page.screenshot(path=str(ARTIFACTS / "console-today.png"), full_page=True)
    page.click(f"a.tid:has-text('{shown}')")
    act(page, "start")
    act(
        page,
        "resolve",
        message_to_reporter="Lampu jalan sudah diganti petugas PJU pada hari ini.",
    )
    assert "Selesai" in page.inner_text("h1")
    page.screenshot(path=str(ARTIFACTS / "console-case-resolved.png"), full_page=True)
    context.close()

    # The citizen hears every step through the fake Twilio API, the answer last.
    work()
    sent = fake_twilio.wait_for_messages(6)
    to_citizen = [m for m in sent if m["to"] == CITIZEN]
    # ack, verify, dispatch, start, resolve, then the rating question (issue 20)
    assert len(to_citizen) == 6, [m["body"] for m in sent]
    assert "Lampu jalan sudah diganti" in to_citizen[-2]["body"]
    assert "Balas satu angka" in to_citizen[-1]["body"]
    assert (ARTIFACTS / "console-monitor.png").stat().st_size > 10_000


class Dialogs:
    """Answers the page's confirmation dialogs as told, and remembers what they asked."""

    def __init__(self, page) -> None:
        self.asked: list[str] = []
        self.accept = False
        page.on("dialog", self.answer)

    def answer(self, dialog) -> None:
        self.asked.append(dialog.message)
        if self.accept:
            dialog.accept()
        else:
            dialog.dismiss()


def screenshots(page, name: str) -> None:
    """The page as a phone (390 px) and a desk screen (1280 px) show it."""
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844 if width == 390 else 800})
        path = ARTIFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5_000


def test_discarding_a_failed_job_and_rejecting_a_case_ask_first(
    runtime, live_server, browser, log_in, work
):
    from rq.registry import FailedJobRegistry
    from sqlalchemy import select

    from casestore.models import Complaint
    from dispatcher.queues import INTAKE, queue

    add_operator(runtime, "koord", display_name="Admin Koordinator")
    job_id = failed_store_job(runtime, phone=CITIZEN)
    send_sms(live_server, "Jembatan gantung di Kampung Bale rusak, Kec. Laut Tawar.")
    work()
    failed = FailedJobRegistry(queue=queue(INTAKE, runtime.redis))
    assert job_id in failed.get_job_ids()
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    dialogs = Dialogs(page)
    log_in(page, "koord")
    page.wait_for_url(live_server + "/console/")
    row = page.locator(f"tr[data-job='{job_id}']")
    row.wait_for()
    screenshots(page, "console-monitor-failed")

    # "Buang" asks; dismissed, the job stays.
    row.locator("button:has-text('Buang')").click()
    assert dialogs.asked == ["Buang pekerjaan ini? Isinya tidak dapat dipulihkan."]
    page.wait_for_load_state()
    assert job_id in failed.get_job_ids()
    assert row.is_visible()

    # Accepted, it is discarded for good.
    dialogs.accept = True
    with page.expect_navigation():
        row.locator("button:has-text('Buang')").click()
    assert len(dialogs.asked) == 2
    assert job_id not in failed.get_job_ids()
    assert not runtime.redis.exists(f"rq:job:{job_id}")
    assert page.locator(f"tr[data-job='{job_id}']").count() == 0

    # Rejecting a case asks too, with its own question.
    with runtime.sessions() as db:
        tracking_id = db.scalars(select(Complaint.tracking_id)).one()
    page.goto(f"{live_server}/console/cases/{tracking_id}")
    form = page.locator("form[data-action=reject]")
    form.locator("xpath=..").locator("summary").click()
    form.locator("[name=reason]").select_option(index=1)  # index 0: "choose", never pre-selected
    screenshots(page, "console-case-reject")
    dialogs.accept = False
    form.locator("button[type=submit]").click()
    assert dialogs.asked[-1] == "Tolak laporan ini? Pelapor akan diberi tahu alasannya."
    page.wait_for_load_state()
    with runtime.sessions() as db:
        assert db.scalars(select(Complaint.status)).one() == "received"
    dialogs.accept = True
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert len(dialogs.asked) == 4
    assert "Ditolak" in page.inner_text("h1")
    with runtime.sessions() as db:
        assert db.scalars(select(Complaint.status)).one() == "rejected"
    context.close()
