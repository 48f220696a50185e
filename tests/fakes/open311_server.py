"""A GeoReport v2 server of another organization, answering with the spec's own examples.

``mode`` says how it takes a new request: ``"id"`` answers a service_request_id at once
(json-service-request-post.json), ``"token"`` answers a token first and the id later
through ``GET tokens/<token>.json`` (json-request-from-token.json). ``GET
requests/<id>.json`` answers json-service-request.json for an id it holds (closed,
"Duplicate request.", with the spec's invalid ``"service_code":006``); ``forget`` loses
one. A wrong api_key gets the spec's 403 error list; ``fail_next(503, delay=...)`` answers
the next requests with a server error after a delay (a remote slow and then failing);
``requests`` records what arrived.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from fakes.local_server import LocalServer

EXAMPLES = Path(__file__).resolve().parent.parent / "gateway" / "fixtures" / "open311"
SPEC = EXAMPLES / "spec_v2_examples"
TOKEN = "12345"


def example(name: str) -> bytes:
    return (SPEC / name).read_bytes()


def error_body() -> bytes:
    """The JSON list of the spec's 403 example (its file also holds the status line)."""
    text = example("json-errors.json.txt").decode()
    return text[text.index("[") :].encode()


@dataclass
class Arrived:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]


@dataclass
class FakeOpen311Server(LocalServer):
    api_key: str = "open311-key-of-the-land-office"
    mode: str = "id"
    requests: list[Arrived] = field(default_factory=list)
    known: set[str] = field(default_factory=lambda: {"638344"})  # ids it holds
    _failures: list[tuple[int, float]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, times: int = 1, delay: float = 0.0) -> None:
        with self._lock:
            self._failures.extend([(status, delay)] * times)

    def forget(self, request_id: str) -> None:
        """Lose a request, as a server restored from an old backup would."""
        with self._lock:
            self.known.discard(request_id)

    def posts(self) -> list[Arrived]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST"]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        form = parse_qs(body) if handler.command == "POST" else parse_qs(parts.query)
        with self._lock:
            self.requests.append(Arrived(handler.command, parts.path, dict(handler.headers), form))
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, delay = failure
            time.sleep(delay)
            return self._answer(handler, status, b'[{"code":503,"description":"down"}]')
        if form.get("api_key") != [self.api_key]:
            return self._answer(handler, 403, error_body())
        if handler.command == "POST" and parts.path == "/requests.json":
            if self.mode == "token":
                return self._answer(handler, 201, f'[{{"token":"{TOKEN}"}}]'.encode())
            with self._lock:
                self.known.add("293944")
            return self._answer(handler, 201, example("json-service-request-post.json"))
        if parts.path == f"/tokens/{TOKEN}.json":
            return self._answer(handler, 200, example("json-request-from-token.json"))
        asked = parts.path.removeprefix("/requests/").removesuffix(".json")
        if parts.path.startswith("/requests/") and asked in self.known:
            body = example("json-service-request.json").replace(b"638344", asked.encode())
            return self._answer(handler, 200, body)
        return self._answer(handler, 404, b'[{"code":404,"description":"not found"}]')

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
