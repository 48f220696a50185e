"""JSON API ``/api/v1`` for the mobile app and partner systems; errors as problem+json.

Citizens: ``POST /complaints`` (Idempotency-Key required), ``GET /complaints/<id>`` (public
status), ``POST /complaints/<id>/messages`` (follow-up, proved by the citizen secret).
Partners, with ``Authorization: Bearer <key>``: ``GET /cases``, ``GET /cases/<id>`` and
``POST /cases/<id>/actions`` for the cases their unit owns. The OpenAPI document is
``/api/v1/openapi.json`` (gateway/api_spec.py); a test keeps the two in step.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis
from flask import Blueprint, Response, g, json, request
from werkzeug.exceptions import HTTPException

from adapters import api as api_adapter
from casestore import api_keys
from casestore.db import Session
from casestore.lifecycle import OPEN_STATUSES, Action, Status, TransitionError
from casestore.models import Complaint, StatusEvent
from casestore.public_api import citizen_proof, unit_case, unit_cases
from casestore.queries import PublicCase, public_case
from dispatcher.casework import act_on_case, lifecycle_action
from gateway.api_spec import spec
from gateway.context import runtime
from gateway.submission import (
    accept,
    count_secret_failure,
    intake_rules,
    secret_guessing_blocked,
    within_limit,
)
from normalizer.citizen_secret import secret_hash_matches
from normalizer.replies import render_reply
from normalizer.tracking import format_tracking_id, normalize_tracking_id

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# No files travel through the JSON API: a megabyte is far beyond any honest body.
MAX_BODY_BYTES = 1_000_000
# A fingerprint of each idempotent request's body, to refuse a key reused for another body.
FINGERPRINT_TTL_SECONDS = 7 * 24 * 3600
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
    if not request.is_json:
        raise Problem(415, "Unsupported Media Type", "Send the body as application/json.")
    body = request.get_json(silent=True)
    if body is None:
        raise Problem(400, "Bad Request", "The body is not valid JSON.")
    return body


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


def _too_many() -> Problem:
    window = runtime().settings.rate_limit_window_seconds
    return Problem(
        429,
        "Too Many Requests",
        "Too many submissions from this client; try again later.",
        headers={"Retry-After": str(window)},
    )


def _same_body_as_before(external_id: str, fingerprint: str) -> bool:
    """Remember the body sent with a key; False when the key came before with another body."""
    key = f"satupintu:idempotency:api:{external_id}"
    connection = runtime().redis
    try:
        if connection.set(key, fingerprint, nx=True, ex=FINGERPRINT_TTL_SECONDS):
            return True
        earlier = connection.get(key)
    except redis.RedisError:
        return True  # the record spools; the store still keeps one case per key
    return earlier is None or earlier.decode() == fingerprint


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
    """What the tracking page shows, as JSON: no names, contacts or message bodies."""
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
        "events": [
            {"at": _iso(e.at), "kind": e.kind, "status": e.status, "note": e.note}
            for e in case.events
        ],
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
    if not _same_body_as_before(inbound.external_id, api_adapter.fingerprint(body)):
        raise Problem(
            422,
            "Unprocessable Content",
            "This Idempotency-Key was already used with a different body.",
            kind="idempotency-key-reused",
        )
    if not within_limit(inbound.external_id, partner=prefix):
        raise _too_many()
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
    with runtime().sessions() as session:
        case = public_case(session, canonical)
    if case is None:
        raise Problem(
            404, "Not Found", "No complaint has this tracking id (a new one may take a moment)."
        )
    return public_status(case)


@bp.post("/complaints/<tracking_id>/messages")
def add_message(tracking_id: str):
    canonical = _tracking_id(tracking_id)
    key = _idempotency_key(required=False)
    body = _json_body()
    try:
        message = api_adapter.parse_message(body, canonical, intake_rules(), idempotency_key=key)
    except api_adapter.InvalidRequest as exc:
        raise _invalid(exc) from exc
    if secret_guessing_blocked():
        raise _too_many()
    with runtime().sessions() as session:
        proof = citizen_proof(session, canonical)
    if proof is None:
        raise Problem(404, "Not Found", "No complaint has this tracking id.")
    if not secret_hash_matches(message.secret_hash, proof.secret_hash):
        count_secret_failure()
        raise Problem(403, "Forbidden", "The citizen secret does not match this complaint.")
    if proof.status not in OPEN_STATUSES:
        raise Problem(409, "Conflict", "This complaint is closed; it takes no more messages.")
    answer = body.get("resolution_answer")
    if answer is not None and proof.status != Status.RESOLVED:
        raise Problem(
            409, "Conflict", "Only a resolved complaint can be answered as resolved or not."
        )
    if not within_limit(message.inbound.external_id):
        raise _too_many()
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
                "note": e.note,
                "public": e.public,
            }
            for e in events
        ]
    return body


def _query_statuses() -> list[str] | None:
    given = request.args.get("status")
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


def _query_int(name: str, default: int, low: int, high: int) -> int:
    given = request.args.get(name)
    if given is None:
        return default
    if not given.isdigit() or len(given) > 6 or not low <= int(given) <= high:
        raise _query_problem(name, f"{name} must be a whole number from {low} to {high}.")
    return int(given)


def _query_since() -> datetime | None:
    given = request.args.get("since")
    if given is None:
        return None
    try:
        since = datetime.fromisoformat(given.replace("Z", "+00:00"))
    except ValueError:
        since = None
    if since is None or since.tzinfo is None or len(given) > 40:
        raise _query_problem("since", "since must be an ISO 8601 time with a zone offset.")
    return since


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
    for name in sorted(set(body) - {"action", "note", "reason", "unit"}):
        errors.append(api_adapter.field_error(name, "unexpected"))
    coordinator = partner.unit_code == runtime().coordinator
    allowed = COORDINATOR_ACTIONS if coordinator else UNIT_ACTIONS
    action = body.get("action")
    if action is None:
        errors.append(api_adapter.field_error("action", "required"))
    elif action not in {a.value for a in allowed}:
        errors.append(api_adapter.field_error("action", "unknown"))
    for name, limit in (("note", 5000), ("reason", 64), ("unit", 64)):
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
