"""Federation over the JSON API: the status webhook our peers push to, and the origin a
peer's forward names.

``POST /api/v1/federation/status`` takes a signed push (adapters/federation/push.py) from a
SatuPintu peer we forwarded a case to: the body is read by the one JSON parser, the
signature checked against the unit's connector key, and the push queued for
``dispatcher.federation.pushes.receive``; nothing is written here. ``origin_of_request``
reads the ``SatuPintu-Origin-Case`` / ``SatuPintu-Callback`` headers a peer's forward carries,
and ``remember_origin`` keeps them once the case is accepted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from flask import request

from adapters.federation.push import (
    CALLBACK_HEADER,
    MAX_MESSAGE_CHARS,
    MAX_PUSH_BYTES,
    ORIGIN_CASE_HEADER,
    PEER_STATUSES,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BadPush,
    key_hash,
    read_push,
    verify,
)
from casestore import api_keys, forwards
from config.external_units import connector_key, key_variable
from dispatcher.federation.pushes import enqueue_receipt
from dispatcher.federation.remotes import unit_of_token
from gateway.api.blueprint import bp, json_body
from gateway.api.problems import Problem
from gateway.context import runtime

_CASE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
MAX_CALLBACK_CHARS = 500


def _refused(status: int, title: str, problem: BadPush) -> Problem:
    return Problem(
        status,
        title,
        f"{problem.field or 'body'} {problem.message}.",
        kind="invalid-request",
        errors=[{"field": problem.field, "code": problem.code, "message": problem.message}],
    )


@bp.post("/federation/status")
def federation_status():
    if (request.content_length or 0) > MAX_PUSH_BYTES:
        raise Problem(413, "Content Too Large", f"body is over {MAX_PUSH_BYTES} bytes.")
    request.max_content_length = MAX_PUSH_BYTES
    try:
        pushed = read_push(json_body())
    except BadPush as problem:
        raise _refused(422, "Unprocessable Content", problem) from None
    unit = unit_of_token(runtime().units, pushed.origin_case_id)
    key = connector_key(unit.code) if unit is not None else ""
    if unit is None or not key:
        missing = BadPush(
            "origin_case_id",
            "unknown",
            "names no case we forwarded to a SatuPintu peer"
            + (f" (set {key_variable(unit.code)})" if unit is not None else ""),
        )
        raise _refused(404, "Not Found", missing)
    try:
        verify(key_hash(key), request.headers, request.get_data(cache=True), time.time())
    except BadPush as problem:
        raise _refused(401, "Unauthorized", problem) from None
    try:
        enqueue_receipt(runtime().redis, unit.code, pushed)
    except redis.RedisError:
        raise Problem(
            503, "Service Unavailable", "Try again shortly.", headers={"Retry-After": "30"}
        ) from None
    return {"accepted": True, "event_id": pushed.event_id}, 202


@dataclass(frozen=True)
class Origin:
    case_id: str
    callback_url: str | None


def origin_of_request() -> Origin | None:
    """The origin a peer's forward names in its headers; BadPush naming a wrong header."""
    case_id = request.headers.get(ORIGIN_CASE_HEADER)
    callback = request.headers.get(CALLBACK_HEADER)
    if case_id is None:
        if callback is not None:
            raise BadPush(ORIGIN_CASE_HEADER, "required", f"is required with {CALLBACK_HEADER}")
        return None
    if not _CASE_ID.match(case_id):
        raise BadPush(ORIGIN_CASE_HEADER, "malformed", "must be 1-100 letters, digits or - _ . :")
    if callback is not None and (
        len(callback) > MAX_CALLBACK_CHARS or not re.match(r"^https?://[^\s/]+(/\S*)?$", callback)
    ):
        raise BadPush(
            CALLBACK_HEADER, "malformed", f"must be an http(s) URL of at most {MAX_CALLBACK_CHARS}"
        )
    return Origin(case_id, callback)


def remember_origin(
    partner: api_keys.Partner | None, origin: Origin | None, tracking_id: str, via: str
) -> None:
    """Keep where an accepted case came from, when a partner's forward said so."""
    if partner is None or origin is None:
        return
    with runtime().sessions.begin() as session:
        forwards.record_origin(
            session,
            tracking_id,
            peer=partner.name,
            api_key_id=partner.key_id,
            origin_case_id=origin.case_id,
            callback_url=origin.callback_url,
            via=via,
        )


# --- its part of the OpenAPI document (gateway/api/spec.py) ---------------------------------


def spec_schemas() -> dict[str, Any]:
    text = {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,100}$"}
    return {
        "FederationPush": {
            "type": "object",
            "required": ["origin_case_id", "remote_id", "event_id", "status"],
            "properties": {
                "origin_case_id": {**text, "description": "The token we forwarded under"},
                "remote_id": {**text, "description": "The peer's tracking id"},
                "event_id": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
                "status": {"type": "string", "enum": list(PEER_STATUSES)},
                "message": {"type": "string", "maxLength": MAX_MESSAGE_CHARS},
                "at": {"type": "string", "maxLength": 40},
            },
        },
        "FederationAccepted": {
            "type": "object",
            "required": ["accepted", "event_id"],
            "properties": {"accepted": {"type": "boolean"}, "event_id": {"type": "string"}},
        },
    }


def spec_paths(problem: Callable[[str], dict], answer: Callable[[str, str], dict]) -> dict:
    signed = [
        {
            "name": TIMESTAMP_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
            "description": "Unix time of signing; refused outside ±300 s.",
        },
        {
            "name": SIGNATURE_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string", "maxLength": 200},
            "description": "v1= + hex HMAC-SHA256 of '<timestamp>.' + body, keyed with the "
            "SHA-256 hex of the partner key the peer issued to us.",
        },
    ]
    return {
        "/federation/status": {
            "post": {
                "operationId": "pushFederationStatus",
                "summary": "A SatuPintu peer pushes a status change of a case we forwarded",
                "parameters": signed,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("FederationPush")}},
                },
                "responses": {
                    "202": answer(
                        "Verified and queued (a replay is accepted, and ignored)",
                        "FederationAccepted",
                    ),
                    "400": problem("Not JSON, a key given twice, or nested too deep"),
                    "401": problem("Signature or timestamp missing, wrong or too old"),
                    "404": problem("origin_case_id names no case forwarded to a peer"),
                    "413": problem("Body too large"),
                    "415": problem("Not application/json"),
                    "422": problem("Missing or malformed fields"),
                    "503": problem("Try again shortly"),
                },
            }
        }
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}
