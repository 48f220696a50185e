"""What a citizen and an operator see of issue 18's last parts, in Chromium: the
acknowledgement email as a mail client renders its HTML (received by a real SMTP server),
the thank-you page after typing a phone (the code to answer), and an operator's settings
with texts to the phone. At 390 px and 1280 px, no sideways scrolling; screenshots go to
test-artifacts/ (notify-*.png) for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from console_support import PASSWORD, add_operator, fast_hashing  # noqa: F401 (a fixture)
from email_support import act, file_typed
from fakes.twilio_api import FakeTwilioApi, twilio_settings

from casestore.lifecycle import Action

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("fast_hashing")]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTHS = ({"width": 390, "height": 844}, {"width": 1280, "height": 800})


@pytest.fixture
def twilio():
    with FakeTwilioApi("AC" + "9" * 32, "token-" + "9" * 26) as api:
        yield api


@pytest.fixture
def settings(settings, smtp, twilio):
    on = twilio_settings(settings, twilio, "https://lapor.test")
    return on.replace(smtp_url=smtp.url, mail_from="lapor@acehtengahkab.go.id")


def fits(page, name: str) -> None:
    width = page.viewport_size["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"notify-{name}-{width}.png"), full_page=True)
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= width, f"{name} is {overflow} px wide on a {width} px screen"


def test_the_acknowledgement_and_an_update_email_read_well_on_a_phone_and_a_desk(
    runtime, work, smtp, browser
):
    tracking_id = file_typed(runtime, "mailto:warga@contoh.id")
    act(runtime, tracking_id, Action.VERIFY)
    act(
        runtime, tracking_id, Action.DISPATCH, unit="dinas-pupr",
        message_to_reporter="Petugas PLN dijadwalkan memperbaiki lampu hari Kamis, 10 Desember.",
    )  # fmt: skip
    work()
    ack, _verified, update = smtp.received
    for viewport in WIDTHS:
        page = browser.new_page(viewport=viewport)
        for name, mail in (("ack-email", ack), ("update-email", update)):
            page.set_content(mail.get_body(("html",)).get_content())
            assert page.locator("a", has_text="Lihat perkembangan aduan Anda").is_visible()
            assert page.locator("a", has_text="Berhenti menerima kabar").count() == 1
            fits(page, name)
        page.close()


def test_the_thank_you_page_tells_a_typed_phone_what_to_answer(runtime, live_server, browser):
    for viewport in WIDTHS:
        page = browser.new_page(viewport=viewport)
        page.goto(live_server + "/")
        page.fill("#description", "Lampu jalan mati di Kampung Bale, Lut Tawar, sudah seminggu.")
        page.select_option("#kecamatan", "11.04.17")
        page.fill("#contact", "0812 6000 0123")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        text = page.locator("p.updates").inner_text()
        assert re.search(r"Balas YA <kode> dari nomor itu", text), text
        fits(page, "thank-you-phone")
        page.close()


def test_an_operators_settings_offer_texts_to_the_phone(runtime, live_server, browser):
    add_operator(runtime, "camat-lt", role="unit", unit="kec-11.04.17")
    for viewport in WIDTHS:
        page = browser.new_page(viewport=viewport)
        page.goto(live_server + "/console/login")
        page.fill("#username", "camat-lt")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(live_server + "/console/notifications")
        page.fill("#phone", "0812 6000 0077")
        page.check("input[name=phone_alerts][value=sms]")
        page.click("section.narrow form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("input[name=phone_alerts][value=sms]").is_checked()
        fits(page, "operator-settings")
        page.close()


def test_the_case_page_says_the_typed_phone_still_waits_for_its_code(
    runtime, work, live_server, browser
):
    tracking_id = file_typed(runtime, "tel:+6281260000031")
    work()  # the code goes out; nothing answers it
    add_operator(runtime, "koord")
    for viewport in WIDTHS:
        page = browser.new_page(viewport=viewport)
        page.goto(live_server + "/console/login")
        page.fill("#username", "koord")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_server}/console/cases/{tracking_id}")
        note = page.locator(".phone-code")
        assert note.is_visible()
        assert note.inner_text().startswith("Menunggu nomor ini menjawab kode")
        fits(page, "case-phone-code")
        page.close()
