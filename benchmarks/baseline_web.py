"""Baseline (a): a bare Flask endpoint that reads the form and does one Redis write.

Served by gunicorn with exactly the options `satupintu web` uses (gateway.cli.web), on the same
paths our intake answers, so the very same prebuilt requests can be sent to both. Run as
``python -m benchmarks.baseline_web --bind HOST:PORT --workers N --worker-class K --redis URL``.
"""

from __future__ import annotations

import argparse

import redis
from flask import Flask, request

from gateway.cli.web import GatewayServer, gunicorn_options


def create_baseline_app(redis_url: str) -> Flask:
    app = Flask(__name__)
    connection = redis.Redis.from_url(redis_url, socket_timeout=5)

    def take() -> tuple[str, int]:
        # Read the whole body the way our views do (form or JSON), then one Redis write.
        key = request.form.get("MessageSid") or request.headers.get("Idempotency-Key") or "x"
        request.get_data()
        connection.set(f"baseline:{key}", "1", ex=600)
        return "<Response/>", 200

    for path in ("/webhooks/twilio/sms", "/api/v1/complaints", "/"):
        app.add_url_rule(path, path, take, methods=["POST"])
    app.add_url_rule("/healthz", "healthz", lambda: {"status": "ok"})
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bind", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--redis", required=True)
    args = parser.parse_args()
    options = gunicorn_options(
        bind=args.bind, workers=args.workers, worker_class=args.worker_class, threads=args.threads
    )
    GatewayServer(lambda: create_baseline_app(args.redis), options).run()


if __name__ == "__main__":
    main()
