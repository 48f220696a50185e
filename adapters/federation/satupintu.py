"""The SatuPintu connector: hand a case to another SatuPintu (a province, a city) and follow it.

The case is filed through the peer's JSON API (``POST /api/v1/complaints`` with our partner
key and our token as ``Idempotency-Key``, so a resend is the same case); the peer answers its
tracking id and a citizen secret. With that secret, ``GET /api/v1/complaints/<id>`` reads
the status and the peer's messages to the reporter (its resolution answer), exactly what
the citizen would see; nothing internal to the peer reaches us.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from adapters.federation.base import (
    CLOSED,
    IN_PROGRESS,
    OPEN,
    REJECTED,
    RESOLVED,
    Handover,
    RemoteCase,
    RemoteRefused,
    RemoteUnavailable,
    call,
    origin_headers,
)

NAME = "satupintu"
# A peer's statuses (casestore.vocabulary.Status values) in the words connectors share.
PEER_STATES = {
    "received": OPEN,
    "verified": OPEN,
    "dispatched": OPEN,
    "bounced": OPEN,
    "in_progress": IN_PROGRESS,
    "waiting_reporter": IN_PROGRESS,  # the peer asked its reporter; still being worked on
    "resolved": RESOLVED,
    "closed": CLOSED,
    "rejected": REJECTED,
    "archived": CLOSED,
    "duplicate": CLOSED,
    "withdrawn": CLOSED,
}


class SatuPintuConnector:
    """One peer SatuPintu, with the partner key it issued to us."""

    takes_information = True  # POST /api/v1/complaints/<id>/messages, as its citizen

    def __init__(self, endpoint: str, api_key: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.api_key = api_key

    def send(self, handover: Handover) -> RemoteCase:
        body: dict[str, Any] = {
            "description": handover.description,
            "privacy": "confidential" if handover.confidential else "public",
            "language": handover.language,
        }
        if handover.category:
            body["category"] = handover.category
        if handover.kecamatan_code:
            body["kecamatan"] = handover.kecamatan_code
        if handover.desa_code:
            body["desa"] = handover.desa_code
        if handover.latitude is not None and handover.longitude is not None:
            body["latitude"], body["longitude"] = handover.latitude, handover.longitude
        if handover.reporter_name:
            body["name"] = handover.reporter_name
        if handover.reporter_contact:
            body["contact"] = handover.reporter_contact
        status, answer = call(
            "POST",
            f"{self.endpoint}/api/v1/complaints",
            body=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.api_key}",
                "Idempotency-Key": handover.token,
                **origin_headers(handover),
            },
        )
        if status >= 400:
            raise RemoteRefused(f"HTTP {status}: {_problem(answer)}")
        if not isinstance(answer, dict) or not isinstance(answer.get("tracking_id"), str):
            raise RemoteUnavailable("the peer's answer has no tracking_id")
        secret = answer.get("citizen_secret")
        return RemoteCase(
            remote_id=answer["tracking_id"][:100],
            secret=secret if isinstance(secret, str) else None,
        )

    def fetch(self, remote: RemoteCase) -> RemoteCase:
        quoted = urllib.parse.quote(remote.remote_id or "", safe="")
        headers = {"Citizen-Secret": remote.secret} if remote.secret else {}
        status, answer = call("GET", f"{self.endpoint}/api/v1/complaints/{quoted}", headers=headers)
        if status == 404:
            return remote  # filed but not stored yet on the peer (its queue), or lost: reconcile
        if status >= 400 or not isinstance(answer, dict):
            raise RemoteRefused(f"HTTP {status}: {_problem(answer)}")
        state = PEER_STATES.get(str(answer.get("status")), OPEN)
        return RemoteCase(
            remote_id=remote.remote_id,
            token=remote.token,
            state=state,
            notes=_last_words(answer) if state in (RESOLVED, REJECTED, CLOSED) else "",
            secret=remote.secret,
        )

    def add_information(self, remote: RemoteCase, key: str, text: str) -> None:
        """The citizen's later words, as the reporter the peer knows us as; ``key`` makes a
        retry the same message."""
        if not remote.remote_id or not remote.secret:
            raise RemoteRefused("the peer gave no tracking id and citizen secret to write with")
        quoted = urllib.parse.quote(remote.remote_id, safe="")
        status, answer = call(
            "POST",
            f"{self.endpoint}/api/v1/complaints/{quoted}/messages",
            body=json.dumps({"citizen_secret": remote.secret, "text": text}).encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
        if status >= 400:
            raise RemoteRefused(f"HTTP {status}: {_problem(answer)}")

    def find(self, handover: Handover) -> RemoteCase | None:
        """The peer derives its tracking id from our token: resending with the same key
        finds the case it already has (or files it again if it lost it)."""
        return self.send(handover)


def _last_words(answer: dict[str, Any]) -> str:
    """The peer's last message to the reporter (its answer), if it sent one."""
    messages = answer.get("messages_to_reporter")
    if not isinstance(messages, list):
        return ""
    texts = [m.get("text") for m in messages if isinstance(m, dict)]
    texts = [t for t in texts if isinstance(t, str) and t.strip()]
    return texts[-1][:2000] if texts else ""


def _problem(answer: Any) -> str:
    if isinstance(answer, dict):
        return str(answer.get("detail") or answer.get("title") or "no detail")[:300]
    return "no detail"
