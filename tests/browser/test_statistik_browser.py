"""The public scoreboard in a real browser (issue 20): Debian's Chromium driven by Playwright,
at phone width (390 px) and desktop width (1280 px), over the seeded history of
tests/scoreboard_history.py. The page must not scroll sideways on a phone (wide tables scroll
inside their own box), every chart must sit beside its table, and the period selector works
without JavaScript. Screenshots go to test-artifacts/.

Playwright never downloads a browser here: it launches /usr/bin/chromium (CI installs it with
`apt-get install -y chromium`); without it, or without playwright, the test skips and says why.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.scoreboard_history import seed

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's Chromium is not installed: apt-get install -y chromium", allow_module_level=True
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app, runtime) -> Iterator[str]:
    with runtime.sessions.begin() as session:
        seed(session)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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
