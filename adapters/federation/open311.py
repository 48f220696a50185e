"""The Open311 connector: hand a case to any GeoReport v2 server and read its status.

``POST {endpoint}/requests.json`` (form-encoded, ``api_key``) answers a
``service_request_id`` or, on servers that queue, a ``token`` resolved later through
``GET tokens/<token>.json``; ``GET requests/<id>.json`` gives the status (``open`` or
``closed``) and its ``status_notes``. GeoReport v2 has no idempotency key of its own: we
send ours as the ``Idempotency-Key`` header (SatuPintu's Open311 honours it) and as
``attribute[satupintu_token]``, and never send the same case twice once an id or token is
known. Examples of the spec's answers are in tests/adapters/federation/fixtures/.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from adapters.federation.base import (
    CLOSED,
    OPEN,
    RESOLVED,
    Handover,
    RemoteCase,
    RemoteRefused,
    RemoteUnavailable,
    call,
    origin_headers,
)

NAME = "open311"
# Spec examples (and some servers) write ids as bare numbers with leading zeros ("006"),
# which JSON does not allow: read them as strings rather than failing the whole answer.
_LEADING_ZERO = re.compile(r"(:\s*)(0\d+)(\s*[,}\]])")


class Open311Connector:
    """One GeoReport v2 server, with the api_key the remote gave us."""

    # GeoReport v2 has no call to add information to a request: it stays with us.
    takes_information = False

    def __init__(self, endpoint: str, api_key: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.api_key = api_key

    def send(self, handover: Handover) -> RemoteCase:
        form: dict[str, str] = {
            "api_key": self.api_key,
            "description": handover.description,
            "attribute[satupintu_token]": handover.token,
        }
        if handover.service_code:
            form["service_code"] = handover.service_code
        if handover.latitude is not None and handover.longitude is not None:
            form["lat"], form["long"] = str(handover.latitude), str(handover.longitude)
        if handover.desa_code or handover.kecamatan_code:
            form["address_id"] = handover.desa_code or handover.kecamatan_code or ""
        if handover.reporter_name:
            form["first_name"] = handover.reporter_name
        if "@" in handover.reporter_contact:
            form["email"] = handover.reporter_contact
        elif handover.reporter_contact:
            form["phone"] = handover.reporter_contact
        status, answer = call(
            "POST",
            f"{self.endpoint}/requests.json",
            body=urllib.parse.urlencode(form).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Idempotency-Key": handover.token,
                **origin_headers(handover),
            },
            parse=parse_answer,
        )
        first = _first(status, answer, "create_request")
        remote_id, token = _text(first.get("service_request_id")), _text(first.get("token"))
        if remote_id is None and token is None:
            raise RemoteUnavailable("create_request answered neither an id nor a token")
        return RemoteCase(remote_id=remote_id, token=token, notes="")

    def fetch(self, remote: RemoteCase) -> RemoteCase:
        if remote.remote_id is None:
            found = self._from_token(remote.token)
            if found is None:
                return remote  # still queued on the remote side
            remote = found
        quoted = urllib.parse.quote(remote.remote_id or "", safe="")
        status, answer = call(
            "GET", f"{self.endpoint}/requests/{quoted}.json{self._key()}", parse=parse_answer
        )
        first = _first(status, answer, "get_service_request")
        state = CLOSED if str(first.get("status", "")).lower() == "closed" else OPEN
        notes = _text(first.get("status_notes")) or ""
        # GeoReport v2 knows open and closed only; closed with notes is the remote's answer.
        return RemoteCase(
            remote_id=remote.remote_id,
            token=remote.token,
            state=RESOLVED if state == CLOSED else OPEN,
            notes=notes,
        )

    def add_information(self, remote: RemoteCase, key: str, text: str) -> None:
        raise RemoteRefused("GeoReport v2 has no call to add information to a request")

    def find(self, handover: Handover) -> RemoteCase | None:
        """Open311 cannot search by our token; a known token is the only way back."""
        return None

    def _from_token(self, token: str | None) -> RemoteCase | None:
        if not token:
            return None
        quoted = urllib.parse.quote(token, safe="")
        status, answer = call(
            "GET", f"{self.endpoint}/tokens/{quoted}.json{self._key()}", parse=parse_answer
        )
        if status == 404:
            return None
        first = _first(status, answer, "get_service_request_id_from_token")
        remote_id = _text(first.get("service_request_id"))
        return None if remote_id is None else RemoteCase(remote_id=remote_id, token=token)

    def _key(self) -> str:
        return "?" + urllib.parse.urlencode({"api_key": self.api_key}) if self.api_key else ""


def parse_answer(raw: bytes | str) -> Any:
    """A GeoReport answer's JSON, tolerating the spec's own leading-zero numbers."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(_LEADING_ZERO.sub(r'\1"\2"\3', text))


def _first(status: int, answer: Any, what: str) -> dict[str, Any]:
    """The first element of a GeoReport list answer; 4xx refuses with the remote's words."""
    if status >= 400:
        raise RemoteRefused(f"{what}: HTTP {status}: {_errors(answer)}")
    if isinstance(answer, dict):
        answer = [answer]
    if not isinstance(answer, list) or not answer or not isinstance(answer[0], dict):
        raise RemoteUnavailable(f"{what}: the answer is not a GeoReport list")
    return answer[0]


def _errors(answer: Any) -> str:
    if isinstance(answer, list):
        words = [str(e.get("description", "")) for e in answer if isinstance(e, dict)]
        return "; ".join(w for w in words if w)[:300] or "no description"
    return "no description"


def _text(value: Any) -> str | None:
    """An id as text (servers send numbers or strings); None for none."""
    if value is None or value == "":
        return None
    return str(value)[:100]
