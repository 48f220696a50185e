"""Open311 GeoReport v2 at ``/open311/v2``: services, requests (POST and GET), in JSON or XML.

Services are the configured categories plus ``lainnya`` (let officers sort it). A POST needs
a partner key (``api_key``); its ``service_request_id`` is the tracking id, known at once
because it derives from the request's key. GETs are public: confidential cases are never
listed, and no GET carries a name, a contact, the description, an operator's words or an
anonymous citizen's coordinates: ``status_notes`` is a fixed phrase per status. Errors are
arrays of {code, description} with 400, 403 or 404.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, request
from werkzeug.exceptions import HTTPException

from adapters import open311 as open311_adapter
from adapters.federation.push import BadPush
from adapters.fields import EARLIEST_TIME, LATEST_TIME, FieldProblem, check_time, fingerprint
from adapters.open311 import OTHER_SERVICE, Open311Errors, error
from casestore import api_keys
from casestore.lifecycle import OPEN_STATUSES, Status
from casestore.models import utcnow
from casestore.public_api import PublicRequest, public_requests
from gateway import i18n
from gateway.api import federation
from gateway.api.open311_format import errors_response, format_of_path, http_errors, render
from gateway.context import runtime
from gateway.submission import accept, intake_rules, over_limit, same_body_as_before
from normalizer.tracking import format_tracking_id, normalize_tracking_id

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

FORMAT = "<any(json, xml):fmt>"
MAX_BODY_BYTES = 1_000_000
MAX_SPAN = timedelta(days=90)  # GeoReport v2: a query may span at most 90 days
MAX_RESULTS = 1000
MAX_IDS = 100
CLOSED_STATUSES = [s.value for s in Status if s not in OPEN_STATUSES]
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# ``status_notes``: one fixed phrase per status, never an operator's words (issue 13).
STATUS_NOTES = {
    Status.RECEIVED: "Laporan diterima, menunggu verifikasi.",
    Status.VERIFIED: "Laporan sudah diverifikasi.",
    Status.DISPATCHED: "Laporan diteruskan ke unit yang berwenang.",
    Status.IN_PROGRESS: "Laporan sedang ditindaklanjuti.",
    Status.RESOLVED: "Unit menyatakan laporan selesai; menunggu tanggapan pelapor.",
    Status.CLOSED: "Laporan ditutup.",
    Status.REJECTED: "Laporan tidak dapat ditindaklanjuti.",
    Status.ARCHIVED: "Laporan diarsipkan.",
    Status.BOUNCED: "Laporan dikembalikan ke koordinator untuk diteruskan ke unit lain.",
    Status.DUPLICATE: "Laporan digabung dengan laporan lain tentang masalah yang sama.",
    Status.WAITING_REPORTER: "Menunggu keterangan tambahan dari pelapor.",
}


@bp.errorhandler(Open311Errors)
def _open311_errors(failure: Open311Errors):
    return errors_response(format_of_path(), failure)


@bp.errorhandler(HTTPException)
def _http_errors(error_: HTTPException):
    return http_errors(error_)


@bp.before_request
def _check_request() -> None:
    request.max_content_length = MAX_BODY_BYTES
    # One jurisdiction is served; naming another is "not found", as the spec says.
    given = request.values.getlist("jurisdiction_id")
    if given and given != [runtime().settings.open311_jurisdiction]:
        raise error(404, "jurisdiction_id was not found")


# --- services ------------------------------------------------------------------------------


def _service_language() -> str:
    """Bahasa Indonesia unless ``?lang=en`` or an Accept-Language preferring English."""
    asked = request.args.get("lang")
    if asked in ("id", "en"):
        return asked
    return request.accept_languages.best_match(("id", "en"), default="id") or "id"


OTHER_NAMES = {
    "id": ("Lainnya", "Lainnya: petugas memilih kategorinya"),
    "en": ("Other", "Other: officers choose the category"),
}


def _services(language: str = "id") -> list[dict[str, Any]]:
    """The categories plus ``lainnya``, named and described in one language (issue 23)."""
    rules = intake_rules()
    english = language == "en"
    services = [
        {
            "service_code": category.code,
            "service_name": category.name_en if english else category.name,
            "description": category.name_en if english else category.name,
            "metadata": True,
            "type": "realtime",
            "keywords": ", ".join(category.keywords),
            "group": category.scope,
        }
        for category in rules.categories.values()
    ]
    other_name, other_description = OTHER_NAMES[language]
    services.append(
        {
            "service_code": OTHER_SERVICE,
            "service_name": other_name,
            "description": other_description,
            "metadata": True,
            "type": "realtime",
            "keywords": "",
            "group": "agency",
        }
    )
    return services


def _definition(code: str) -> dict[str, Any]:
    rules = intake_rules()
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": "kecamatan",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "Kemendagri code of the kecamatan (sub-district)",
                "order": 1,
                "description": "Kecamatan",
                "values": [{"key": k, "name": n} for k, n in rules.kecamatan.items()],
            },
            {
                "variable": True,
                "code": "desa",
                "datatype": "string",
                "required": False,
                "datatype_description": "Kemendagri code of the desa, e.g. 11.04.17.2001",
                "order": 2,
                "description": "Desa/kelurahan (village)",
            },
            {
                "variable": True,
                "code": "privacy",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "Who may see the report (default public)",
                "order": 3,
                "description": "Privacy",
                "values": [
                    {"key": "public", "name": "Biasa / public"},
                    {"key": "anonymous", "name": "Anonim / the citizen hidden from units"},
                    {"key": "confidential", "name": "Rahasia / never listed in public"},
                ],
            },
        ],
    }


@bp.get(f"/services.{FORMAT}")
def services(fmt: str):
    response = render(fmt, _services(_service_language()), root="services", item="service")
    response.headers["Content-Language"] = _service_language()
    response.vary.add("Accept-Language")
    return response


@bp.get(f"/services/<code>.{FORMAT}")
def service_definition(fmt: str, code: str):
    if code != OTHER_SERVICE and code not in intake_rules().categories:
        raise error(404, f"service_code {code[:80]} was not found")
    return render(fmt, _definition(code), root="service_definition", item="attribute")


# --- requests ------------------------------------------------------------------------------


def _partner() -> api_keys.Partner:
    given = request.form.getlist("api_key") or request.args.getlist("api_key")
    partner = None
    if len(given) == 1 and given[0]:
        with runtime().sessions.begin() as session:
            partner = api_keys.authenticate(session, given[0])
    if partner is None:
        raise error(403, "Invalid api_key received -- can't proceed with create_request.")
    return partner


@bp.post(f"/requests.{FORMAT}")
def create_request(fmt: str):
    partner = _partner()
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise error(400, "Idempotency-Key must be 16 to 64 letters, digits, - or _")
    inbound = open311_adapter.parse(
        request.form, intake_rules(), partner=partner.prefix, idempotency_key=key
    )
    if key is not None and not same_body_as_before(inbound, fingerprint(_body(request.form))):
        raise error(422, "Idempotency-Key was already used with a different request body")
    if over_limit(inbound, partner=partner.prefix) is not None:
        raise error(429, "too many requests from this api_key; try again later")
    try:
        origin = federation.origin_of_request()  # a peer's forward (issue 21)
    except BadPush as exc:
        raise error(400, str(exc)) from None
    accepted = accept(inbound, with_secret=False)
    federation.remember_origin(partner, origin, accepted.tracking_id, "open311")
    notice = (
        f"Laporan diterima dengan nomor {format_tracking_id(accepted.tracking_id)}. "
        f"Lacak di {runtime().public_url}/track/{accepted.tracking_id}"
    )
    if accepted.updates:  # where the typed contact will hear of it (issue 18)
        notice += " " + i18n.t(f"done.updates.{accepted.updates}")
    body = [
        {
            "service_request_id": accepted.tracking_id,
            "service_notice": notice,
            "account_id": None,
        }
    ]
    return render(fmt, body, root="service_requests", item="request")


def _body(form: Any) -> dict[str, list[str]]:
    """What a request said, for its fingerprint (the key is the partner's, not the body)."""
    return {name: form.getlist(name) for name in form.keys() if name != "api_key"}  # noqa: SIM118


def _local(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(runtime().settings.timezone)).isoformat(timespec="seconds")


def _address(row: PublicRequest) -> tuple[str | None, str | None]:
    rules = intake_rules()
    parts, address_id = [], row.desa_code or row.kecamatan_code
    if row.desa_code in rules.desa:
        parts.append(rules.desa[row.desa_code][0])
    if row.kecamatan_code in rules.kecamatan:
        parts.append(f"Kecamatan {rules.kecamatan[row.kecamatan_code]}")
    if not parts:
        return None, None
    return ", ".join([*parts, "Kabupaten Aceh Tengah"]), address_id


def service_request(row: PublicRequest) -> dict[str, Any]:
    """One case as an Open311 request: public facts only."""
    categories = intake_rules().categories
    category = categories.get(row.category or "")
    address, address_id = _address(row)
    return {
        "service_request_id": row.tracking_id,
        "status": "open" if row.status in OPEN_STATUSES else "closed",
        "status_notes": STATUS_NOTES.get(row.status),
        "service_name": category.name if category else "Lainnya",
        "service_code": category.code if category else OTHER_SERVICE,
        "description": None,
        "agency_responsible": row.unit_name,
        "service_notice": None,
        "requested_datetime": _local(row.received_at),
        "updated_datetime": _local(row.updated_at),
        "expected_datetime": _local(row.due_at),
        "address": address,
        "address_id": address_id,
        "zipcode": None,
        "lat": row.latitude,
        "long": row.longitude,
        "media_url": None,
    }


def _single_arg(name: str) -> str | None:
    given = request.args.getlist(name)
    if len(given) > 1:
        raise error(400, f"{name} was given more than once")
    return given[0] if given else None


def _date_arg(name: str) -> datetime | None:
    given = _single_arg(name)
    if given is None or given == "":
        return None
    try:
        # Without a zone, a date is the district's local time.
        return check_time(name, given, assume=ZoneInfo(runtime().settings.timezone))
    except FieldProblem as problem:
        if problem.code == "out_of_range":
            years = f"{EARLIEST_TIME.year} up to {LATEST_TIME.year - 1}"
            raise error(400, f"{name} is out of range (from {years})") from None
        raise error(
            400, f"{name} must be a W3C date-time, e.g. 2026-11-28T09:00:00+07:00"
        ) from None


def _list_arg(name: str, limit: int) -> list[str] | None:
    given = _single_arg(name)
    if given is None:
        return None
    items = [part.strip() for part in given.split(",") if part.strip()]
    if not items or len(items) > limit:
        raise error(400, f"{name} must list 1 to {limit} values, comma separated")
    return items


@bp.get(f"/requests.{FORMAT}")
def list_requests(fmt: str):
    ids = _list_arg("service_request_id", MAX_IDS)
    with runtime().sessions() as session:
        if ids is not None:
            # The spec: service_request_id overrides every other argument.
            canonical = [c for c in (normalize_tracking_id(i) for i in ids) if c is not None]
            rows = public_requests(session, tracking_ids=canonical) if canonical else []
        else:
            rows = public_requests(session, **_filters())
        body = [service_request(row) for row in rows]
    return render(fmt, body, root="service_requests", item="request")


def _filters() -> dict[str, Any]:
    codes = _list_arg("service_code", 50)
    category = None
    if codes is not None:
        if len(codes) > 1:
            raise error(400, "service_code takes one service at a time")
        category = codes[0]
        if category != OTHER_SERVICE and category not in intake_rules().categories:
            raise error(400, f"service_code {category[:80]} was not found")
    start, end = _date_arg("start_date"), _date_arg("end_date")
    if start is not None and end is not None:
        if end < start:
            raise error(400, "end_date is before start_date")
        if end - start > MAX_SPAN:
            raise error(400, "start_date and end_date may span at most 90 days")
    elif start is not None:
        end = start + MAX_SPAN
    elif end is not None:
        start = end - MAX_SPAN
    else:
        start = utcnow() - MAX_SPAN  # the spec's default window
    statuses = None
    wanted = _list_arg("status", 2)
    if wanted is not None:
        if not set(wanted) <= {"open", "closed"}:
            raise error(400, "status must be open, closed, or both comma separated")
        statuses = []
        if "open" in wanted:
            statuses += [s.value for s in OPEN_STATUSES]
        if "closed" in wanted:
            statuses += CLOSED_STATUSES
    filters: dict[str, Any] = {"start": start, "end": end, "statuses": statuses}
    if category == OTHER_SERVICE:
        filters["uncategorized"] = True
    elif category is not None:
        filters["category"] = category
    filters["limit"] = MAX_RESULTS
    return filters


@bp.get(f"/requests/<service_request_id>.{FORMAT}")
def get_request(fmt: str, service_request_id: str):
    canonical = normalize_tracking_id(service_request_id)
    rows = []
    if canonical is not None:
        with runtime().sessions() as session:
            rows = public_requests(session, tracking_ids=[canonical])
    if not rows:
        raise error(404, f"service_request_id {service_request_id[:40]} was not found")
    return render(fmt, [service_request(rows[0])], root="service_requests", item="request")
