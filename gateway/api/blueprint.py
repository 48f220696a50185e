"""The ``/api/v1`` blueprint and what every endpoint reads from a request.

The endpoints live beside it: citizens.py (complaints and their messages), reference.py (the
OpenAPI document, places, categories) and partners.py (a unit's cases, with its key). Errors
are problem+json (problems.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, g, request
from werkzeug.exceptions import HTTPException

from adapters import api as api_adapter
from adapters.fields import FieldProblem, parse_json
from casestore import api_keys
from gateway.api.problems import Problem, field_problem, http_problem, problem_response
from gateway.context import runtime
from normalizer.tracking import normalize_tracking_id

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# No files travel through the JSON API: a megabyte is far beyond any honest body.
MAX_BODY_BYTES = 1_000_000


@bp.errorhandler(Problem)
def _problem(problem: Problem):
    return problem_response(problem)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return http_problem(error)


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = MAX_BODY_BYTES


# --- what a request carries --------------------------------------------------------------


def absolute(path: str) -> str:
    base = runtime().settings.public_url or request.host_url.rstrip("/")
    return base + path


def json_body() -> Any:
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


def idempotency_key(required: bool) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        if required:
            raise field_problem(
                "Idempotency-Key", "The Idempotency-Key header is required (use a UUID)."
            )
        return None
    if not api_adapter.IDEMPOTENCY_KEY.match(key):
        raise field_problem(
            "Idempotency-Key", "Idempotency-Key must be 16 to 64 letters, digits, - or _."
        )
    return key


def tracking_id_of(given: str) -> str:
    canonical = normalize_tracking_id(given)
    if canonical is None:
        raise Problem(404, "Not Found", "No complaint has this tracking id.")
    return canonical


def partner_of(required: bool) -> api_keys.Partner | None:
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


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None
