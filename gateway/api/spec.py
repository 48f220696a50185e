"""The OpenAPI 3.1 document of ``/api/v1``, written by hand next to the code it describes.

Lists of codes (kecamatan, desa, categories, statuses) and the service area come from this
deployment's reference data, so the document is exact for the server that serves it.
tests/gateway/test_api_spec.py validates it, checks that every route is in it and every path
in it is a route, and runs schemathesis against it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from adapters.fields import place_key
from casestore.lifecycle import Action, Status
from gateway.api import federation
from gateway.submission import intake_rules

PROBLEM = "application/problem+json"
JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": _ref("Problem")}}}


def _json(description: str, schema: str, headers: dict | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": _ref(schema)}},
    }
    if headers:
        response["headers"] = headers
    return response


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


TOO_MANY = {
    "description": "Too many submissions from this client in the window.",
    "headers": {"Retry-After": {"schema": {"type": "string"}}},
    "content": {PROBLEM: {"schema": _ref("Problem")}},
}
UNAUTHORIZED = {
    "description": "No key, or an unknown, malformed or revoked key.",
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    "content": {PROBLEM: {"schema": _ref("Problem")}},
}


def _schemas() -> dict[str, Any]:
    rules = intake_rules()
    area = rules.area
    statuses = [s.value for s in Status]
    tracking_id = {"type": "string", "pattern": "^[0-9A-Z]{10}$", "examples": ["7Q2MX4KA9B"]}
    time = {"type": "string", "format": "date-time"}
    return {
        "NewComplaint": {
            "type": "object",
            "additionalProperties": False,
            "required": ["description"],
            "properties": {
                "description": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": rules.max_description_chars,
                    "description": "What the problem is, where and since when.",
                },
                "name": {"type": "string", "maxLength": 120},
                "contact": {
                    "type": "string",
                    "maxLength": 254,
                    "description": "A mobile number (08..., +62...) or an email address.",
                },
                "kecamatan": {
                    "type": "string",
                    "enum": sorted(rules.kecamatan) + sorted(_kecamatan_names(rules)),
                    "description": "A Kemendagri code from GET /places, or the kecamatan's "
                    "name (case forgiven) where no other kecamatan has it.",
                },
                "desa": {
                    "type": "string",
                    "enum": sorted(rules.desa),
                    "description": "Must lie in the kecamatan when both are given.",
                },
                "category": {
                    "type": "string",
                    "enum": sorted(rules.categories),
                    "description": "A code from GET /categories.",
                },
                "privacy": {
                    "type": "string",
                    "enum": ["public", "anonymous", "confidential"],
                    "default": "public",
                },
                "latitude": {"type": "number", "minimum": area.south, "maximum": area.north},
                "longitude": {"type": "number", "minimum": area.west, "maximum": area.east},
                "language": {"type": "string", "enum": ["id", "en"]},
            },
            "dependentRequired": {"latitude": ["longitude"], "longitude": ["latitude"]},
        },
        "Places": {
            "type": "object",
            "required": ["kecamatan"],
            "properties": {
                "kecamatan": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "name", "desa"],
                        "properties": {
                            "code": {"type": "string", "examples": ["11.04.17"]},
                            "name": {"type": "string", "examples": ["Lut Tawar"]},
                            "desa": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["code", "name"],
                                    "properties": {
                                        "code": {"type": "string"},
                                        "name": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                }
            },
        },
        "Categories": {
            "type": "object",
            "required": ["categories"],
            "properties": {
                "categories": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "name", "name_en"],
                        "properties": {
                            "code": {"type": "string", "examples": ["air"]},
                            "name": {"type": "string", "description": "Bahasa Indonesia"},
                            "name_en": {"type": "string", "description": "English"},
                        },
                    },
                }
            },
        },
        "Receipt": {
            "type": "object",
            "required": ["tracking_id", "tracking_id_display", "status_url", "tracking_url"],
            "properties": {
                "tracking_id": tracking_id,
                "tracking_id_display": {"type": "string", "examples": ["7Q2MX-4KA9B"]},
                "citizen_secret": {
                    "type": "string",
                    "pattern": "^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$",
                    "description": "Proves the citizen filed it; needed to add messages.",
                },
                "status_url": {"type": "string", "format": "uri"},
                "tracking_url": {"type": "string", "format": "uri"},
                "updates": {
                    "type": "string",
                    "enum": ["email", "sms_after_code", "tracking_page"],
                    "description": (
                        "Where updates reach the contact given: by email (an acknowledgement "
                        "is sent now), by SMS once the phone answers the code it is sent "
                        "(YA <code>), or only on the tracking page."
                    ),
                },
            },
        },
        "PublicStatus": {
            "type": "object",
            "required": ["tracking_id", "status", "unit", "received_at", "events"],
            "properties": {
                "tracking_id": tracking_id,
                "tracking_id_display": {"type": "string"},
                "status": {"type": "string", "enum": statuses},
                "status_label": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "en": {"type": "string"}},
                },
                "open": {"type": "boolean"},
                "unit": {
                    "type": "object",
                    "required": ["code", "name"],
                    "properties": {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "name_en": {"type": "string"},
                    },
                },
                "category": _nullable("string"),
                "kecamatan_code": _nullable("string"),
                "received_at": time,
                "events": {"type": "array", "items": _ref("PublicEvent")},
                "messages_to_reporter": {
                    "type": "array",
                    "items": _ref("ReporterMessage"),
                    "description": "Only with a matching Citizen-Secret header, and only for "
                    "web and API complaints: what operators wrote to the reporter.",
                },
            },
        },
        "PublicEvent": {
            "type": "object",
            "additionalProperties": False,
            "required": ["at", "kind"],
            "description": "A step of the case: no text (operators' notes are internal).",
            "properties": {
                "at": time,
                "kind": {"type": "string"},
                "status": _nullable("string", enum=[*statuses, None]),
            },
        },
        "ReporterMessage": {
            "type": "object",
            "required": ["at", "kind", "text"],
            "properties": {
                "at": time,
                "kind": {"type": "string"},
                "status": _nullable("string", enum=[*statuses, None]),
                "text": {"type": "string"},
            },
        },
        "NewMessage": {
            "type": "object",
            "additionalProperties": False,
            "required": ["citizen_secret"],
            "properties": {
                "citizen_secret": {"type": "string", "minLength": 1, "maxLength": 64},
                "text": {
                    "type": "string",
                    "maxLength": rules.max_description_chars,
                    "description": "Required unless resolution_answer is given.",
                },
                "resolution_answer": {
                    "type": "string",
                    "enum": ["accepted", "rejected"],
                    "description": "For a resolved complaint: solved (closes it) or not "
                    "(reopens it), within the answer window.",
                },
            },
        },
        "MessageAccepted": {
            "type": "object",
            "required": ["tracking_id", "accepted"],
            "properties": {"tracking_id": tracking_id, "accepted": {"type": "boolean"}},
        },
        "Case": {
            "type": "object",
            "required": ["tracking_id", "status", "owner_unit", "description", "received_at"],
            "properties": {
                "tracking_id": tracking_id,
                "status": {"type": "string", "enum": statuses},
                "channel": {"type": "string"},
                "privacy": {"type": "string"},
                "owner_unit": {"type": "string"},
                "category": _nullable("string"),
                "kecamatan_code": _nullable("string"),
                "desa_code": _nullable("string"),
                "latitude": _nullable("number"),
                "longitude": _nullable("number"),
                "description": {"type": "string"},
                "language": {"type": "string"},
                "received_at": time,
                "updated_at": _nullable("string", format="date-time"),
                "due_at": _nullable("string", format="date-time"),
                "events": {"type": "array", "items": _ref("CaseEvent")},
            },
        },
        "CaseEvent": {
            "type": "object",
            "properties": {
                "at": time,
                "kind": {"type": "string"},
                "from_status": _nullable("string"),
                "to_status": _nullable("string"),
                "to_unit": _nullable("string"),
                "actor": {"type": "string"},
                "reason": _nullable("string"),
                "note": {"type": "string", "description": "Internal; never sent or public."},
                "message_to_reporter": {
                    "type": "string",
                    "description": "What the citizen was sent (empty: nothing).",
                },
                "public": {"type": "boolean"},
            },
        },
        "CaseList": {
            "type": "object",
            "required": ["items", "page", "per_page", "total"],
            "properties": {
                "items": {"type": "array", "items": _ref("Case")},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "total": {"type": "integer", "minimum": 0},
            },
        },
        "CaseAction": {
            "type": "object",
            "additionalProperties": False,
            "required": ["action"],
            "properties": {
                "action": {
                    "type": "string",
                    "enum": [
                        a.value
                        for a in (
                            Action.START,
                            Action.RESOLVE,
                            Action.BOUNCE,
                            Action.REPLY,
                            Action.VERIFY,
                            Action.DISPATCH,
                            Action.REJECT,
                            Action.ARCHIVE,
                            Action.ASK_REPORTER,
                            Action.RESUME,
                        )
                    ],
                    "description": "A unit's key: what its admins may do in the console: "
                    "verify, dispatch (to its own unit only), start, resolve, bounce, reply, "
                    "ask_reporter (a question to the citizen, then the case waits for the "
                    "answer, its clocks paused), resume. "
                    "The coordinator's key reaches every case and may also reject, archive.",
                },
                "note": {
                    "type": "string",
                    "maxLength": 5000,
                    "description": "Internal note: never sent to the citizen, never public.",
                },
                "message_to_reporter": {
                    "type": "string",
                    "maxLength": 5000,
                    "description": "Sent to the citizen on their channel (required for reply, "
                    "ask_reporter and resolve; refused for bounce). No personal data: a web "
                    "citizen reads it on the tracking page with their secret code.",
                },
                "reason": {"type": "string", "maxLength": 64},
                "unit": {"type": "string", "maxLength": 64},
            },
        },
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "code": {
                    "type": "string",
                    "description": "Why the lifecycle refused (transition-refused only): one "
                    "code per reason, e.g. not_from_status, missing_field, unknown_unit; "
                    "detail says it in English.",
                },
                "errors": {"type": "array", "items": _ref("FieldError")},
            },
        },
        "FieldError": {
            "type": "object",
            "required": ["field", "code", "message"],
            "properties": {
                "field": {"type": "string"},
                "code": {"type": "string"},
                "message": {"type": "string"},
            },
        },
    }


def _kecamatan_names(rules) -> list[str]:
    """The names a kecamatan may be given by (those no other kecamatan shares)."""
    return [
        name
        for code, name in rules.kecamatan.items()
        if rules.kecamatan_names.get(place_key(name)) == code
    ]


def _reference_path(operation: str, summary: str, answer: str, schema: str) -> dict[str, Any]:
    """A public, cacheable list of reference data (GET /places, GET /categories)."""
    headers = {
        "Cache-Control": {"schema": {"type": "string"}, "description": "public, max-age=3600"},
        "ETag": {"schema": {"type": "string"}},
    }
    return {
        "get": {
            "operationId": operation,
            "summary": summary,
            "description": "Public (no key). Cacheable: Cache-Control and an ETag; "
            "If-None-Match answers 304.",
            "responses": {
                "200": _json(answer, schema, headers),
                "304": {"description": "Unchanged since the ETag given"},
            },
        }
    }


def _paths() -> dict[str, Any]:
    tracking = {
        "name": "tracking_id",
        "in": "path",
        "required": True,
        "description": "As printed (ABCDE-12345) or typed: case, dashes, O/0 and I/1 forgiven.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    }
    idempotency = {
        "name": "Idempotency-Key",
        "in": "header",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
        "description": "The same key repeats the same request (a UUID works).",
    }
    partner = [{"partnerKey": []}]
    return {
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {
                    "200": {"description": "The OpenAPI document", "content": {JSON: {}}}
                },
            }
        },
        "/complaints": {
            "post": {
                "operationId": "createComplaint",
                "summary": "File a complaint",
                "description": "A repeat with the same Idempotency-Key and body answers 200 "
                "with the same tracking id and secret; another body with that key is 422.",
                "security": [{}, {"partnerKey": []}],
                "parameters": [{**idempotency, "required": True}],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": _ref("NewComplaint")}},
                },
                "responses": {
                    "201": _json(
                        "Accepted and queued",
                        "Receipt",
                        {"Location": {"schema": {"type": "string"}}},
                    ),
                    "200": _json(
                        "A repeat of an earlier request",
                        "Receipt",
                        {"Location": {"schema": {"type": "string"}}},
                    ),
                    "400": _problem(
                        "Missing or malformed Idempotency-Key, not JSON, or nested too deep"
                    ),
                    "401": UNAUTHORIZED,
                    "413": _problem("Body too large"),
                    "415": _problem("Not application/json"),
                    "422": _problem("Invalid fields, or the key was used with another body"),
                    "429": TOO_MANY,
                },
            }
        },
        "/places": _reference_path(
            "listPlaces",
            "Kecamatan and their desa: the codes the API takes, and names",
            "Every kecamatan with its desa",
            "Places",
        ),
        "/categories": _reference_path(
            "listCategories",
            "Complaint categories: codes, Indonesian and English names",
            "Every category",
            "Categories",
        ),
        "/complaints/{tracking_id}": {
            "parameters": [tracking],
            "get": {
                "operationId": "getComplaintStatus",
                "summary": "Public status of a complaint (no personal data, no operator text)",
                "parameters": [
                    {
                        "name": "Citizen-Secret",
                        "in": "header",
                        "schema": {"type": "string", "maxLength": 64},
                        "description": "The citizen secret: adds messages_to_reporter.",
                    }
                ],
                "responses": {
                    "200": _json("The status and public timeline", "PublicStatus"),
                    "403": _problem("The citizen secret does not match"),
                    "404": _problem("Unknown tracking id (or not stored yet)"),
                    "429": TOO_MANY,
                },
            },
        },
        "/complaints/{tracking_id}/messages": {
            "parameters": [tracking],
            "post": {
                "operationId": "addComplaintMessage",
                "summary": "Add information, or answer a resolution, as the citizen",
                "parameters": [idempotency],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": _ref("NewMessage")}},
                },
                "responses": {
                    "202": _json("Queued for the case", "MessageAccepted"),
                    "400": _problem("Malformed Idempotency-Key, not JSON, or nested too deep"),
                    "403": _problem("The citizen secret does not match"),
                    "404": _problem("Unknown tracking id"),
                    "409": _problem("The complaint is closed, or is not awaiting an answer"),
                    "413": _problem("Body too large"),
                    "415": _problem("Not application/json"),
                    "422": _problem("Invalid fields, or the key was used with another body"),
                    "429": TOO_MANY,
                },
            },
        },
        "/cases": {
            "get": {
                "operationId": "listCases",
                "summary": "The cases the key's unit owns (every case for the coordinator's key), "
                "most recently changed first",
                "security": partner,
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "description": "Comma-separated statuses.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "since",
                        "in": "query",
                        "description": "Changed at or after this time (ISO 8601 with zone).",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "page",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100000},
                    },
                    {
                        "name": "per_page",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    },
                ],
                "responses": {
                    "200": _json("A page of cases", "CaseList"),
                    "400": _problem("A malformed filter"),
                    "401": UNAUTHORIZED,
                    "403": _problem("The key has no unit"),
                },
            }
        },
        "/cases/{tracking_id}": {
            "parameters": [tracking],
            "get": {
                "operationId": "getCase",
                "summary": "One case of the key's unit, with its events",
                "security": partner,
                "responses": {
                    "200": _json("The case", "Case"),
                    "401": UNAUTHORIZED,
                    "403": _problem("The key has no unit"),
                    "404": _problem("The unit owns no such case"),
                },
            },
        },
        "/cases/{tracking_id}/actions": {
            "parameters": [tracking],
            "post": {
                "operationId": "actOnCase",
                "summary": "Move a case along its lifecycle (start, resolve, bounce, reply...)",
                "security": partner,
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": _ref("CaseAction")}},
                },
                "responses": {
                    "200": _json("The case after the action", "Case"),
                    "400": _problem("Not JSON, or nested too deep"),
                    "401": UNAUTHORIZED,
                    "403": _problem("The key has no unit"),
                    "404": _problem("The unit owns no such case"),
                    "409": _problem("The lifecycle does not allow this action now"),
                    "413": _problem("Body too large"),
                    "415": _problem("Not application/json"),
                    "422": _problem("Invalid fields"),
                },
            },
        },
    }


def spec() -> dict[str, Any]:
    """The document, built per request from this deployment's reference data (it is small)."""
    cached = current_app.extensions.get("satupintu.openapi")
    if cached is None:
        cached = {
            "openapi": "3.1.0",
            "info": {
                "title": "SatuPintu API",
                "version": "1.0.0",
                "description": "Public-service complaints for a mobile app and partner "
                "systems. Errors are application/problem+json (RFC 9457) with an errors "
                "list naming each bad field.",
            },
            "servers": [{"url": "/api/v1"}],
            "paths": _paths() | federation.spec_paths(_problem, _json),
            "components": {
                "schemas": _schemas() | federation.spec_schemas(),
                "securitySchemes": {
                    "partnerKey": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A key from `satupintu apikey create NAME --unit UNIT`.",
                    }
                },
            },
        }
        current_app.extensions["satupintu.openapi"] = cached
    return cached
