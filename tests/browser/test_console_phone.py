"""The console on a phone (issue 19): every page at 360-400 px without sideways scrolling,
its actions reachable; the same pages at a desk's width. Screenshots go to test-artifacts/
(console-phone-*.png) for a person to look at.

A kecamatan admin's day at 390 px: log in, see what is new, open a case, start it, reply,
resolve it. The coordinator's pages (monitor, list, case, audit) at 360 px and 1280 px, and
the XLSX export downloaded in the browser and read back with openpyxl. Chromium and the
live server come from tests/browser/conftest.py.
"""

from __future__ import annotations

import io
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
# A long page at phone width (the operators' guide) takes a while to paint on a busy machine.
SCREENSHOT_MS = 90_000
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
DESK = {"width": 1280, "height": 800}


def fits(page, name: str) -> None:
    """Nothing wider than the screen (no sideways scrolling), and a screenshot of it."""
    width = page.viewport_size["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"console-phone-{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True, timeout=SCREENSHOT_MS)
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= width, f"{name} is {overflow} px wide on a {width} px screen"


def reachable(page, selector: str) -> None:
    """A control is on screen horizontally: a thumb can reach it without scrolling sideways."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], selector


def act(page, action: str, **fields: str) -> None:
    form = page.locator(f"form[data-action={action}]")
    details = form.locator("xpath=..")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    reachable(page, f"form[data-action={action}] button[type=submit]")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_a_unit_admins_day_on_a_phone(runtime, live_server, browser, log_in, work):
    add_operator(runtime, "camat-lt", role="unit", unit=UNIT, display_name="Admin Laut Tawar")
    tracking_id = web_complaint(
        runtime,
        "key-phone-00000001",
        "Saluran air tersumbat di depan SD Negeri 2 Kampung Bale, air meluap ke jalan.",
    )
    work()
    set_owner(runtime, tracking_id, UNIT, status="dispatched", desa_code="11.04.17.2001")
    context = browser.new_context(viewport=PHONE, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    log_in(page, "camat-lt")
    # A unit's admin lands on what needs them today (issue 18), then opens the list.
    page.wait_for_url(live_server + "/console/today")
    fits(page, "unit-today")
    page.goto(live_server + "/console/cases")
    fits(page, "unit-cases")
    # What is new: the case is there, with its status, place and deadline readable.
    card = page.locator("table.cases tbody tr").first
    assert "Takengon Timur" in card.inner_text() and "Didisposisikan" in card.inner_text()
    reachable(page, "table.cases a.tid")
    page.click("table.cases a.tid")
    page.wait_for_url(f"{live_server}/console/cases/{tracking_id}")
    fits(page, "unit-case")
    act(page, "start")
    act(page, "reply", message_to_reporter="Petugas akan datang besok pagi.")
    act(page, "resolve", message_to_reporter="Saluran sudah dibersihkan hari ini.")
    assert "Selesai" in page.inner_text("h1")
    fits(page, "unit-case-resolved")
    context.close()


def test_the_coordinators_pages_fit_a_phone_and_a_desk(runtime, live_server, browser, log_in, work):
    from openpyxl import load_workbook

    add_operator(runtime, "koord", display_name="Admin Koordinator")
    ids = [
        web_complaint(runtime, f"key-phone-c{n:07d}", f"Jalan rusak nomor {n} di Kampung Bale")
        for n in range(3)
    ]
    work()
    context = browser.new_context(viewport=SMALL_PHONE, locale="id-ID", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    log_in(page, "koord")
    pages = {
        "monitor": "/console/",
        "cases": "/console/cases",
        "case": f"/console/cases/{ids[0]}",
        "audit": "/console/audit",
        "help": "/console/help",
        "password": "/console/password",
        "accounts": "/console/accounts",
    }
    for viewport in (SMALL_PHONE, PHONE, DESK):
        page.set_viewport_size(viewport)
        for name, path in pages.items():
            page.goto(live_server + path)
            fits(page, name)
    # Bulk work on a phone: tick the cases, verify them all, then dispatch them to one unit.
    page.set_viewport_size(PHONE)
    page.on("dialog", lambda dialog: dialog.accept())  # the console's own "are you sure?"
    for bulk_action, extra in (("verify", {}), ("dispatch", {"unit": UNIT})):
        page.goto(live_server + "/console/cases")
        for tracking_id in ids:
            page.check(f"input[name=case][value='{tracking_id}']")
        page.select_option("#bulk [name=bulk_action]", bulk_action)
        for name, value in extra.items():
            page.select_option(f"#bulk [name={name}]", value)
        reachable(page, "#bulk button[type=submit]")
        fits(page, f"bulk-{bulk_action}")
        with page.expect_navigation():
            page.click("#bulk button[type=submit]")
        assert "3 laporan berhasil diproses." in page.inner_text("main")
    fits(page, "bulk-done")
    page.goto(live_server + "/console/cases?status=dispatched")
    assert "3 laporan" in page.inner_text("main")

    # The export, as a coordinator downloads it in the browser.
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/console/cases")
    page.locator("details.export summary").click()
    with page.expect_download() as download:
        page.click("details.export button:has-text('Excel')")
    data = Path(download.value.path()).read_bytes()
    rows = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    assert sorted(row[0] for row in rows[1:]) == sorted(ids)
    page.goto(live_server + "/console/audit")
    assert "Mengunduh daftar laporan" in page.inner_text("table.audit")
    fits(page, "audit-after-export")
    context.close()
