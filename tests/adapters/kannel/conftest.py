"""Kannel test fixtures: smsbox's requests as captured, settings with the channel on, a poster.

A fixture file is one HTTP request exactly as smsbox (Kannel 1.4.5) sent it: the request
line, its headers, a blank line, the body byte for byte. ``SECRET`` in the query stands for
SATUPINTU_KANNEL_SECRET and ``SIG`` for the dlr-url's HMAC, filled in as a row asks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, quote_from_bytes, unquote_to_bytes, urlsplit

import pytest
from fakes.local_server import LocalServer

from adapters.kannel import dlr_signature
from adapters.kannel.handler import parse_query
from config import load_settings
from gateway.app import create_app

SECRET = "kannel-test-secret-8c1f"
USERNAME = "satupintu"
PASSWORD = "kannel-test-password"
PUBLIC_URL = "https://lapor.acehtengahkab.go.id"
FIXTURES = Path(__file__).parent / "fixtures"

Pairs = list[tuple[str, bytes]]


@dataclass(frozen=True)
class Captured:
    """One smsbox request: method, path, query pairs (bytes values), headers and body."""

    method: str
    path: str
    query: Pairs
    headers: dict[str, str]
    body: bytes

    def field(self, name: str) -> bytes | None:
        return next((value for key, value in self.query if key == name), None)

    def with_query(self, query: Pairs) -> Captured:
        return replace(self, query=query)

    def query_string(self, secret: str = SECRET) -> bytes:
        ref = (self.field("ref") or b"").decode("latin-1")
        parts = []
        for name, value in self.query:
            if name == "secret" and value == b"SECRET":
                value = secret.encode()
            elif name == "sig" and value == b"SIG":
                value = dlr_signature(secret, ref).encode()
            parts.append(f"{name}={quote_from_bytes(value, safe='')}")
        return "&".join(parts).encode()


def load(name: str) -> Captured:
    raw = (FIXTURES / f"{name}.http").read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ")
    path, _, query = target.partition("?")
    pairs = []
    for part in query.split("&") if query else []:
        key, _, value = part.partition("=")
        pairs.append((key, unquote_to_bytes(value.replace("+", " "))))
    headers = dict(line.split(": ", 1) for line in header_lines)
    return Captured(method, path, pairs, headers, body)


@pytest.fixture
def load_request():
    """The loader of captured requests (``fixtures/<name>.http``)."""
    return load


@dataclass
class KannelPoster:
    client: object

    def send(self, captured: Captured, *, secret: str = SECRET):
        headers = {k: v for k, v in captured.headers.items() if k not in {"Host", "Content-Length"}}
        return self.client.open(
            f"{captured.path}?{captured.query_string(secret).decode('ascii')}",
            method=captured.method,
            data=captured.body if captured.method == "POST" else None,
            headers=headers,
        )


def kannel_settings(settings, sendsms_url: str = "http://127.0.0.1:9/cgi-bin/sendsms"):
    return settings.replace(
        kannel_secret=SECRET,
        kannel_sendsms_url=sendsms_url,
        kannel_sendsms_username=USERNAME,
        kannel_sendsms_password=PASSWORD,
        kannel_from="1708",
        public_url=PUBLIC_URL,
    )


@pytest.fixture(scope="module")
def webhook_app(tmp_path_factory, redis_url, database_url):
    """One app for a module whose rows touch only Redis (no worker, no database rows)."""
    settings = load_settings(
        environ={},
        env="test",
        data_dir=tmp_path_factory.mktemp("var"),
        database_url=database_url,
        redis_url=redis_url,
        secret_key="kannel-webhook-table-secret",
        kannel_secret=SECRET,
        public_url=PUBLIC_URL,
    )
    app = create_app(settings)
    app.config.update(TESTING=True)
    app.extensions["kannel_test_settings"] = settings
    yield app
    app.extensions["satupintu"].close()


@pytest.fixture
def redis_only(webhook_app):
    runtime = webhook_app.extensions["satupintu"]
    runtime.settings = webhook_app.extensions["kannel_test_settings"]
    runtime.redis.flushdb()
    return KannelPoster(webhook_app.test_client()), runtime


# --- a local sendsms: smsbox's HTTP interface, as our workers see it ---------------------


@dataclass
class Sent:
    """One sendsms request as smsbox would read it: the text decoded by coding/charset."""

    to: str
    sender: str
    text: str
    coding: str
    charset: str
    dlr_mask: str
    dlr_url: str


class FakeSendsms(LocalServer):
    """``/cgi-bin/sendsms`` on 127.0.0.1: checks the account, decodes the text the way
    Kannel does, answers Kannel's words and statuses (202 "0: Accepted for delivery";
    400 for a denied number; 403 for bad credentials) and fails on demand."""

    def __init__(self) -> None:
        self.username, self.password = USERNAME, PASSWORD
        self.sent: list[Sent] = []
        self.failures: list[tuple[int, str]] = []
        self.denied_prefixes: tuple[str, ...] = ()
        self.lock = threading.Lock()

    def fail_next(self, status: int, body: str = "Sending failed.") -> None:
        with self.lock:
            self.failures.append((status, body))

    def _handle(self, handler) -> None:
        path, _, query = handler.path.partition("?")
        fields = {k.decode(): v for k, v in parse_query(query.encode())}
        status, body = self._answer(path, fields)
        payload = body.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _answer(self, path: str, fields: dict[str, bytes]) -> tuple[int, str]:
        if path != "/cgi-bin/sendsms":
            return 404, "Unknown request."
        with self.lock:
            if self.failures:
                return self.failures.pop(0)
        if (fields.get("username", b"").decode(), fields.get("password", b"").decode()) != (
            self.username,
            self.password,
        ):
            return 403, "Authorization failed for sendsms"
        to = fields.get("to", b"").decode()
        if not to:
            return 400, "Missing receiver number, rejected"
        if to.startswith(self.denied_prefixes):
            return 400, "Number(s) has/have been denied by white- and/or black-lists."
        coding = fields.get("coding", b"0").decode()
        charset = fields.get("charset", b"UTF-8").decode()
        raw = fields.get("text", b"")
        text = raw.decode("utf-16-be" if charset.upper() == "UTF-16BE" else charset)
        with self.lock:
            self.sent.append(
                Sent(
                    to=to,
                    sender=fields.get("from", b"").decode(),
                    text=text,
                    coding=coding,
                    charset=charset,
                    dlr_mask=fields.get("dlr-mask", b"").decode(),
                    dlr_url=fields.get("dlr-url", b"").decode(),
                )
            )
        return 202, "0: Accepted for delivery"


def _dlr_call(dlr_url: str, code: int, reply: str = "") -> str:
    """The dlr-url with Kannel's escape codes filled in, as bearerbox calls it (path+query)."""
    parts = urlsplit(dlr_url)
    filled = parts.query.replace("%d", str(code)).replace("%A", quote(reply)).replace("%i", "fake")
    return f"{parts.path}?{filled}"


@pytest.fixture
def fake_sendsms() -> Iterator[FakeSendsms]:
    with FakeSendsms() as server:
        yield server


@pytest.fixture
def settings(settings, fake_sendsms):
    """The shared test settings with Kannel on (webhooks, sendsms to the fake), Twilio off."""
    return kannel_settings(settings, fake_sendsms.url + "/cgi-bin/sendsms")


@pytest.fixture
def dlr_call():
    """``dlr_call(dlr_url, code)``: the path and query bearerbox calls for DLR ``code``."""
    return _dlr_call


@pytest.fixture
def kannel(client) -> KannelPoster:
    """Sends captured smsbox requests to the test's app (its runtime, its worker)."""
    return KannelPoster(client)
