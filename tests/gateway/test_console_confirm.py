"""Destructive console actions ask first, through static/console.js's ``data-confirm``.

The console's content security policy blocks inline script, so an ``onsubmit="confirm()"``
silently submits without asking (issue 13). These checks cover every template and the pages
as rendered; tests/browser clicks the buttons in Chromium.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    add_operator,
    failed_store_job,
    fast_hashing,
    hold,
    login,
    web_complaint,
)

pytestmark = pytest.mark.usefixtures("fast_hashing")

TEMPLATES = Path(__file__).resolve().parents[2] / "gateway" / "templates"
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)


def test_no_template_has_inline_event_handlers():
    for template in TEMPLATES.rglob("*.html"):
        handlers = re.findall(r"\son[a-z]+\s*=", template.read_text())
        assert not handlers, f"{template.name}: inline handlers are blocked by the CSP"


def test_every_danger_button_sits_in_a_form_that_asks_first(app, runtime, work):
    add_operator(runtime, "koord")
    client = app.test_client()
    login(client, "koord")
    tracking_id = web_complaint(runtime, "web-confirm-1")
    failed_store_job(runtime)
    hold(runtime)
    work()
    pages = {
        "monitor": client.get("/console/").get_data(as_text=True),
        "case": client.get(f"/console/cases/{tracking_id}").get_data(as_text=True),
    }
    asked = []
    for name, html in pages.items():
        for attributes, body in FORM.findall(html):
            if 'class="small danger"' in body or 'class="danger"' in body:
                question = re.search(r'data-confirm="([^"]+)"', attributes)
                assert question, f"{name}: {attributes.strip()[:120]}"
                asked.append(question.group(1))
    assert "Buang pekerjaan ini? Isinya tidak dapat dipulihkan." in asked
    assert "Tolak laporan ini? Pelapor akan diberi tahu alasannya." in asked
    assert "Arsipkan laporan ini? Pelapor akan diberi tahu." in asked
    assert "Tolak pesan ini? Pesan tidak akan menjadi laporan." in asked
