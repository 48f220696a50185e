"""Writing the audit trail from a console request: who (the operator), and from where.

Each call appends in the caller's transaction, so an action and its audit entry commit
together or not at all. The address is the client's as the proxy-aware request saw it.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user

from casestore import audit


def actor(username: str | None = None, unit_code: str | None = None) -> audit.Actor:
    """The operator of this request (or the username someone tried to log in with)."""
    if username is None and current_user.is_authenticated:
        username, unit_code = current_user.username, current_user.unit_code
    return audit.Actor(
        username=username or "",
        unit_code=unit_code,
        address=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", ""),
    )


def note(
    db,
    kind: str,
    *,
    target: str = "",
    detail: dict[str, Any] | None = None,
    username: str | None = None,
    unit_code: str | None = None,
) -> None:
    """Append one entry for this request."""
    audit.record(db, actor(username, unit_code), kind, target=target, detail=detail)
