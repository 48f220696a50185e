"""`satupintu web`: the Flask app under gunicorn, configured from the command line.

The benchmark's bare-Flask baseline runs under ``gunicorn_options()`` too, so both servers
are measured with the same settings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from config import Settings

# Settings of newer gunicorn releases, skipped by older ones.
OPTIONAL_SETTINGS = frozenset({"control_socket_disable"})


class GatewayServer(BaseApplication):
    """gunicorn, loading an app factory instead of a module path."""

    def __init__(self, factory: Callable[[], Any], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in OPTIONAL_SETTINGS and key not in self.cfg.settings:
                continue  # an older gunicorn without it
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        return self.factory()


def gunicorn_options(*, bind: str, workers: int, worker_class: str, threads: int) -> dict[str, Any]:
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": worker_class,
        "threads": threads,
        "timeout": 30,
        "graceful_timeout": 20,
        # Providers and load balancers reuse connections (gthread honours this; the sync
        # worker always closes after one response).
        "keepalive": 5,
        "backlog": 2048,
        "accesslog": None,  # access logs would carry tracking ids in URLs; errors only
        "errorlog": "-",
        "forwarded_allow_ips": "127.0.0.1,::1",
        # gunicorn 24+ opens a control socket at one path per user: two servers on a machine
        # would take it from each other, and nothing here uses it.
        "control_socket_disable": True,
    }


def serve(
    settings: Settings,
    *,
    bind: str,
    workers: int,
    worker_class: str,
    threads: int,
    log_level: str = "info",
) -> None:
    from dispatcher.metrics import use_metrics_dir

    # Before the app (and prometheus_client) is imported: gunicorn's workers inherit it.
    use_metrics_dir(settings.data_dir, "web")

    options = gunicorn_options(
        bind=bind, workers=workers, worker_class=worker_class, threads=threads
    )
    options["loglevel"] = log_level
    GatewayServer(lambda: served_app(settings), options).run()


def served_app(settings: Settings):
    """What each gunicorn worker serves: the proxied app, and a spool drainer beside it.

    Each web process re-submits its host's spool once Redis is back, so records a web
    spooled during an outage are queued without a sidecar (workers and `up` drain too).
    """
    from dispatcher.drainer import SpoolDrainer

    app = proxied_app(settings)
    SpoolDrainer(app.extensions["satupintu"]).start()
    return app


def proxied_app(settings: Settings):
    """The app as gunicorn serves it: behind SATUPINTU_PROXY_HOPS trusted proxies, the
    client's address (what the per-client limits count) and scheme come from the
    X-Forwarded-For/-Proto headers they set; otherwise every citizen behind a load balancer
    would be one client. The host is SATUPINTU_PUBLIC_URL's, never a header's."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from gateway.app import create_app

    app = create_app(settings)
    if settings.proxy_hops > 0:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    return app
