"""`satupintu web`'s app behind a load balancer: the client is the one the proxy names."""

from __future__ import annotations

from flask import request

from dispatcher import runtime as runtime_module
from gateway.cli.web import gunicorn_options, proxied_app

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def seen_by(app) -> str:
    app.add_url_rule("/_whoami", "whoami", lambda: f"{request.remote_addr} {request.scheme}")
    response = app.test_client().get(
        "/_whoami", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.5"}
    )
    return response.get_data(as_text=True)


def test_forwarded_headers_count_only_behind_trusted_proxies(runtime):
    try:
        assert seen_by(proxied_app(runtime.settings)) == "10.0.0.5 http"
        assert seen_by(proxied_app(runtime.settings.replace(proxy_hops=1))) == "203.0.113.7 https"
    finally:
        runtime_module.install(runtime)


def test_gunicorn_options_are_the_same_for_every_server():
    options = gunicorn_options(bind="127.0.0.1:1", workers=3, worker_class="gthread", threads=4)
    assert options["workers"] == 3 and options["worker_class"] == "gthread"
    assert options["accesslog"] is None  # no tracking ids in access logs
    assert options["control_socket_disable"] is True
