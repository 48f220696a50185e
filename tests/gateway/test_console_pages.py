"""The console's other pages: the guide, the English toggle, attachments, small screens."""

from __future__ import annotations

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    OTHER_UNIT,
    UNIT,
    add_operator,
    fast_hashing,
    login,
    web_complaint,
)
from sqlalchemy import select

from adapters.attachments import Upload, store_uploads, stored_file
from casestore.attachments import add_attachments, attachments_of
from casestore.models import Complaint

pytestmark = pytest.mark.usefixtures("fast_hashing")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n<script>alert(1)</script>\n%%EOF\n"


def test_the_guide_is_linked_and_rendered_without_raw_html(client, staff):
    login(client, "camat-lt")
    cases = client.get("/console/cases").get_data(as_text=True)
    assert 'href="/console/help"' in cases
    guide = client.get("/console/help")
    assert guide.status_code == 200
    text = guide.get_data(as_text=True)
    assert "<h1>Panduan Petugas SatuPintu</h1>" in text
    assert "Memverifikasi laporan" in text and "Mengawasi batas waktu" in text


def test_console_pages_switch_to_english(client, runtime, work, staff):
    tracking_id = web_complaint(runtime, "key-english-0000001")
    work()
    login(client, "koord")
    assert "Intake monitor" in client.get("/console/?lang=en").get_data(as_text=True)
    assert "Cases" in client.get("/console/cases").get_data(as_text=True)  # remembered
    page = client.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "Messages" in page and "History" in page and "Verify" in page
    assert "Pantauan" in client.get("/console/?lang=id").get_data(as_text=True)


def test_pages_fit_a_small_screen(client, staff):
    login(client, "koord")
    page = client.get("/console/").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    css = client.get("/static/console.css").get_data(as_text=True)
    assert "@media (max-width: 900px)" in css


def attach(runtime, tracking_id, files):
    uploads = [Upload(name, kind, data) for name, kind, data in files]
    media = store_uploads(uploads, runtime.settings.data_dir)
    with runtime.sessions.begin() as db:
        complaint = db.scalars(select(Complaint).where(Complaint.tracking_id == tracking_id)).one()
        complaint.owner_unit = UNIT
        add_attachments(db, complaint, [stored_file(m) for m in media])
        db.flush()
        return [a.id for a in attachments_of(db, complaint.id)]


def test_attachments_only_for_operators_who_may_see_the_case(app, runtime, work, staff):
    tracking_id = web_complaint(runtime, "key-attach-0000001")
    work()
    photo, pdf = attach(
        runtime,
        tracking_id,
        [("jalan.png", "image/png", PNG), ("surat.pdf", "application/pdf", PDF)],
    )
    ours, theirs = app.test_client(), app.test_client()
    login(ours, "camat-lt")
    login(theirs, "camat-linge")
    page = ours.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "jalan.png" in page and "surat.pdf" in page
    image = ours.get(f"/console/cases/{tracking_id}/attachments/{photo}")
    assert image.status_code == 200 and image.data == PNG
    assert image.headers["Content-Type"] == "image/png"
    assert "sandbox" in image.headers["Content-Security-Policy"]
    document = ours.get(f"/console/cases/{tracking_id}/attachments/{pdf}")
    assert document.headers["Content-Disposition"].startswith("attachment")
    for client, attachment_id in ((theirs, photo), (ours, 999999)):
        url = f"/console/cases/{tracking_id}/attachments/{attachment_id}"
        assert client.get(url).status_code == 404
