"""`satupintu web`'s app behind a load balancer: the client is the one the proxy names."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from flask import request

from dispatcher import runtime as runtime_module
from dispatcher.inbox import waiting_records
from gateway.cli.web import gunicorn_options, proxied_app
from normalizer import normalize
from normalizer.records import Channel, InboundMessage

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


@pytest.mark.slow
def test_a_web_process_drains_its_hosts_spool_once_redis_answers(runtime, tmp_path):
    """`satupintu web` (real gunicorn) re-submits what a web spooled while Redis was away."""
    record = normalize(
        InboundMessage(
            channel=Channel.WEB,
            provider="webform",
            external_id="spooled-by-a-web-0000000001",
            sender="",
            text="Lampu jalan mati di Kampung Bale, Kec. Lut Tawar",
            received_at=datetime(2026, 12, 4, 3, 0, tzinfo=UTC),
            declared={"privacy": "public"},
        ),
        runtime.rules,
    )
    runtime.spool.append(record.to_dict())
    assert runtime.spool.stats().records == 1

    settings = runtime.settings
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")} | {
        "SATUPINTU_DATA_DIR": str(settings.data_dir),
        "SATUPINTU_DATABASE_URL": settings.database_url,
        "SATUPINTU_REDIS_URL": settings.redis_url,
        "SATUPINTU_SECRET_KEY": settings.secret_key,
    }
    command = [sys.executable, "-m", "gateway.cli", "web", "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        [*command, "--workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while runtime.spool.stats().records and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.2)
        assert runtime.spool.stats().records == 0, "the web process never drained the spool"
        waiting = waiting_records(runtime.redis)
        assert [payload["idempotency_key"] for payload in waiting] == [record.idempotency_key]
    finally:
        process.terminate()
        process.wait(timeout=30)
