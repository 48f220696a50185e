"""JSON API ``/api/v1`` for the mobile app and partner systems; errors as problem+json.

Citizens: ``POST /complaints`` (Idempotency-Key required), ``GET /complaints/<id>`` (public
status; with a ``Citizen-Secret`` header also the messages to the reporter),
``POST /complaints/<id>/messages`` (follow-up, proved by the citizen secret).
Partners, with ``Authorization: Bearer <key>``: ``GET /cases``, ``GET /cases/<id>`` and
``POST /cases/<id>/actions`` for the cases their unit owns. The OpenAPI document is
``/api/v1/openapi.json`` (gateway/api_spec.py); a test keeps the two in step.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, g, json, request
from werkzeug.exceptions import HTTPException

from adapters import api as api_adapter
from adapters.fields import (
    EARLIEST_TIME,
    LATEST_TIME,
    FieldProblem,
    check_time,
    fingerprint,
    parse_json,
)
from casestore import api_keys
from casestore.db import Session
from casestore.lifecycle import OPEN_STATUSES, Action, Status, TransitionError
from casestore.models import Complaint, StatusEvent
from casestore.public_api import citizen_proof, unit_case, unit_cases
from casestore.queries import PublicCase, public_case, reporter_messages
from dispatcher.casework import act_on_case, lifecycle_action
from gateway.api_spec import spec
from gateway.context import runtime
from gateway.submission import (
    accept,
    count_secret_failure,
    intake_rules,
    over_limit,
    same_body_as_before,
    secret_guessing_wait,
)
from normalizer.citizen_secret import hash_citizen_secret, secret_hash_matches
from normalizer.replies import render_reply
from normalizer.tracking import format_tracking_id, normalize_tracking_id

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# No files travel through the JSON API: a megabyte is far beyond any honest body.
MAX_BODY_BYTES = 1_000_000
MAX_PER_PAGE = 100
# What a partner's key may do: a unit works its own cases; the coordinator also triages.
UNIT_ACTIONS = frozenset({Action.START, Action.RESOLVE, Action.BOUNCE, Action.REPLY})
COORDINATOR_ACTIONS = UNIT_ACTIONS | {Action.VERIFY, Action.DISPATCH, Action.REJECT, Action.ARCHIVE}
PROBLEM_TYPES = {
    "invalid-request": "urn:satupintu:problem:invalid-request",
    "idempotency-key-reused": "urn:satupintu:problem:idempotency-key-reused",
    "transition-refused": "urn:satupintu:problem:transition-refused",
}


class Problem(Exception):
    """An RFC 9457 problem; raising it anywhere in a view answers with it."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        kind: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail
        self.kind, self.errors, self.headers = kind, errors, headers or {}


def problem_response(problem: Problem) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES.get(problem.kind or "", "about:blank"),
        "title": problem.title,
        "status": problem.status,
    }
    if problem.detail:
        body["detail"] = problem.detail
    if problem.errors is not None:
        body["errors"] = problem.errors
    response = Response(
        json.dumps(body), status=problem.status, mimetype="application/problem+json"
    )
    response.headers.update(problem.headers)
    return response


def http_problem(error: HTTPException) -> Response:
    """Any HTTP error under /api/ as problem+json (the app's handlers call this too)."""
    response = problem_response(Problem(error.code or 500, error.name, error.description or ""))
    for name, value in error.get_headers():
        if name.lower() == "allow":
            response.headers["Allow"] = value
    return response


@bp.errorhandler(Problem)
def _problem(problem: Problem):
    return problem_response(problem)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return http_problem(error)


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = MAX_BODY_BYTES


# --- helpers -------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    base = runtime().settings.public_url or request.host_url.rstrip("/")
    return base + path


def _json_body() -> Any:
    """The body, parsed once for every endpoint: not JSON or nested too deep is 400 naming
    the field; a lone surrogate (text nothing can store) is 422 naming it."""
    if not request.is_json:
        raise Problem(415, "Unsupported Media Type", "Send the body as application/json.")
    try:
        return parse_json(request.get_data(cache=True))
    except FieldProblem as problem:
        error = api_adapter.field_error(problem.field, problem.code, problem.limit)
        if problem.code == "not_json":
            raise Problem(400, "Bad Request", "The body is not valid JSON.") from None
        status, title = (422, "Unprocessable Content")
        if problem.code == "too_deep":
            status, title = (400, "Bad Request")
        raise Problem(
            status,
            title,
            f"{problem.field or 'body'} {error.message}.",
            kind="invalid-request",
            errors=[error.as_dict()],
        ) from None


def _invalid(exc: api_adapter.InvalidRequest) -> Problem:
    return Problem(
        422,
        "Unprocessable Content",
        "Some fields are missing or wrong; see errors.",
        kind="invalid-request",
        errors=[e.as_dict() for e in exc.errors],
    )


def _header_problem(name: str, detail: str, status: int = 400) -> Problem:
    return Problem(
        status,
        "Bad Request",
        detail,
        kind="invalid-request",
        errors=[{"field": name, "code": "invalid", "message": detail}],
    )


def _idempotency_key(required: bool) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        if required:
            raise _header_problem(
                "Idempotency-Key", "The Idempotency-Key header is required (use a UUID)."
            )
        return None
    if not api_adapter.IDEMPOTENCY_KEY.match(key):
        raise _header_problem(
            "Idempotency-Key", "Idempotency-Key must be 16 to 64 letters, digits, - or _."
        )
    return key


def _tracking_id(given: str) -> str:
    canonical = normalize_tracking_id(given)
    if canonical is None:
        raise Problem(404, "Not Found", "No complaint has this tracking id.")
    return canonical


def _too_many(retry_after: int, detail: str = "Too many submissions; try again later.") -> Problem:
    return Problem(429, "Too Many Requests", detail, headers={"Retry-After": str(retry_after)})


def _key_reused() -> Problem:
    return Problem(
        422,
        "Unprocessable Content",
        "This Idempotency-Key was already used with a different body.",
        kind="idempotency-key-reused",
    )


def _partner(required: bool) -> api_keys.Partner | None:
    header = request.headers.get("Authorization")
    if header is None:
        if required:
            raise Problem(
                401,
                "Unauthorized",
                "Send a partner key as Authorization: Bearer <key>.",
                headers={"WWW-Authenticate": 'Bearer realm="satupintu"'},
            )
        return None
    scheme, _, presented = header.partition(" ")
    partner = None
    if scheme.lower() == "bearer" and presented.strip():
        with runtime().sessions.begin() as session:
            partner = api_keys.authenticate(session, presented.strip())
    if partner is None:
        raise Problem(
            401,
            "Unauthorized",
            "The key is unknown, malformed or revoked.",
            headers={"WWW-Authenticate": 'Bearer realm="satupintu", error="invalid_token"'},
        )
    g.partner = partner
    return partner


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _labels(status: str) -> dict[str, str]:
    book = runtime().replies
    labels = {}
    for language in ("id", "en"):
        try:
            labels[language] = render_reply(book, f"status.{status}", language)
        except KeyError:
            labels[language] = status
    return labels


def public_status(case: PublicCase) -> dict[str, Any]:
    """What the tracking page shows, as JSON: status, unit, dates and category; no names,
    contacts, message bodies or operators' words."""
    return {
        "tracking_id": case.tracking_id,
        "tracking_id_display": format_tracking_id(case.tracking_id),
        "status": case.status,
        "status_label": _labels(case.status),
        "open": case.status in OPEN_STATUSES,
        "unit": {"code": case.unit_code, "name": case.unit_name, "name_en": case.unit_name_en},
        "category": case.category,
        "kecamatan_code": case.kecamatan_code,
        "received_at": _iso(case.received_at),
        "events": [{"at": _iso(e.at), "kind": e.kind, "status": e.status} for e in case.events],
    }


def _receipt(tracking_id: str, secret: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tracking_id": tracking_id,
        "tracking_id_display": format_tracking_id(tracking_id),
        "status_url": _absolute(f"/api/v1/complaints/{tracking_id}"),
        "tracking_url": _absolute(f"/track/{tracking_id}"),
    }
    if secret is not None:
        body["citizen_secret"] = secret
    return body


# --- citizens ------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    return spec()


# --- reference data (issue 23): public and cacheable, needed before a partner has a key ----

REFERENCE_MAX_AGE = 3600


def _reference(body: dict[str, Any]) -> Response:
    """A reference document with an ETag; a matching If-None-Match answers 304."""
    response = Response(json.dumps(body), mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={REFERENCE_MAX_AGE}"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/places")
def places():
    """Every kecamatan with its desa: Kemendagri codes and names (the API takes the codes)."""
    rules = intake_rules()
    villages: dict[str, list[dict[str, str]]] = {code: [] for code in rules.kecamatan}
    for code, (name, parent) in sorted(rules.desa.items()):
        villages.setdefault(parent, []).append({"code": code, "name": name})
    return _reference(
        {
            "kecamatan": [
                {"code": code, "name": name, "desa": villages.get(code, [])}
                for code, name in sorted(rules.kecamatan.items())
            ]
        }
    )


@bp.get("/categories")
def categories():
    """Complaint categories: the code the API takes, the names in Indonesian and English."""
    return _reference(
        {
            "categories": [
                {"code": c.code, "name": c.name, "name_en": c.name_en}
                for c in intake_rules().categories.values()
            ]
        }
    )


@bp.post("/complaints")
def create_complaint():
    partner = _partner(required=False)
    key = _idempotency_key(required=True)
    assert key is not None
    body = _json_body()
    prefix = partner.prefix if partner else None
    try:
        inbound = api_adapter.parse_complaint(body, key, intake_rules(), partner=prefix)
    except api_adapter.InvalidRequest as exc:
        raise _invalid(exc) from exc
    if not same_body_as_before(inbound, fingerprint(body)):
        raise _key_reused()
    refusal = over_limit(inbound, partner=prefix)
    if refusal is not None:
        raise _too_many(refusal.retry_after)
    accepted = accept(inbound)
    status = 200 if accepted.repeated else 201
    response = Response(
        json.dumps(_receipt(accepted.tracking_id, accepted.citizen_secret)),
        status=status,
        mimetype="application/json",
    )
    response.headers["Location"] = f"/api/v1/complaints/{accepted.tracking_id}"
    return response


@bp.get("/complaints/<tracking_id>")
def complaint_status(tracking_id: str):
    canonical = _tracking_id(tracking_id)
    presented = request.headers.get("Citizen-Secret")
    with runtime().sessions() as session:
        case = public_case(session, canonical)
        if case is None:
            raise Problem(
                404, "Not Found", "No complaint has this tracking id (a new one may take a moment)."
            )
        if presented is None:
            return public_status(case)
        wait = secret_guessing_wait(canonical)
        if wait:
            raise _too_many(wait, "Too many wrong citizen secrets for this complaint.")
        proof = citizen_proof(session, canonical)
        if proof is None or not secret_hash_matches(
            hash_citizen_secret(presented), proof.secret_hash
        ):
            count_secret_failure(canonical)
            raise Problem(403, "Forbidden", "The citizen secret does not match this complaint.")
        messages = reporter_messages(session, canonical)
    body = public_status(case)
    body["messages_to_reporter"] = [
        {"at": _iso(m.at), "kind": m.kind, "status": m.status, "text": m.text} for m in messages
    ]
    return body


@bp.post("/complaints/<tracking_id>/messages")
def add_message(tracking_id: str):
    canonical = _tracking_id(tracking_id)
    key = _idempotency_key(required=False)
    body = _json_body()
    try:
        message = api_adapter.parse_message(body, canonical, intake_rules(), idempotency_key=key)
    except api_adapter.InvalidRequest as exc:
        raise _invalid(exc) from exc
    wait = secret_guessing_wait(canonical)
    if wait:
        raise _too_many(wait, "Too many wrong citizen secrets for this complaint.")
    with runtime().sessions() as session:
        proof = citizen_proof(session, canonical)
    if proof is None:
        raise Problem(404, "Not Found", "No complaint has this tracking id.")
    if not secret_hash_matches(message.secret_hash, proof.secret_hash):
        count_secret_failure(canonical)
        raise Problem(403, "Forbidden", "The citizen secret does not match this complaint.")
    if proof.status not in OPEN_STATUSES:
        raise Problem(409, "Conflict", "This complaint is closed; it takes no more messages.")
    answer = body.get("resolution_answer")
    if answer is not None and proof.status != Status.RESOLVED:
        raise Problem(
            409, "Conflict", "Only a resolved complaint can be answered as resolved or not."
        )
    if key is not None and not same_body_as_before(message.inbound, fingerprint(body)):
        raise _key_reused()
    refusal = over_limit(message.inbound)
    if refusal is not None:
        raise _too_many(refusal.retry_after)
    accept(message.inbound)
    return {"tracking_id": canonical, "accepted": True}, 202


# --- partners ------------------------------------------------------------------------------


def _unit_partner() -> api_keys.Partner:
    partner = _partner(required=True)
    assert partner is not None
    if partner.unit_code is None:
        raise Problem(403, "Forbidden", "This key may submit complaints but sees no cases.")
    return partner


def partner_case(complaint: Complaint, *, events: list[StatusEvent] | None = None) -> dict:
    """A case as the owning unit's system sees it: the complaint, never the citizen's contact."""
    body: dict[str, Any] = {
        "tracking_id": complaint.tracking_id,
        "status": complaint.status,
        "channel": complaint.channel,
        "privacy": complaint.privacy,
        "owner_unit": complaint.owner_unit,
        "category": complaint.category,
        "kecamatan_code": complaint.kecamatan_code,
        "desa_code": complaint.desa_code,
        "latitude": complaint.latitude,
        "longitude": complaint.longitude,
        "description": complaint.description,
        "language": complaint.language,
        "received_at": _iso(complaint.received_at),
        "updated_at": _iso(complaint.updated_at),
        "due_at": _iso(complaint.due_at),
    }
    if events is not None:
        body["events"] = [
            {
                "at": _iso(e.created_at),
                "kind": e.kind,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "to_unit": e.to_unit,
                "actor": e.actor,
                "reason": e.reason,
                "note": e.note,  # internal: the owning unit's own system reads it
                "message_to_reporter": e.message_to_reporter,
                "public": e.public,
            }
            for e in events
        ]
    return body


def _query_statuses() -> list[str] | None:
    given = _query_arg("status")
    if given is None:
        return None
    statuses = [s.strip() for s in given.split(",") if s.strip()]
    unknown = [s for s in statuses if s not in set(Status)]
    if not statuses or unknown:
        raise _query_problem("status", "status must be a comma-separated list of statuses.")
    return statuses


def _query_problem(name: str, detail: str) -> Problem:
    return Problem(
        400,
        "Bad Request",
        detail,
        kind="invalid-request",
        errors=[{"field": name, "code": "invalid", "message": detail}],
    )


def _query_arg(name: str) -> str | None:
    given = request.args.getlist(name)
    if len(given) > 1:
        raise _query_problem(name, f"{name} was given more than once.")
    return given[0] if given else None


def _query_int(name: str, default: int, low: int, high: int) -> int:
    given = _query_arg(name)
    if given is None:
        return default
    # ASCII digits only: "²".isdigit() is true and int("²") fails.
    if not re.fullmatch(r"[0-9]{1,6}", given) or not low <= int(given) <= high:
        raise _query_problem(name, f"{name} must be a whole number from {low} to {high}.")
    return int(given)


def _query_since() -> datetime | None:
    given = _query_arg("since")
    if given is None:
        return None
    try:
        return check_time("since", given)
    except FieldProblem as problem:
        if problem.code == "out_of_range":
            years = f"{EARLIEST_TIME.year} up to {LATEST_TIME.year - 1}"
            raise _query_problem("since", f"since must be from {years}.") from None
        raise _query_problem(
            "since", "since must be an ISO 8601 time with a zone offset."
        ) from None


@bp.get("/cases")
def list_cases():
    partner = _unit_partner()
    statuses = _query_statuses()
    since = _query_since()
    page = _query_int("page", 1, 1, 100_000)
    per_page = _query_int("per_page", 50, 1, MAX_PER_PAGE)
    with runtime().sessions() as session:
        cases, total = unit_cases(
            session,
            partner.unit_code or "",
            statuses=statuses,
            since=since,
            offset=(page - 1) * per_page,
            limit=per_page,
        )
        items = [partner_case(c) for c in cases]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


@bp.get("/cases/<tracking_id>")
def get_case(tracking_id: str):
    partner = _unit_partner()
    canonical = _tracking_id(tracking_id)
    with runtime().sessions() as session:
        complaint = unit_case(session, partner.unit_code or "", canonical)
        if complaint is None:
            raise Problem(404, "Not Found", "Your unit owns no case with this tracking id.")
        return partner_case(complaint, events=list(complaint.events))


def _action_request(partner: api_keys.Partner, body: Any) -> dict[str, Any]:
    errors = []
    if not isinstance(body, dict):
        raise _invalid(api_adapter.InvalidRequest([api_adapter.field_error("", "not_an_object")]))
    for name in sorted(set(body) - {"action", "note", "message_to_reporter", "reason", "unit"}):
        errors.append(api_adapter.field_error(name, "unexpected"))
    coordinator = partner.unit_code == runtime().coordinator
    allowed = COORDINATOR_ACTIONS if coordinator else UNIT_ACTIONS
    action = body.get("action")
    if action is None:
        errors.append(api_adapter.field_error("action", "required"))
    elif not isinstance(action, str):
        errors.append(api_adapter.field_error("action", "not_text"))
    elif action not in {a.value for a in allowed}:
        errors.append(api_adapter.field_error("action", "unknown"))
    for name, limit in (
        ("note", 5000),
        ("message_to_reporter", 5000),
        ("reason", 64),
        ("unit", 64),
    ):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            errors.append(api_adapter.field_error(name, "not_text"))
        elif isinstance(value, str) and len(value) > limit:
            errors.append(api_adapter.field_error(name, "too_long", limit))
    if errors:
        raise _invalid(api_adapter.InvalidRequest(errors))
    return body


@bp.post("/cases/<tracking_id>/actions")
def case_action(tracking_id: str):
    partner = _unit_partner()
    canonical = _tracking_id(tracking_id)
    body = _action_request(partner, _json_body())
    rt = runtime()

    def find(session: Session) -> Complaint:
        complaint = unit_case(session, partner.unit_code or "", canonical)
        if complaint is None:
            raise Problem(404, "Not Found", "Your unit owns no case with this tracking id.")
        return complaint

    change = lifecycle_action(
        body["action"],
        rt,
        actor=f"api:{partner.name}"[:100],
        note=body.get("note") or "",
        message_to_reporter=body.get("message_to_reporter") or "",
        reason=body.get("reason"),
        unit=body.get("unit"),
    )
    try:
        # Replies stay queued when Redis is away: the outbox sweep sends them.
        acted = act_on_case(rt, find, change, show=_partner_view)
    except TransitionError as exc:
        raise Problem(409, "Conflict", str(exc), kind="transition-refused") from exc
    return acted.shown


def _partner_view(session: Session, complaint: Complaint) -> dict:
    return partner_case(complaint, events=list(complaint.events))
