"""The public scoreboard in a real browser (issue 20): Debian's Chromium driven by Playwright,
at phone width (390 px) and desktop width (1280 px), over the seeded history of
tests/scoreboard_history.py. The page must not scroll sideways on a phone (wide tables scroll
inside their own box), every chart must sit beside its table, and the period selector works
without JavaScript. Screenshots go to test-artifacts/.

Chromium and the live server come from tests/browser/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scoreboard_history import seed

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def live_server(live_server, runtime) -> str:
    """The live server over the seeded history."""
    with runtime.sessions.begin() as session:
        seed(session)
    return live_server


@pytest.mark.parametrize("width", [390, 1280])
def test_scoreboard_reads_at_phone_and_desktop_width(browser, live_server, width):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(live_server + "/statistik?periode=2026-11")
    assert page.locator("#total-received").inner_text() == "7"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"
    charts = page.locator("svg.chart")
    assert charts.count() == 5 and page.locator(".pair-chart table").count() == 5
    for n in range(charts.count()):
        box = charts.nth(n).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert "Dinas Pekerjaan Umum" in page.locator("#units").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"statistik-{width}.png"), full_page=True)
    # The period selector is a plain form: choosing a year reloads the page for it.
    page.select_option("#periode", "2026")
    page.click("form.period button")
    page.wait_for_url("**periode=2026**")
    assert page.locator("#periode").input_value() == "2026"
    context.close()
