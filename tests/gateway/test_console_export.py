"""Exporting the case list (issue 19): exactly the filtered list, role-scoped, no identities
unless the coordinator asks, every export in the audit trail; read back with openpyxl/csv."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    OTHER_UNIT,
    UNIT,
    act,
    fast_hashing,
    login,
    set_owner,
    web_complaint,
)
from openpyxl import load_workbook
from sqlalchemy import select

from casestore.casework import CaseFilters
from casestore.export import export_rows
from casestore.models import AuditEntry

pytestmark = pytest.mark.usefixtures("fast_hashing")

DESA = "11.04.17.2001"  # Takengon Timur


@pytest.fixture
def cases(app, runtime, work, staff):
    """Two of Laut Tawar's cases (one overdue, one bounced once) and one of Linge's."""
    now = datetime.now(UTC)
    late = web_complaint(runtime, "key-exp-late-000001", name='=HYPERLINK("x")')
    bounced = web_complaint(runtime, "key-exp-bnce-000001", name="Siti Aminah")
    linge = web_complaint(runtime, "key-exp-linge-00001", kecamatan="11.04.01", name="Rahmat")
    work()
    set_owner(runtime, late, UNIT, status="dispatched", due_at=now - timedelta(hours=3))
    set_owner(runtime, late, UNIT, desa_code=DESA)
    set_owner(runtime, bounced, UNIT, status="dispatched")
    unit_admin = app.test_client()
    login(unit_admin, "camat-lt")
    assert act(unit_admin, bounced, "bounce", reason="not_authority").status_code == 303
    set_owner(runtime, bounced, UNIT, status="dispatched")  # the coordinator sent it back
    set_owner(runtime, linge, OTHER_UNIT, status="dispatched")
    return {"late": late, "bounced": bounced, "linge": linge}


def xlsx_rows(response) -> list[list[object]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.is_streamed  # written as it is read, never built whole in memory
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_the_coordinator_exports_exactly_the_filtered_list(client, runtime, cases):
    login(client, "koord")
    rows = xlsx_rows(client.get("/console/export/cases.xlsx?kecamatan=11.04.17&sort=due"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Nomor laporan", "Status", "Unit"]
    assert "Nama pelapor" not in header and "Kontak pelapor" not in header
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert set(by_id) == {cases["late"], cases["bounced"]}
    assert [row[0] for row in body] == [cases["late"], cases["bounced"]]  # the list's order
    late = by_id[cases["late"]]
    assert late["Lewat batas waktu"] == "ya" and late["Desa/kelurahan"] == "Takengon Timur"
    assert late["Kecamatan"] == "Laut Tawar" and late["Kanal"] == "Formulir web"
    assert isinstance(late["Diterima (Asia/Jakarta)"], datetime)
    assert by_id[cases["bounced"]]["Jumlah dikembalikan (bukan wewenang)"] == 1
    assert late["Jumlah dikembalikan (bukan wewenang)"] == 0
    flat = repr(rows)
    assert "Siti Aminah" not in flat and "tel:+62" not in flat and "HYPERLINK" not in flat
    as_csv = csv_rows(client.get("/console/export/cases.csv?kecamatan=11.04.17&sort=due"))
    assert [row[0] for row in as_csv[1:]] == [cases["late"], cases["bounced"]]


def test_identity_only_when_ticked_and_then_on_the_record(client, runtime, cases):
    login(client, "koord")
    rows = xlsx_rows(client.get("/console/export/cases.xlsx?include_identity=1"))
    header = rows[0]
    names = {row[0]: row[header.index("Nama pelapor")] for row in rows[1:]}
    assert names[cases["bounced"]] == "Siti Aminah"
    # A name that looks like a formula stays text in the spreadsheet.
    assert names[cases["late"]] == '\'=HYPERLINK("x")'
    contacts = {row[0]: row[header.index("Kontak pelapor")] for row in rows[1:]}
    assert contacts[cases["bounced"]].startswith("tel:+62")
    with runtime.sessions() as db:
        exports = list(db.scalars(select(AuditEntry).where(AuditEntry.kind == "export")))
    assert len(exports) == 1
    assert exports[0].actor == "koord" and exports[0].detail["identity"] is True
    assert exports[0].detail["rows"] == 3 and exports[0].detail["format"] == "xlsx"
    assert exports[0].address == "127.0.0.1"


def test_a_unit_exports_its_own_cases_only(app, client, runtime, cases):
    login(client, "camat-lt")
    rows = csv_rows(client.get("/console/export/cases.csv"))
    assert {row[0] for row in rows[1:]} == {cases["late"], cases["bounced"]}
    assert client.get(f"/console/export/cases.csv?unit={OTHER_UNIT}").status_code == 404
    assert client.get(f"/console/export/cases.xlsx?unit={OTHER_UNIT}").status_code == 404
    assert client.get("/console/export/cases.xlsx?include_identity=1").status_code == 403
    same = csv_rows(client.get(f"/console/export/cases.csv?unit={UNIT}"))
    assert len(same) == 3
    other = app.test_client()
    login(other, "camat-linge")
    rows = xlsx_rows(other.get("/console/export/cases.xlsx"))
    assert [row[0] for row in rows[1:]] == [cases["linge"]]


def test_export_needs_a_login(app, cases):
    anonymous = app.test_client()
    response = anonymous.get("/console/export/cases.csv")
    assert response.status_code in (302, 401)


def test_rows_are_read_lazily_in_batches(runtime, cases):
    with runtime.sessions() as db:
        rows = export_rows(db, CaseFilters(), scope_unit=UNIT, now=datetime.now(UTC))
        assert not isinstance(rows, list)
        first = next(rows)
        assert first.tracking_id in {cases["late"], cases["bounced"]}
        assert first.reporter_name == "" and first.contact == ""
        assert len([first, *rows]) == 2
