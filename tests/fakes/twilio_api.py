"""A local Twilio REST API: Messages.json on a real socket on 127.0.0.1, for the real client.

It checks Basic auth, answers with Twilio's JSON (a message resource, or an error object
with ``code``, ``message``, ``more_info`` and ``status``), records every request, and fails
on demand (``fail_next(400, 21610)``, ``fail_next(500)``). ``send_status_callback`` posts a
signed status callback to the URL a message asked for, as Twilio does.

Content API sends: a create with ``ContentSid`` (HX...) and ``ContentVariables`` (a JSON
object of strings) instead of ``Body``; a SID the account has not (``content_sids``) is
Twilio's 21655. Media: ``add_media`` serves bytes at a Media URL that, like Twilio's, needs
the account's Basic auth (401 without), answers 404 after ``delete_media``, and can redirect
(``redirect_media``) to any URL, another host's included.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fakes.local_server import LocalServer
from twilio.request_validator import RequestValidator

API_VERSION = "2010-04-01"

ERROR_MESSAGES = {
    20003: "Authenticate",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number is not a valid phone number.",
    21602: "Message body is required.",
    21604: "A 'To' phone number is required.",
    21606: "The 'From' phone number provided is not a valid message-capable Twilio phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21655: "The ContentSid is Invalid",
    21656: "The ContentVariables Parameter is invalid",
    63016: "Failed to send freeform message because you are outside the allowed window.",
    63018: "Rate limit exceeded for Channel",
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]
    auth: tuple[str, str] | None

    def value(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None


@dataclass
class Failure:
    status: int
    code: int | None


@dataclass
class FakeTwilioApi(LocalServer):
    account_sid: str
    auth_token: str
    requests: list[RecordedRequest] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    # Approved Content Templates of the account; a send naming another one is refused.
    content_sids: set[str] = field(default_factory=set)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    _failures: list[Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- lifecycle

    # --- what tests steer and read

    def fail_next(self, status: int, code: int | None = None, times: int = 1) -> None:
        """Answer the next ``times`` message creations with this error."""
        with self._lock:
            self._failures.extend(Failure(status, code) for _ in range(times))

    def add_media(self, data: bytes, content_type: str) -> str:
        """Serve ``data`` at a new Media URL of a new inbound message; returns the URL."""
        path = (
            f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/MM{secrets.token_hex(16)}"
            f"/Media/ME{secrets.token_hex(16)}"
        )
        with self._lock:
            self.media[path] = (data, content_type)
        return self.url + path

    def delete_media(self, url: str) -> None:
        """The account deleted the media (Twilio answers 404 from then on)."""
        with self._lock:
            self.media.pop(url.removeprefix(self.url), None)

    def redirect_media(self, location: str) -> str:
        """A Media URL that answers 307 to ``location``; returns the URL."""
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Media/ME{secrets.token_hex(16)}"
        with self._lock:
            self.redirects[path] = location
        return self.url + path

    def sent(self) -> list[dict[str, Any]]:
        """The messages created so far (Twilio's resources, in order)."""
        with self._lock:
            return list(self.created)

    def wait_for_messages(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            sent = self.sent()
            if len(sent) >= count or time.monotonic() > deadline:
                return sent
            time.sleep(0.05)

    def send_status_callback(
        self, message: dict[str, Any], status: str, error_code: int | None = None
    ) -> int:
        """POST a signed status callback for ``message`` to its StatusCallback URL."""
        url = message["status_callback"]
        params = []
        if error_code is not None:
            params.append(("ErrorCode", str(error_code)))
        params += [
            ("SmsSid", message["sid"]),
            ("SmsStatus", status),
            ("MessageStatus", status),
            ("To", message["to"]),
            ("MessageSid", message["sid"]),
            ("AccountSid", self.account_sid),
            ("From", message["from"] or ""),
            ("ApiVersion", API_VERSION),
        ]
        signature = RequestValidator(self.auth_token).compute_signature(url, dict(params))
        request = urllib.request.Request(
            url,
            data=urlencode(params).encode(),
            headers={"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    # --- the wire

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        form: dict[str, list[str]] = {}
        for name, value in parse_qsl(body, keep_blank_values=True):
            form.setdefault(name, []).append(value)
        recorded = RecordedRequest(
            method=handler.command,
            path=handler.path,
            headers=dict(handler.headers.items()),
            form=form,
            auth=_basic_auth(handler.headers.get("Authorization", "")),
        )
        with self._lock:
            self.requests.append(recorded)
        if handler.command == "GET":
            return self._serve_media(handler, recorded)
        messages_path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        if handler.command != "POST" or handler.path != messages_path:
            return _answer(handler, 404, _error(20404, 404, "The requested resource was not found"))
        if recorded.auth != (self.account_sid, self.auth_token):
            return _answer(handler, 401, _error(20003, 401))
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            code = failure.code if failure.code is not None else 20500
            return _answer(handler, failure.status, _error(code, failure.status))
        problem = _invalid(recorded, self.content_sids)
        if problem is not None:
            return _answer(handler, 400, _error(problem, 400))
        resource = self._message(recorded)
        with self._lock:
            self.created.append(resource)
        _answer(handler, 201, resource)

    def _serve_media(self, handler: BaseHTTPRequestHandler, request: RecordedRequest) -> None:
        with self._lock:
            found = self.media.get(handler.path)
            location = self.redirects.get(handler.path)
        if location is not None:
            handler.send_response(307)
            handler.send_header("Location", location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        if request.auth != (self.account_sid, self.auth_token):
            return _answer(handler, 401, _error(20003, 401))
        if found is None:
            return _answer(handler, 404, _error(20404, 404, "The requested resource was not found"))
        data, content_type = found
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
        return None

    def _message(self, request: RecordedRequest) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=True)
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": request.value("Body") or "",
            "content_sid": request.value("ContentSid"),
            "content_variables": json.loads(request.value("ContentVariables") or "null"),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": request.value("From"),
            "messaging_service_sid": request.value("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if request.value("MessagingServiceSid") else "queued",
            "status_callback": request.value("StatusCallback"),
            "subresource_uris": {
                "media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": request.value("To"),
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json",
        }


def _invalid(request: RecordedRequest, content_sids: set[str]) -> int | None:
    """The error code Twilio gives a create request missing what it needs, or None."""
    if not request.value("To"):
        return 21604
    if not request.value("From") and not request.value("MessagingServiceSid"):
        return 21606
    content_sid = request.value("ContentSid")
    if content_sid is not None:
        if content_sid not in content_sids:
            return 21655
        try:
            variables = json.loads(request.value("ContentVariables") or "{}")
        except ValueError:
            return 21656
        if not isinstance(variables, dict) or not all(
            isinstance(v, str) for v in variables.values()
        ):
            return 21656
        return None
    if not request.value("Body"):
        return 21602
    return None


def _error(code: int, status: int, message: str | None = None) -> dict[str, Any]:
    return {
        "code": code,
        "message": message or ERROR_MESSAGES.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _answer(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Twilio-Request-Id", "RQ" + secrets.token_hex(16))
    handler.end_headers()
    handler.wfile.write(body)


def _basic_auth(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    return user, password


def twilio_settings(settings: Any, fake: FakeTwilioApi, public_url: str) -> Any:
    """``settings`` with the SMS channel on, sending from 1708 to ``fake``."""
    return settings.replace(
        twilio_account_sid=fake.account_sid,
        twilio_auth_token=fake.auth_token,
        twilio_from="1708",
        twilio_api_url=fake.url,
        public_url=public_url,
    )
