"""What every connector to an organization outside the district speaks in.

A connector hands one case over (``send``) and later reads where it stands (``fetch``);
``find`` looks a case up by the token we sent, for reconciling; ``add_information`` passes on
what the citizen adds later, where the remote has a way to take it. Two exist (``open311``,
``satupintu``); a connector to the national SP4N-LAPOR! integration API would be a third
class with the same three methods (docs/federation.md).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from adapters.base import PermanentSendError, TransientSendError

TIMEOUT_SECONDS = 15.0
MAX_ANSWER_BYTES = 1_000_000
USER_AGENT = "SatuPintu-federation/1"
# What a forward tells a SatuPintu peer: which case of ours it is, where to push its changes.
ORIGIN_CASE_HEADER = "SatuPintu-Origin-Case"
CALLBACK_HEADER = "SatuPintu-Callback"

# Where a remote case stands, in our words (dispatcher/federation maps them onto the lifecycle).
OPEN, IN_PROGRESS, RESOLVED, CLOSED, REJECTED = (
    "open",
    "in_progress",
    "resolved",
    "closed",
    "rejected",
)
REMOTE_STATES = (OPEN, IN_PROGRESS, RESOLVED, CLOSED, REJECTED)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A remote that redirects is misconfigured (or hostile): never follow it elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class RemoteUnavailable(TransientSendError):
    """The remote is down, slow or answered 5xx/429: try again later (rq's Retry)."""


class RemoteRefused(PermanentSendError):
    """The remote will not take this case (4xx): it goes back to our coordinator."""


@dataclass(frozen=True)
class Handover:
    """One case as it leaves the district: only what the citizen's privacy choice allows."""

    token: str  # the idempotency key: the same case to the same unit is the same request
    tracking_id: str
    description: str
    service_code: str | None = None
    category: str | None = None
    kecamatan_code: str | None = None
    desa_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    confidential: bool = False
    reporter_name: str = ""  # empty unless the citizen's choice allows sending it
    reporter_contact: str = ""
    language: str = "id"
    callback_url: str = ""  # where a SatuPintu peer pushes the case's status changes


@dataclass(frozen=True)
class RemoteCase:
    """What the remote says of a case: its ids, its state, and its words to the reporter."""

    remote_id: str | None
    state: str = OPEN
    token: str | None = None  # Open311 servers that queue answer a token first
    notes: str = ""
    secret: str | None = field(default=None, repr=False)  # a SatuPintu peer's citizen secret
    updated_at: datetime | None = None


class Connector(Protocol):
    # Whether the remote takes information the citizen adds after the handover.
    takes_information: bool

    def send(self, handover: Handover) -> RemoteCase: ...

    def add_information(self, remote: RemoteCase, key: str, text: str) -> None: ...

    def fetch(self, remote: RemoteCase) -> RemoteCase: ...

    def find(self, handover: Handover) -> RemoteCase | None: ...


def call(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    parse: Callable[[bytes], Any] = json.loads,
) -> tuple[int, Any]:
    """One HTTP call; (status, parsed JSON). 5xx, 429, timeouts and refused connections
    raise RemoteUnavailable; any other status comes back to the caller to judge."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise RemoteRefused(f"{_where(url)}: only http(s) endpoints are called")
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 (checked)
    request.add_header("User-Agent", USER_AGENT)
    request.add_header("Accept", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as answer:
            status, raw = answer.status, answer.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read(MAX_ANSWER_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise RemoteUnavailable(f"{method} {_where(url)}: {type(exc).__name__}") from exc
    if status >= 500 or status in (408, 429) or 300 <= status < 400:
        raise RemoteUnavailable(f"{method} {_where(url)}: HTTP {status}")
    if len(raw) > MAX_ANSWER_BYTES:
        raise RemoteUnavailable(f"{method} {_where(url)}: answer over {MAX_ANSWER_BYTES} bytes")
    try:
        return status, parse(raw) if raw else None
    except ValueError:
        if status >= 400:
            return status, None
        raise RemoteUnavailable(f"{method} {_where(url)}: HTTP {status} without JSON") from None


def origin_headers(handover: Handover) -> dict[str, str]:
    """What tells a SatuPintu on the other side which case of ours this is and where to push
    its status changes (adapters/federation/push.py); other servers ignore them."""
    if not handover.callback_url:
        return {}
    return {ORIGIN_CASE_HEADER: handover.token, CALLBACK_HEADER: handover.callback_url}


def _where(url: str) -> str:
    """The URL without its query (an Open311 api_key travels there)."""
    return url.split("?", 1)[0]
