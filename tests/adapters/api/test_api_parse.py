"""One table over the JSON API's request bodies, run through the pure ``parse_*()``.

Each row names a fixture (the request a partner's app sends: its ``Idempotency-Key``
header and JSON body, one per condition), optionally a change to the body, and what must
come out: fields of the ``InboundMessage``, or each bad field with its error code. Bad input
is rows of the same table. The HTTP side (problem+json, 201/200/422, keys) is in
tests/gateway/test_api.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from adapter_tables import RECEIVED, assert_message, intake_rules, read_captured

from adapters import api
from normalizer.citizen_secret import hash_citizen_secret

FIXTURES = Path(__file__).parent / "fixtures"
TRACKED = "7K3MQX9A2B"
Change = Callable[[Any], Any]


def put(name: str, value: Any) -> Change:
    return lambda body: {**body, name: value}


def drop(name: str) -> Change:
    return lambda body: {k: v for k, v in body.items() if k != name}


@dataclass(frozen=True)
class Case:
    label: str
    fixture: str
    change: Change | None = None
    key: str | None = None  # replaces the fixture's Idempotency-Key
    partner: str | None = None
    message: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] | None = None  # field -> error code


COMPLAINTS = [
    Case(
        "complaint with place, category, name and phone",
        "complaint_basic",
        message={
            "channel": "api",
            "provider": "api",
            "external_id": "0b6f2c1e-5a0d-4d4e-9a57-3f2f7c9d1a11",
            "sender": "tel:+6281377788899",
            "sender_name": "Rahmat Gayo",
            "declared": {
                "privacy": "public",
                "kecamatan_code": "11.04.17",
                "desa_code": "11.04.17.2002",
                "category": "air",
            },
            "raw.idempotency_key": "0b6f2c1e-5a0d-4d4e-9a57-3f2f7c9d1a11",
        },
    ),
    Case(
        "English, anonymous, coordinates as JSON numbers",
        "complaint_english_coordinates",
        message={
            "latitude": 4.6243571,
            "longitude": 96.8456248,
            "declared": {"privacy": "anonymous", "language": "en"},
        },
    ),
    Case(
        "confidential with only a description",
        "complaint_confidential_minimal",
        message={"sender": "", "declared": {"privacy": "confidential"}},
    ),
    Case(
        "a partner's key is scoped to the partner",
        "complaint_confidential_minimal",
        partner="sp_3f9c2d41",
        message={
            "provider": "api:sp_3f9c2d41",
            "external_id": "sp_3f9c2d41/5f1d0c9e-8b7a-4c3d-a2e1-0f9e8d7c6b5a",
        },
    ),
    Case("a body that is not an object", "complaint_not_an_object", errors={"": "not_an_object"}),
    Case(
        "no description",
        "complaint_basic",
        change=drop("description"),
        errors={"description": "required"},
    ),
    Case(
        "a field the API does not have is refused",
        "complaint_basic",
        change=put("kecamtan", "11.04.17"),
        errors={"kecamtan": "unexpected"},
    ),
    Case(
        "coordinates as strings",
        "complaint_english_coordinates",
        change=put("latitude", "4.6243571"),
        errors={"latitude": "not_a_number"},
    ),
    Case(
        "coordinates outside the district",
        "complaint_english_coordinates",
        change=put("latitude", -6.2088),
        errors={"latitude": "outside_area"},
    ),
    Case(
        "a privacy value the API does not have",
        "complaint_basic",
        change=put("privacy", "rahasia"),
        errors={"privacy": "unknown"},
    ),
    Case(
        "a place code that is a number",
        "complaint_basic",
        change=put("kecamatan", 110417),
        errors={"kecamatan": "not_text"},
    ),
    Case(
        "desa outside its kecamatan",
        "complaint_basic",
        change=put("kecamatan", "11.04.03"),
        errors={"desa": "not_in_kecamatan"},
    ),
    Case(
        "an Idempotency-Key of the wrong shape",
        "complaint_basic",
        key="key with spaces",
        errors={"Idempotency-Key": "unknown"},
    ),
]

MESSAGES = [
    Case(
        "more information with the citizen secret",
        "message_follow_up",
        message={
            "external_id": f"msg/{TRACKED}/msg-2d7c41b84e0a7f3e",
            "declared": {"intent": "follow_up", "target_tracking_id": TRACKED},
            "raw.citizen_secret_hash": hash_citizen_secret("7K3M-QX9A-2BCD"),
            "raw.body": {"text": "Sudah ada petugas datang, tapi pipa belum diganti."},
        },
    ),
    Case(
        "not solved, secret in lower case, no text",
        "message_resolution_rejected",
        message={"text": "", "raw.resolution_answer": "rejected"},
    ),
    Case(
        "no secret",
        "message_follow_up",
        change=drop("citizen_secret"),
        errors={"citizen_secret": "required"},
    ),
    Case(
        "a secret of the wrong shape",
        "message_follow_up",
        change=put("citizen_secret", "1234"),
        errors={"citizen_secret": "malformed"},
    ),
    Case(
        "no text and no answer",
        "message_follow_up",
        change=drop("text"),
        errors={"text": "required"},
    ),
    Case(
        "an answer the API does not have",
        "message_resolution_rejected",
        change=put("resolution_answer", "maybe"),
        errors={"resolution_answer": "unknown", "text": "required"},
    ),
]


def _request(case: Case) -> tuple[Any, str]:
    captured = read_captured(FIXTURES / f"{case.fixture}.json.txt")
    body = captured.json()
    if case.change is not None:
        body = case.change(body)
    return body, case.key or captured.headers["Idempotency-Key"]


def _check(case: Case, parse: Callable[[Any, str], Any]) -> None:
    body, key = _request(case)
    if case.errors is not None:
        with pytest.raises(api.InvalidRequest) as raised:
            parse(body, key)
        assert {e.field: e.code for e in raised.value.errors} == case.errors
        return
    message = parse(body, key)
    assert_message(message, case.message)


@pytest.mark.parametrize("case", COMPLAINTS, ids=[c.label for c in COMPLAINTS])
def test_complaints(case: Case):
    rules = intake_rules()
    _check(
        case,
        lambda body, key: api.parse_complaint(
            body, key, rules, partner=case.partner, received_at=RECEIVED
        ),
    )


@pytest.mark.parametrize("case", MESSAGES, ids=[c.label for c in MESSAGES])
def test_citizen_messages(case: Case):
    rules = intake_rules()
    _check(
        case,
        lambda body, key: (
            api.parse_message(
                body, TRACKED, rules, idempotency_key=key, received_at=RECEIVED
            ).inbound
        ),
    )


def test_every_fixture_is_in_a_table():
    used = {c.fixture for c in [*COMPLAINTS, *MESSAGES]}
    assert used == {p.name.removesuffix(".json.txt") for p in FIXTURES.glob("*.json.txt")}
