"""HTTP errors for machines: problem+json under /api/, Open311 error arrays under /open311/.

Routing errors (an unknown path, a wrong method) happen before any blueprint is chosen, so
the app's own handlers ask here first.
"""

from __future__ import annotations

from flask import Response, request
from werkzeug.exceptions import HTTPException, default_exceptions


def machine_error(error: HTTPException | int) -> Response | None:
    """The error in the format the path's clients read, or None for the citizens' pages."""
    if isinstance(error, int):
        error = default_exceptions[error]()
    if request.path.startswith("/api/"):
        from gateway.api.problems import http_problem

        return http_problem(error)
    if request.path.startswith("/open311/"):
        from gateway.api.open311_format import http_errors

        return http_errors(error)
    return None
