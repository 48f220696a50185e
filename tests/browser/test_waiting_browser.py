"""Waiting for the reporter in a real browser (issue 20): a unit admin asks the citizen for
information from the case page ("Minta keterangan pelapor"), the case shows its new status
and the "resume" action, and the public tracking page of the waiting case says the deadline
is paused, at phone (390 px) and desk (1280 px) width, without sideways scrolling.
Screenshots go to test-artifacts/ (waiting-*.png).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    PASSWORD,
    UNIT,
    add_operator,
    fast_hashing,
    set_owner,
    web_complaint,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("fast_hashing")]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT_MS = 15_000


def shot(page, name: str) -> None:
    width = page.viewport_size["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"waiting-{name}-{width}.png"), full_page=True)
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= width, f"{name} is {overflow} px wide on a {width} px screen"


def act(page, action: str, **fields: str) -> None:
    form = page.locator(f"form[data-action={action}]")
    details = form.locator("xpath=..")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("width", [390, 1280])
def test_ask_the_reporter_then_the_tracking_page_says_it_waits(
    runtime, live_server, browser, work, width
):
    add_operator(runtime, "camat-lt", role="unit", unit=UNIT, display_name="Admin Laut Tawar")
    tracking_id = web_complaint(
        runtime,
        f"key-wait-{width:09d}",
        "Saluran air tersumbat di depan sekolah, air meluap ke jalan setiap hujan.",
    )
    work()
    set_owner(runtime, tracking_id, UNIT, status="in_progress")
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(live_server + "/console/login")
    page.fill("#username", "camat-lt")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server}/console/cases/{tracking_id}")
    assert page.locator("form[data-action=ask_reporter]").count() == 1
    act(
        page,
        "ask_reporter",
        message_to_reporter="Sekolah yang mana, dan di jalan apa? Mohon kirim foto bila bisa.",
        note="Lokasi belum jelas untuk tim lapangan",
    )
    assert "Menunggu tanggapan pelapor" in page.inner_text("h1")
    assert page.locator("form[data-action=resume]").count() == 1
    assert page.locator("form[data-action=resolve]").count() == 0
    shot(page, "case")
    public = context.new_page()
    public.goto(f"{live_server}/track/{tracking_id}")
    assert "Menunggu tanggapan pelapor" in public.inner_text("dd.status")
    notice = public.locator("[data-waiting]").inner_text()
    assert "dihentikan sementara" in notice
    assert "Lokasi belum jelas" not in public.content()  # the note stays internal
    shot(public, "track")
    public.goto(f"{live_server}/track/{tracking_id}?lang=en")
    assert "Waiting for the reporter" in public.inner_text("dd.status")
    shot(public, "track-en")
    context.close()
