"""Assisted filing in a real browser (issue 19): a coordinator files a letter for a citizen at
phone width (390 px) and at a desk (1280 px), prints the receipt (print media emulated:
the console's bar and buttons gone, the receipt alone), and finds the case (with who
entered it and the letter's scan) and the filing in the audit trail. Screenshots go to
test-artifacts/desk/. Chromium and the live server come from tests/browser/conftest.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from console_support import add_operator, fast_hashing  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("fast_hashing")]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "desk"
WAIT_MS = 15_000
VIEWPORTS = {390: {"width": 390, "height": 844}, 1280: {"width": 1280, "height": 800}}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def shot(page, name: str) -> None:
    """A full-page screenshot, and nothing wider than the screen (no sideways scrolling)."""
    width = page.viewport_size["width"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= width, f"{name} is {wide} px wide on a {width} px screen"


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_a_letter_filed_at_the_desk_with_its_printed_receipt(
    runtime, live_server, browser, log_in, work, width
):
    add_operator(runtime, "koord", display_name="Admin Koordinator")
    context = browser.new_context(viewport=VIEWPORTS[width], locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    log_in(page, "koord")
    page.click("header.bar a:has-text('Catat aduan')")
    page.wait_for_url(live_server + "/console/desk")
    shot(page, "desk-form")

    # Sent without the citizen's privacy answer: the form says so next to the field.
    page.check("input[name=channel][value=surat]")
    page.fill("#description", "Surat warga: jembatan di Kampung Bale retak, tolong diperiksa.")
    page.select_option("#kecamatan", "11.04.17")
    page.fill("#name", "Bapak Zulkifli")
    page.fill("#contact", "0812 7700 4455")
    page.set_input_files(
        "#attachments", files=[{"name": "surat.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.click("button:has-text('Catat aduan dan cetak')")
    page.wait_for_load_state()
    form = page.inner_text("form.desk-form")
    assert "Tanyakan kepada pelapor" in form
    assert "Pilih lagi lampiran" in form  # a file cannot be put back into a form
    assert page.locator("#description").input_value().startswith("Surat warga")  # kept
    shot(page, "desk-form-errors")
    page.check("input[name=privacy][value=rahasia]")
    page.set_input_files(
        "#attachments", files=[{"name": "surat.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.click("button:has-text('Catat aduan dan cetak')")
    page.wait_for_load_state()

    # The receipt on screen: tracking id and secret code, both languages, a print button.
    receipt = page.locator("article.receipt")
    assert "Tanda terima pengaduan" in receipt.inner_text()
    assert "Complaint receipt" in receipt.inner_text()
    tracking_id = page.locator("[data-tracking-id]").get_attribute("data-tracking-id")
    secret = page.locator("[data-citizen-secret]").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", secret)
    assert "+6281277004455" in receipt.inner_text()
    shot(page, "desk-receipt")

    # Printed: the receipt alone, the console's bar and buttons gone.
    page.emulate_media(media="print")
    assert receipt.is_visible() and page.locator("header.bar").is_hidden()
    assert page.locator("button[data-print]").is_hidden()
    shot(page, "desk-receipt-print")
    page.emulate_media(media="screen")

    # Stored once, through the intake like every channel: the case page says who entered it.
    work()
    page.goto(f"{live_server}/console/cases/{tracking_id}")
    facts = page.inner_text("dl.facts")
    assert "Surat" in facts and "Dicatat oleh" in facts and "koord" in facts
    assert page.locator("ul.attachments a:has-text('surat.pdf')").count() == 1
    assert "Rahasia" in page.inner_text("h1")
    shot(page, "desk-case")

    # The audit trail shows the filing, by whom, of which case.
    page.goto(f"{live_server}/console/audit?kind=case_filed")
    trail = page.inner_text("table.audit")
    assert "Mencatat aduan atas nama warga" in trail and "koord" in trail
    assert tracking_id[:5] in trail
    shot(page, "desk-audit")
    context.close()
