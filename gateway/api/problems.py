"""RFC 9457 problems: what every /api/v1 error answers, as application/problem+json."""

from __future__ import annotations

from typing import Any

from flask import Response, json
from werkzeug.exceptions import HTTPException

from adapters import api as api_adapter

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
        code: str | None = None,
    ) -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail
        self.kind, self.errors, self.headers = kind, errors, headers or {}
        self.code = code  # a machine-readable reason (a lifecycle refusal's code)


def problem_response(problem: Problem) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES.get(problem.kind or "", "about:blank"),
        "title": problem.title,
        "status": problem.status,
    }
    if problem.detail:
        body["detail"] = problem.detail
    if problem.code:
        body["code"] = problem.code
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


def invalid(exc: api_adapter.InvalidRequest) -> Problem:
    return Problem(
        422,
        "Unprocessable Content",
        "Some fields are missing or wrong; see errors.",
        kind="invalid-request",
        errors=[e.as_dict() for e in exc.errors],
    )


def field_problem(name: str, detail: str, status: int = 400) -> Problem:
    return Problem(
        status,
        "Bad Request",
        detail,
        kind="invalid-request",
        errors=[{"field": name, "code": "invalid", "message": detail}],
    )


def too_many(retry_after: int, detail: str = "Too many submissions; try again later.") -> Problem:
    return Problem(429, "Too Many Requests", detail, headers={"Retry-After": str(retry_after)})


def key_reused() -> Problem:
    return Problem(
        422,
        "Unprocessable Content",
        "This Idempotency-Key was already used with a different body.",
        kind="idempotency-key-reused",
    )
