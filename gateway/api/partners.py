"""Partners' endpoints, with ``Authorization: Bearer <key>``: the cases their unit owns.

``GET /cases``, ``GET /cases/<id>`` and ``POST /cases/<id>/actions``; a unit works its own
cases, the coordinator's key also triages.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import request

from adapters import api as api_adapter
from adapters.fields import EARLIEST_TIME, LATEST_TIME, FieldProblem, check_time
from casestore import api_keys
from casestore.db import Session
from casestore.lifecycle import Action, Status, TransitionError
from casestore.models import Complaint, StatusEvent
from casestore.public_api import unit_case, unit_cases
from dispatcher.casework import act_on_case, lifecycle_action
from gateway.api.blueprint import bp, iso, json_body, partner_of, tracking_id_of
from gateway.api.problems import Problem, field_problem, invalid
from gateway.context import runtime

MAX_PER_PAGE = 100
# The JSON API answers in English (lifecycle refusals are translated here, at the edge).
API_LANGUAGE = "en"
# What a partner's key may do: a unit works its own cases; the coordinator also triages.
# A unit's key may do what its admins may do in the console (issue 19): verify a case routed
# to it and take it on (dispatch to itself), start, resolve, bounce, reply.
UNIT_ACTIONS = frozenset(
    {Action.VERIFY, Action.DISPATCH, Action.START, Action.RESOLVE, Action.BOUNCE, Action.REPLY}
) | {Action.ASK_REPORTER, Action.RESUME}  # minta keterangan and its answer (issue 20)
COORDINATOR_ACTIONS = UNIT_ACTIONS | {Action.REJECT, Action.ARCHIVE}


def case_scope(partner: api_keys.Partner) -> str | None:
    """The unit whose cases this key reaches; None for the coordinator's (every case)."""
    return None if partner.unit_code == runtime().coordinator else partner.unit_code


def unit_partner() -> api_keys.Partner:
    partner = partner_of(required=True)
    assert partner is not None
    if partner.unit_code is None:
        raise Problem(403, "Forbidden", "This key may submit complaints but sees no cases.")
    return partner


def partner_case(complaint: Complaint, *, events: list[StatusEvent] | None = None) -> dict:
    """A case as the owning unit's system sees it: the complaint, never the citizen's contact."""
    body: dict[str, Any] = {
        "tracking_id": complaint.tracking_id,
        "status": complaint.status,
        "channel": complaint.channel,
        "privacy": complaint.privacy,
        "owner_unit": complaint.owner_unit,
        "category": complaint.category,
        "kecamatan_code": complaint.kecamatan_code,
        "desa_code": complaint.desa_code,
        "latitude": complaint.latitude,
        "longitude": complaint.longitude,
        "description": complaint.description,
        "language": complaint.language,
        "received_at": iso(complaint.received_at),
        "updated_at": iso(complaint.updated_at),
        "due_at": iso(complaint.due_at),
    }
    if events is not None:
        body["events"] = [
            {
                "at": iso(e.created_at),
                "kind": e.kind,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "to_unit": e.to_unit,
                "actor": e.actor,
                "reason": e.reason,
                "note": e.note,  # internal: the owning unit's own system reads it
                "message_to_reporter": e.message_to_reporter,
                "public": e.public,
            }
            for e in events
        ]
    return body


def _query_statuses() -> list[str] | None:
    given = _query_arg("status")
    if given is None:
        return None
    statuses = [s.strip() for s in given.split(",") if s.strip()]
    unknown = [s for s in statuses if s not in set(Status)]
    if not statuses or unknown:
        raise field_problem("status", "status must be a comma-separated list of statuses.")
    return statuses


def _query_arg(name: str) -> str | None:
    given = request.args.getlist(name)
    if len(given) > 1:
        raise field_problem(name, f"{name} was given more than once.")
    return given[0] if given else None


def _query_int(name: str, default: int, low: int, high: int) -> int:
    given = _query_arg(name)
    if given is None:
        return default
    # ASCII digits only: "²".isdigit() is true and int("²") fails.
    if not re.fullmatch(r"[0-9]{1,6}", given) or not low <= int(given) <= high:
        raise field_problem(name, f"{name} must be a whole number from {low} to {high}.")
    return int(given)


def _query_since() -> datetime | None:
    given = _query_arg("since")
    if given is None:
        return None
    try:
        return check_time("since", given)
    except FieldProblem as problem:
        if problem.code == "out_of_range":
            years = f"{EARLIEST_TIME.year} up to {LATEST_TIME.year - 1}"
            raise field_problem("since", f"since must be from {years}.") from None
        raise field_problem("since", "since must be an ISO 8601 time with a zone offset.") from None


@bp.get("/cases")
def list_cases():
    partner = unit_partner()
    statuses = _query_statuses()
    since = _query_since()
    page = _query_int("page", 1, 1, 100_000)
    per_page = _query_int("per_page", 50, 1, MAX_PER_PAGE)
    with runtime().sessions() as session:
        cases, total = unit_cases(
            session,
            case_scope(partner),
            statuses=statuses,
            since=since,
            offset=(page - 1) * per_page,
            limit=per_page,
        )
        items = [partner_case(c) for c in cases]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


@bp.get("/cases/<tracking_id>")
def get_case(tracking_id: str):
    partner = unit_partner()
    canonical = tracking_id_of(tracking_id)
    with runtime().sessions() as session:
        complaint = unit_case(session, case_scope(partner), canonical)
        if complaint is None:
            raise Problem(404, "Not Found", "Your unit owns no case with this tracking id.")
        return partner_case(complaint, events=list(complaint.events))


def _action_request(partner: api_keys.Partner, body: Any) -> dict[str, Any]:
    errors = []
    if not isinstance(body, dict):
        raise invalid(api_adapter.InvalidRequest([api_adapter.field_error("", "not_an_object")]))
    for name in sorted(set(body) - {"action", "note", "message_to_reporter", "reason", "unit"}):
        errors.append(api_adapter.field_error(name, "unexpected"))
    coordinator = partner.unit_code == runtime().coordinator
    allowed = COORDINATOR_ACTIONS if coordinator else UNIT_ACTIONS
    action = body.get("action")
    if action is None:
        errors.append(api_adapter.field_error("action", "required"))
    elif not isinstance(action, str):
        errors.append(api_adapter.field_error("action", "not_text"))
    elif action not in {a.value for a in allowed}:
        errors.append(api_adapter.field_error("action", "unknown"))
    for name, limit in (
        ("note", 5000),
        ("message_to_reporter", 5000),
        ("reason", 64),
        ("unit", 64),
    ):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            errors.append(api_adapter.field_error(name, "not_text"))
        elif isinstance(value, str) and len(value) > limit:
            errors.append(api_adapter.field_error(name, "too_long", limit))
    if errors:
        raise invalid(api_adapter.InvalidRequest(errors))
    if action == Action.DISPATCH and not coordinator:
        # Taking a case on, never handing it to another unit (as in the console).
        if body.get("unit") not in (None, partner.unit_code):
            raise Problem(403, "Forbidden", "A unit's key dispatches only to its own unit.")
        body = {**body, "unit": partner.unit_code}
    return body


@bp.post("/cases/<tracking_id>/actions")
def case_action(tracking_id: str):
    partner = unit_partner()
    canonical = tracking_id_of(tracking_id)
    body = _action_request(partner, json_body())
    rt = runtime()

    def find(session: Session) -> Complaint:
        complaint = unit_case(session, case_scope(partner), canonical)
        if complaint is None:
            raise Problem(404, "Not Found", "Your unit owns no case with this tracking id.")
        return complaint

    change = lifecycle_action(
        body["action"],
        rt,
        actor=f"api:{partner.name}"[:100],
        note=body.get("note") or "",
        message_to_reporter=body.get("message_to_reporter") or "",
        reason=body.get("reason"),
        unit=body.get("unit"),
    )
    try:
        # Replies stay queued when Redis is away: the outbox sweep sends them.
        acted = act_on_case(rt, find, change, show=_partner_view)
    except TransitionError as exc:
        # Partners' systems read English; the code lets them branch without reading words.
        detail = exc.message(API_LANGUAGE)
        raise Problem(409, "Conflict", detail, kind="transition-refused", code=exc.code) from exc
    return acted.shown


def _partner_view(session: Session, complaint: Complaint) -> dict:
    return partner_case(complaint, events=list(complaint.events))
