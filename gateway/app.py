"""create_app(): the WSGI app, built in the steps below; wiring only.

The app owns the runtime it is given or builds (``app.extensions["satupintu"]``, read through
gateway/context.py) and installs nothing process-wide: jobs get theirs from the worker that
runs them (`satupintu worker`, dispatcher/runtime.py).
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from config import Settings, load_settings
from dispatcher.runtime import Runtime
from gateway import i18n
from gateway.extensions import csrf, login_manager


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """The WSGI app; ``runtime`` lets a caller (the tests) share its engine and Redis."""
    settings = runtime.settings if runtime is not None else settings or load_settings()
    app = Flask(__name__)
    _configure(app, settings)
    app.extensions["satupintu"] = runtime or Runtime(settings)
    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    return app


def _configure(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.public_url and settings.public_url.startswith("https")),
        WTF_CSRF_TIME_LIMIT=None,  # the session bounds it; a citizen may write slowly
    )
    logging.basicConfig(level=settings.log_level)


def _init_extensions(app: Flask) -> None:
    csrf.init_app(app)
    # No template context processor: public pages never load an operator.
    login_manager.init_app(app, add_context_processor=False)
    i18n.init_app(app)


def _register_blueprints(app: Flask) -> None:
    # Imported here: `satupintu worker` and `web` import the gateway package before they
    # point prometheus_client (imported by /metrics) at its multiprocess directory.
    from gateway.api import bp as api
    from gateway.api.open311 import bp as open311
    from gateway.console import bp as console
    from gateway.ops.health import bp as health
    from gateway.ops.metrics import bp as metrics
    from gateway.public import bp as public
    from gateway.webhooks import bp as webhooks

    app.register_blueprint(public)  # /, /track: citizens
    app.register_blueprint(health)  # /healthz, /readyz
    csrf.exempt(webhooks)  # providers sign their requests instead
    app.register_blueprint(webhooks)  # /webhooks: Twilio, X
    for machine in (api, open311):  # JSON API and Open311: keys and secrets, not cookies
        csrf.exempt(machine)
        app.register_blueprint(machine)
    app.register_blueprint(console)  # /console: operators
    app.register_blueprint(metrics)  # /metrics: Prometheus


def _register_error_handlers(app: Flask) -> None:
    from gateway.api.machine_errors import machine_error

    def page(code: int, title: str, message: str):
        machine = machine_error(code)  # /api/ answers problem+json, /open311/ its arrays
        if machine is not None:
            return machine
        if request.accept_mimetypes.best == "application/json":
            return {"error": title, "detail": message}, code
        return render_template("error.html", code=code, title=title, message=message), code

    @app.errorhandler(404)
    def not_found(_error):
        return page(404, i18n.t("error.404.title"), i18n.t("error.404.body"))

    @app.errorhandler(413)
    def too_large(_error):
        return page(413, i18n.t("error.413.title"), i18n.t("error.413.body"))

    @app.errorhandler(400)
    def bad_request(error):
        return page(400, i18n.t("error.400.title"), getattr(error, "description", ""))

    @app.errorhandler(HTTPException)
    def other_http_error(error):
        return machine_error(error) or error
