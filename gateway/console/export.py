"""/console/export/cases.csv and .xlsx: the filtered case list as a spreadsheet (issue 19).

Exactly the list on screen: the same filter reader and scope (a unit's admin exports its own
cases only), one row per case. Rows stream from a server-side cursor; the CSV goes out as it
is written, the XLSX is written by openpyxl's write-only workbook to an anonymous temporary
file, then sent from it. Names and contacts only for the coordinator who ticks
``include_identity``; every export is in the audit trail, with its filters and row count.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, request, send_file, stream_with_context

from casestore.audit import AuditKind
from casestore.export import ExportRow, count_rows, export_rows
from gateway.console import trail
from gateway.console.auth import operator
from gateway.console.case_filters import choices, desa_names, kept, read_filters
from gateway.console.scope import scope
from gateway.context import runtime
from gateway.i18n import status_label, t

bp = Blueprint("export", __name__, url_prefix="/export")

COLUMNS = (
    "tracking_id",
    "status",
    "unit",
    "category",
    "kecamatan",
    "desa",
    "channel",
    "privacy",
    "received",
    "activity",
    "due",
    "hard_due",
    "overdue",
    "bounces",
)
IDENTITY_COLUMNS = ("citizen", "contact")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet runs a cell that starts like a formula: a citizen's name must stay text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class Labels:
    """Codes to the words an operator reads, looked up once per export, not once per row."""

    def __init__(self) -> None:
        self.names = choices()
        self.desa = desa_names()
        self.status = {code: status_label(code) for code in self.names["status"]}
        self.zone = ZoneInfo(runtime().settings.timezone)
        self.yes, self.no = t("console.export.yes"), t("console.export.no")

    def local(self, value: datetime | None) -> datetime | None:
        # Naive local time: a spreadsheet cell has no zone, and the header says which.
        return value.astimezone(self.zone).replace(tzinfo=None) if value else None

    def row(self, case: ExportRow, identity: bool) -> list[object]:
        cells: list[object] = [
            case.tracking_id,
            self.status.get(case.status, case.status),
            self.names["unit"].get(case.owner_unit, case.owner_unit),
            self.names["category"].get(case.category or "", ""),
            self.names["kecamatan"].get(case.kecamatan_code or "", ""),
            self.desa.get(case.desa_code or "", ""),
            t(f"console.channel.{case.channel}"),
            t(f"console.privacy.{case.privacy}"),
            self.local(case.received_at),
            self.local(case.updated_at),
            self.local(case.due_at),
            self.local(case.hard_due_at),
            self.yes if case.overdue else self.no,
            case.bounces,
        ]
        if identity:
            cells += [case.reporter_name, case.contact]
        return [_safe(cell) for cell in cells]


def _header(identity: bool) -> list[str]:
    names = COLUMNS + (IDENTITY_COLUMNS if identity else ())
    zone = runtime().settings.timezone
    return [t(f"console.export.col.{name}").format(zone=zone) for name in names]


def _prepare(fmt: str):
    """Check the request, record the export; the filters, scope and identity choice."""
    me = operator()
    names = choices()
    asked_unit = request.args.get("unit", "")
    if not me.is_coordinator and asked_unit and asked_unit != me.unit_code:
        abort(404)  # another unit's export does not exist for this admin
    identity = request.args.get("include_identity") in {"1", "on", "true"}
    if identity and not me.is_coordinator:
        abort(403)
    filters = read_filters(request.args, names)
    moment = datetime.now(UTC)
    with runtime().sessions.begin() as db:
        total = count_rows(db, filters, scope_unit=scope(), now=moment)
        detail = {"format": fmt, "rows": total, "identity": identity, "filters": kept(request.args)}
        trail.note(db, AuditKind.EXPORT, detail=detail)
    return filters, scope(), moment, identity


def _rows(filters, scope_unit, moment, identity) -> Iterator[list[object]]:
    labels = Labels()
    with runtime().sessions() as db:
        for case in export_rows(
            db, filters, scope_unit=scope_unit, now=moment, include_identity=identity
        ):
            yield labels.row(case, identity)


def _filename(ext: str) -> str:
    return f"laporan-{datetime.now(UTC):%Y%m%d-%H%M}.{ext}"


@bp.get("/cases.csv")
def cases_csv():
    filters, scope_unit, moment, identity = _prepare("csv")

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # a BOM, so a spreadsheet opens it as UTF-8
        writer.writerow(_header(identity))
        for cells in _rows(filters, scope_unit, moment, identity):
            writer.writerow(
                [c.strftime("%Y-%m-%d %H:%M") if isinstance(c, datetime) else c for c in cells]
            )
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


@bp.get("/cases.xlsx")
def cases_xlsx():
    from openpyxl import Workbook

    filters, scope_unit, moment, identity = _prepare("xlsx")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(t("console.cases.title")[:31])
    sheet.append(_header(identity))
    for cells in _rows(filters, scope_unit, moment, identity):
        sheet.append(cells)
    # An anonymous file: gone when closed, never readable by name by anyone else.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it)
    book.save(spool)
    spool.seek(0)
    return send_file(spool, mimetype=XLSX_TYPE, as_attachment=True, download_name=_filename("xlsx"))
