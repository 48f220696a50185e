"""Assisted filing (issue 19): an operator files a complaint received at the desk, by phone or
by letter, and prints the receipt; the record takes every channel's path to one case."""

from __future__ import annotations

import re

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    UNIT,
    csrf,
    fast_hashing,
    login,
)
from sqlalchemy import func, select

from casestore.models import Attachment, AuditEntry, Complaint, StatusEvent
from normalizer.citizen_secret import hash_citizen_secret, secret_hash_matches

pytestmark = pytest.mark.usefixtures("fast_hashing")

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def form_key(client) -> tuple[str, str]:
    page = client.get("/console/desk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    return token, key


def fields(**changes: str) -> dict[str, str]:
    base = {
        "channel": "surat",
        "description": "Surat warga: saluran air di Kampung Bale tersumbat sejak dua minggu.",
        "kecamatan": "11.04.17",
        "category": "",
        "name": "Ibu Rahmah",
        "contact": "rahmah@example.org",
        "privacy": "rahasia",
    }
    return base | changes


def post(client, data: dict[str, str], files=None):
    token, key = form_key(client)
    body = {"csrf_token": token, "submission_key": key, **data}
    if files:
        body["attachments"] = files
    return client.post("/console/desk", data=body, content_type="multipart/form-data"), key


def receipt_codes(html: str) -> tuple[str, str]:
    tracking = re.search(r'data-tracking-id="([^"]+)"', html).group(1)
    secret = re.search(r'data-citizen-secret="([^"]+)"', html).group(1)
    return tracking, secret


def test_a_letter_filed_by_the_coordinator_is_one_case_with_its_scan(
    app, client, runtime, work, staff
):
    import io

    login(client, "koord")
    form = client.get("/console/desk").get_data(as_text=True)
    # The privacy choice is asked: no radio is checked before the operator records the answer.
    assert re.search(r'name="privacy" value="\w+"\s+checked', form) is None
    response, key = post(client, fields(), files=[(io.BytesIO(PDF), "surat-warga.pdf")])
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    tracking_id, secret = receipt_codes(html)
    # The receipt: both languages, the tracking id and the code, and a print view.
    assert "Tanda terima pengaduan" in html and "Complaint receipt" in html
    assert "desk.css" in html and "data-print" in html
    work()
    with runtime.sessions() as db:
        complaint = db.scalars(select(Complaint)).one()
        assert complaint.tracking_id == tracking_id
        assert complaint.channel == "surat"
        assert complaint.entered_by == "koord"
        assert complaint.privacy == "confidential"
        # The typed email is where updates go, never an identity.
        assert complaint.contact_id is None
        assert complaint.update_address == "mailto:rahmah@example.org"
        assert complaint.idempotency_key == f"surat:{key}"
        assert secret_hash_matches(hash_citizen_secret(secret), complaint.citizen_secret_hash)
        received = db.scalars(
            select(StatusEvent).where(
                StatusEvent.complaint_id == complaint.id, StatusEvent.kind == "received"
            )
        ).one()
        assert received.actor == "operator:koord"
        files = db.scalars(select(Attachment).where(Attachment.complaint_id == complaint.id))
        assert [(f.filename, f.content_type) for f in files] == [
            ("surat-warga.pdf", "application/pdf")
        ]
        audit = db.scalars(select(AuditEntry).where(AuditEntry.kind == "case_filed")).one()
        assert (audit.actor, audit.target) == ("koord", tracking_id)
    page = client.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "Dicatat oleh" in page and 'class="entered-by">koord<' in page
    # The operator typed the contact from what the citizen said, not the citizen.
    assert "dicatat petugas dari keterangan pelapor" in page
    assert "diketik pelapor" not in page
    assert "Surat" in page


def test_a_double_submit_is_one_case_and_the_same_receipt(client, runtime, work, staff):
    login(client, "koord")
    token, key = form_key(client)
    body = {"csrf_token": token, "submission_key": key, **fields(channel="loket")}
    first = client.post("/console/desk", data=body)
    second = client.post("/console/desk", data=body)
    assert first.status_code == second.status_code == 201
    assert receipt_codes(first.get_data(as_text=True)) == receipt_codes(
        second.get_data(as_text=True)
    )
    # The same key with another channel is another submission: refused, not a second case.
    switched = client.post("/console/desk", data=body | {"channel": "telepon"})
    assert switched.status_code == 422
    assert "sudah pernah dikirim" in switched.get_data(as_text=True)
    work()
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Complaint)) == 1
        assert db.scalar(select(func.count()).where(AuditEntry.kind == "case_filed")) == 1


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"channel": ""}, "channel", "loket, telepon atau surat"),
        ({"channel": "fax"}, "channel", "loket, telepon atau surat"),
        ({"privacy": ""}, "privacy", "Tanyakan kepada pelapor"),
        ({"description": "  "}, "description", "Isi laporan wajib diisi"),
        ({"contact": "bukan-nomor"}, "contact", "tidak dikenali"),
        ({"desa": "11.04.01.2003"}, "desa", "tidak berada di kecamatan"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_filed(
    client, runtime, work, staff, changes, field, words
):
    login(client, "koord")
    response, _ = post(client, fields(**changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert words in html
    work()
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Complaint)) == 0


def test_a_file_of_the_wrong_type_is_refused_naming_the_field(client, runtime, staff):
    import io

    login(client, "koord")
    response, _ = post(client, fields(), files=[(io.BytesIO(b"MZ\x90\x00exe"), "scan.exe")])
    assert response.status_code == 422
    assert "scan.exe" in response.get_data(as_text=True)


def test_a_unit_admin_files_and_routing_decides_the_owner(app, runtime, work, staff):
    unit_client = app.test_client()
    login(unit_client, "camat-lt")
    form = unit_client.get("/console/desk").get_data(as_text=True)
    # Their kecamatan is where the form starts; the operator may change it.
    assert 'value="11.04.17" selected' in form
    data = fields(
        channel="telepon",
        description="Penelepon: jalan kabupaten di Kampung Bale berlubang besar.",
        category="jalan",
        privacy="biasa",
    )
    response, _ = post(unit_client, data)
    assert response.status_code == 201
    tracking_id, _ = receipt_codes(response.get_data(as_text=True))
    work()
    with runtime.sessions() as db:
        complaint = db.scalars(select(Complaint)).one()
        assert complaint.entered_by == "camat-lt"
        routed = db.scalars(
            select(StatusEvent).where(
                StatusEvent.complaint_id == complaint.id, StatusEvent.kind == "routed"
            )
        ).one()
    # Routed like any other case (the rules' unit), not kept by the office that typed it.
    assert complaint.owner_unit == routed.data["unit"]
    seen = unit_client.get(f"/console/cases/{tracking_id}").status_code
    assert seen == (200 if complaint.owner_unit == UNIT else 404)


def test_a_web_citizen_cannot_claim_to_be_an_operator(client, runtime, work):
    """``entered_by`` is read on the desk channels only: on the web form it is just a field."""
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    body = {
        "csrf_token": token,
        "submission_key": key,
        "description": "Lampu jalan mati di Kampung Bale.",
        "entered_by": "koord",
    }
    assert client.post("/", data=body).status_code == 201
    work()
    with runtime.sessions() as db:
        complaint = db.scalars(select(Complaint)).one()
    assert complaint.channel == "web" and complaint.entered_by is None


def test_the_filing_form_needs_a_login(client):
    response = client.get("/console/desk")
    assert response.status_code in (302, 401)
    assert client.post("/console/desk", data=fields()).status_code in (302, 400, 401)
