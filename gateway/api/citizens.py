"""Citizens' endpoints: submit a complaint, read its public status, add a message.

``POST /complaints`` (Idempotency-Key required), ``GET /complaints/<id>`` (public status; with
a ``Citizen-Secret`` header also the messages to the reporter), ``POST /complaints/<id>/messages``
(a follow-up, proved by the citizen secret).
"""

from __future__ import annotations

from typing import Any

from flask import Response, json, request

from adapters import api as api_adapter
from adapters.federation.push import BadPush
from adapters.fields import fingerprint
from casestore.lifecycle import OPEN_STATUSES, Status
from casestore.public_api import citizen_proof
from casestore.queries import PublicCase, public_case, reporter_messages
from gateway.api import federation
from gateway.api.blueprint import (
    absolute,
    bp,
    idempotency_key,
    iso,
    json_body,
    partner_of,
    tracking_id_of,
)
from gateway.api.problems import Problem, field_problem, invalid, key_reused, too_many
from gateway.context import runtime
from gateway.submission import (
    accept,
    count_secret_failure,
    intake_rules,
    over_limit,
    same_body_as_before,
    secret_guessing_wait,
)
from normalizer.citizen_secret import hash_citizen_secret, secret_hash_matches
from normalizer.replies import render_reply
from normalizer.tracking import format_tracking_id


def _labels(status: str) -> dict[str, str]:
    book = runtime().replies
    labels = {}
    for language in ("id", "en"):
        try:
            labels[language] = render_reply(book, f"status.{status}", language)
        except KeyError:
            labels[language] = status
    return labels


def public_status(case: PublicCase) -> dict[str, Any]:
    """What the tracking page shows, as JSON: status, unit, dates and category; no names,
    contacts, message bodies or operators' words."""
    return {
        "tracking_id": case.tracking_id,
        "tracking_id_display": format_tracking_id(case.tracking_id),
        "status": case.status,
        "status_label": _labels(case.status),
        "open": case.status in OPEN_STATUSES,
        "unit": {"code": case.unit_code, "name": case.unit_name, "name_en": case.unit_name_en},
        "category": case.category,
        "kecamatan_code": case.kecamatan_code,
        "received_at": iso(case.received_at),
        "events": [{"at": iso(e.at), "kind": e.kind, "status": e.status} for e in case.events],
    }


def _receipt(tracking_id: str, secret: str | None, updates: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {
        "tracking_id": tracking_id,
        "tracking_id_display": format_tracking_id(tracking_id),
        "status_url": absolute(f"/api/v1/complaints/{tracking_id}"),
        "tracking_url": absolute(f"/track/{tracking_id}"),
    }
    if secret is not None:
        body["citizen_secret"] = secret
    if updates:  # where the typed contact will hear of the case (issue 18)
        body["updates"] = updates
    return body


@bp.post("/complaints")
def create_complaint():
    partner = partner_of(required=False)
    key = idempotency_key(required=True)
    assert key is not None
    body = json_body()
    prefix = partner.prefix if partner else None
    try:
        inbound = api_adapter.parse_complaint(body, key, intake_rules(), partner=prefix)
    except api_adapter.InvalidRequest as exc:
        raise invalid(exc) from exc
    try:
        origin = federation.origin_of_request()  # a peer's forward (issue 21)
    except BadPush as exc:
        raise field_problem(exc.field, str(exc)) from None
    if not same_body_as_before(inbound, fingerprint(body)):
        raise key_reused()
    refusal = over_limit(inbound, partner=prefix)
    if refusal is not None:
        raise too_many(refusal.retry_after)
    accepted = accept(inbound)
    federation.remember_origin(partner, origin, accepted.tracking_id, "api")
    status = 200 if accepted.repeated else 201
    response = Response(
        json.dumps(_receipt(accepted.tracking_id, accepted.citizen_secret, accepted.updates)),
        status=status,
        mimetype="application/json",
    )
    response.headers["Location"] = f"/api/v1/complaints/{accepted.tracking_id}"
    return response


@bp.get("/complaints/<tracking_id>")
def complaint_status(tracking_id: str):
    canonical = tracking_id_of(tracking_id)
    presented = request.headers.get("Citizen-Secret")
    with runtime().sessions() as session:
        case = public_case(session, canonical)
        if case is None:
            raise Problem(
                404, "Not Found", "No complaint has this tracking id (a new one may take a moment)."
            )
        if presented is None:
            return public_status(case)
        wait = secret_guessing_wait(canonical)
        if wait:
            raise too_many(wait, "Too many wrong citizen secrets for this complaint.")
        proof = citizen_proof(session, canonical)
        if proof is None or not secret_hash_matches(
            hash_citizen_secret(presented), proof.secret_hash
        ):
            count_secret_failure(canonical)
            raise Problem(403, "Forbidden", "The citizen secret does not match this complaint.")
        messages = reporter_messages(session, canonical)
    body = public_status(case)
    body["messages_to_reporter"] = [
        {"at": iso(m.at), "kind": m.kind, "status": m.status, "text": m.text} for m in messages
    ]
    return body


@bp.post("/complaints/<tracking_id>/messages")
def add_message(tracking_id: str):
    canonical = tracking_id_of(tracking_id)
    key = idempotency_key(required=False)
    body = json_body()
    try:
        message = api_adapter.parse_message(body, canonical, intake_rules(), idempotency_key=key)
    except api_adapter.InvalidRequest as exc:
        raise invalid(exc) from exc
    wait = secret_guessing_wait(canonical)
    if wait:
        raise too_many(wait, "Too many wrong citizen secrets for this complaint.")
    with runtime().sessions() as session:
        proof = citizen_proof(session, canonical)
    if proof is None:
        raise Problem(404, "Not Found", "No complaint has this tracking id.")
    if not secret_hash_matches(message.secret_hash, proof.secret_hash):
        count_secret_failure(canonical)
        raise Problem(403, "Forbidden", "The citizen secret does not match this complaint.")
    if proof.status not in OPEN_STATUSES:
        raise Problem(409, "Conflict", "This complaint is closed; it takes no more messages.")
    answer = body.get("resolution_answer")
    if answer is not None and proof.status != Status.RESOLVED:
        raise Problem(
            409, "Conflict", "Only a resolved complaint can be answered as resolved or not."
        )
    if key is not None and not same_body_as_before(message.inbound, fingerprint(body)):
        raise key_reused()
    refusal = over_limit(message.inbound)
    if refusal is not None:
        raise too_many(refusal.retry_after)
    accept(message.inbound)
    return {"tracking_id": canonical, "accepted": True}, 202
