"""/healthz (the process answers) and /readyz (the database and Redis answer too)."""

from __future__ import annotations

from flask import Blueprint

from casestore.db import ping
from gateway.context import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    rt = runtime()
    checks: dict[str, str] = {}
    try:
        ping(rt.engine)
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; say which
        checks["database"] = type(exc).__name__
    try:
        rt.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = type(exc).__name__
    spool = rt.spool.stats()
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks, "spool": spool.records}
    return body, 200 if ready else 503
