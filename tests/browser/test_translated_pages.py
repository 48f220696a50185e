"""The public form, the tracking page and a console page in Bahasa Indonesia and English, on a
phone (390 px) and a desktop (1280 px), in Debian's Chromium: no raw catalog key anywhere.

Screenshots go to test-artifacts/translations/ for a person to look at. Chromium and the live
server come from tests/browser/conftest.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    PASSWORD,
    add_operator,
    fast_hashing,
    web_complaint,
)

from config import catalogs

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("fast_hashing")]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "translations"
WIDTHS = (390, 1280)
# A key as the catalogs write them: two or more dotted lowercase parts under a known prefix.
PREFIXES = sorted({key.split(".")[0] for key in catalogs.entries("id", "messages")})
RAW_KEY = re.compile(r"\b(?:" + "|".join(PREFIXES) + r")\.[a-z_]+(?:\.[a-z_]+)*\b")


def _look(page, name: str, expected: str) -> None:
    """Screenshot the page, then check it shows ``expected`` and no raw key."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    text = page.inner_text("body")
    assert expected in text, name
    assert RAW_KEY.findall(text) == [], name


WORDS = {
    "id": ("Sampaikan laporan Anda", "Riwayat", "Daftar laporan"),
    "en": ("Tell us what happened", "History", "Cases"),
}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_pages_in_both_languages_at_phone_and_desktop_width(
    live_server, browser, runtime, work, lang
):
    tracking_id = web_complaint(runtime, f"translated-pages-{lang}")
    work()
    add_operator(runtime, "koord")
    form_words, track_words, console_words = WORDS[lang]
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{live_server}/?lang={lang}")
        _look(page, f"form-{lang}-{width}", form_words)
        page.goto(f"{live_server}/track/{tracking_id}")
        _look(page, f"track-{lang}-{width}", track_words)
        page.goto(f"{live_server}/console/login?lang={lang}")
        page.fill("#username", "koord")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_server}/console/cases")
        _look(page, f"console-cases-{lang}-{width}", console_words)
        page.goto(f"{live_server}/console/cases/{tracking_id}")
        _look(page, f"console-case-{lang}-{width}", track_words)
        context.close()
