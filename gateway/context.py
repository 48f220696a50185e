"""Access to this app's runtime (settings, sessions, Redis, reference data) from a request."""

from __future__ import annotations

from flask import current_app

from dispatcher.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["satupintu"]
