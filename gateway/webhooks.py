"""POST /webhooks/...: provider callbacks. Each view is thin: verify, parse, submit, answer."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
