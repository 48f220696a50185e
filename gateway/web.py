"""`satupintu web`: the Flask app under gunicorn, configured from the command line."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from config import Settings


class GatewayServer(BaseApplication):
    """gunicorn, loading our app factory instead of a module path."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        from gateway.app import create_app

        return create_app(self.settings)


def serve(settings: Settings, *, bind: str, workers: int, worker_class: str, threads: int) -> None:
    GatewayServer(
        settings,
        {
            "bind": bind,
            "workers": workers,
            "worker_class": worker_class,
            "threads": threads,
            "timeout": 30,
            "graceful_timeout": 20,
            "accesslog": None,  # access logs would carry tracking ids in URLs; errors only
            "errorlog": "-",
            "forwarded_allow_ips": "127.0.0.1,::1",
        },
    ).run()
