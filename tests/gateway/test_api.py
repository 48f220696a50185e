"""The JSON API /api/v1 for the app: complaints, public status, follow-ups; problem+json errors."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select
from web_samples import resolve_case

from casestore.models import Complaint, Message
from dispatcher.inbox import waiting_records
from normalizer.citizen_secret import hash_citizen_secret

KEY = "0b6f2c1e-5a0d-4d4e-9a57-3f2f7c9d1a11"
BODY = {
    "description": "Air PDAM tidak mengalir tiga hari di Kampung Bale.",
    "name": "Siti Aminah",
    "contact": "0812 3456 7890",
    "kecamatan": "11.04.17",
    "desa": "11.04.17.2001",
    "category": "air",
    "privacy": "public",
    "latitude": 4.6226,
    "longitude": 96.8485,
    "language": "id",
}


def create(client, body=None, key: str | None = KEY, **headers):
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/complaints", json=BODY if body is None else body, headers=headers)


def problem(response) -> dict:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    body = response.get_json(force=True)
    assert body["status"] == response.status_code
    assert body["title"] and body["type"]
    return body


def fields_of(response) -> set[str]:
    return {e["field"] for e in problem(response).get("errors", [])}


def test_a_complaint_is_accepted_with_its_tracking_id_and_secret(client, runtime, work):
    response = create(client)
    assert response.status_code == 201
    body = response.get_json()
    assert re.fullmatch(r"[0-9A-Z]{10}", body["tracking_id"])
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", body["citizen_secret"])
    assert body["status_url"].endswith(f"/api/v1/complaints/{body['tracking_id']}")
    assert response.headers["Location"] == f"/api/v1/complaints/{body['tracking_id']}"
    work()
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint)).one()
        assert case.tracking_id == body["tracking_id"]
        assert case.channel == "api"
        assert (case.category, case.desa_code, case.latitude) == ("air", "11.04.17.2001", 4.6226)
        # What the citizen typed is where updates may go, not a contact (issue 13).
        assert case.contact is None and case.update_address == "tel:+6281234567890"
        assert case.citizen_secret_hash == hash_citizen_secret(body["citizen_secret"])


def test_a_repeat_returns_the_same_answer_and_makes_no_second_case(client, runtime, work):
    first = create(client)
    # Same document, other key order: the same request.
    again = create(client, dict(reversed(list(BODY.items()))))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    work()
    assert create(client).get_json() == first.get_json()
    with runtime.sessions() as session:
        assert len(session.scalars(select(Complaint)).all()) == 1


def test_a_key_reused_with_another_body_is_422(client, runtime):
    assert create(client).status_code == 201
    response = create(client, {**BODY, "description": "Lain sama sekali."})
    assert response.status_code == 422
    assert problem(response)["type"].endswith("idempotency-key-reused")
    assert len(waiting_records(runtime.redis)) == 1


def test_status_is_public_without_personal_data(client, runtime, work):
    tracking_id = create(client).get_json()["tracking_id"]
    work()
    for form in (tracking_id, f"{tracking_id[:5]}-{tracking_id[5:]}".lower()):
        response = client.get(f"/api/v1/complaints/{form}")
        assert response.status_code == 200
        body = response.get_json()
        assert body["tracking_id"] == tracking_id
        assert body["status"] == "received"
        assert body["status_label"] == {"id": "Belum Terverifikasi", "en": "Received"}
        assert body["unit"]["code"]
        assert [e["status"] for e in body["events"]] == ["received"]
        text = json.dumps(body)
        for private in ("Siti", "3456", "PDAM", "4.6226", "citizen_secret"):
            assert private not in text


def test_status_of_a_confidential_complaint_shows_no_place(client, runtime, work):
    tracking_id = create(client, {**BODY, "privacy": "confidential"}).get_json()["tracking_id"]
    work()
    body = client.get(f"/api/v1/complaints/{tracking_id}").get_json()
    assert body["category"] is None and body["kecamatan_code"] is None


@pytest.mark.parametrize("tracking_id", ["ABCDE12345", "nope", "%3Cscript%3E", "A" * 300])
def test_unknown_tracking_ids_are_404_problems(client, tracking_id):
    response = client.get(f"/api/v1/complaints/{tracking_id}")
    assert response.status_code == 404
    problem(response)


@pytest.mark.parametrize(
    ("label", "body", "fields"),
    [
        ("missing description", {"name": "x"}, {"description"}),
        ("blank description", {"description": " \u200b "}, {"description"}),
        ("description too long", {"description": "a" * 5001}, {"description"}),
        ("description not text", {"description": ["a"]}, {"description"}),
        ("unknown field", {"description": "x", "descripton": "typo"}, {"descripton"}),
        ("unknown kecamatan", {"description": "x", "kecamatan": "99.99"}, {"kecamatan"}),
        ("kecamatan not text", {"description": "x", "kecamatan": 1104}, {"kecamatan"}),
        (
            "desa of another kecamatan",
            {"description": "x", "kecamatan": "11.04.01", "desa": "11.04.17.2001"},
            {"desa"},
        ),
        ("unknown category", {"description": "x", "category": "politik"}, {"category"}),
        ("bad privacy", {"description": "x", "privacy": "rahasia"}, {"privacy"}),
        ("bad language", {"description": "x", "language": "fr"}, {"language"}),
        ("latitude alone", {"description": "x", "latitude": 4.6}, {"longitude"}),
        (
            "latitude as text",
            {"description": "x", "latitude": "4.6", "longitude": 96.8},
            {"latitude"},
        ),
        (
            "latitude as bool",
            {"description": "x", "latitude": True, "longitude": 96.8},
            {"latitude"},
        ),
        (
            "outside the district",
            {"description": "x", "latitude": -6.2, "longitude": 106.8},
            {"latitude"},
        ),
        ("out of range", {"description": "x", "latitude": 4.6, "longitude": 500}, {"longitude"}),
        ("bad contact", {"description": "x", "contact": "not a number"}, {"contact"}),
        ("name too long", {"description": "x", "name": "n" * 121}, {"name"}),
        (
            "many at once",
            {"privacy": 1, "category": None, "name": 5},
            {"description", "privacy", "name"},
        ),
    ],
)
def test_bad_fields_are_422_with_field_detail(client, runtime, label, body, fields):
    response = create(client, body)
    assert response.status_code == 422, label
    assert fields_of(response) == fields, label
    assert len(waiting_records(runtime.redis)) == 0


@pytest.mark.parametrize(
    ("label", "kwargs", "status"),
    [
        ("no Idempotency-Key", {"key": None}, 400),
        ("short key", {"key": "abc"}, 400),
        ("hostile key", {"key": "../../etc/passwd-0000000000"}, 400),
        ("key too long", {"key": "k" * 65}, 400),
    ],
)
def test_the_idempotency_key_is_required_and_checked(client, runtime, label, kwargs, status):
    response = create(client, **kwargs)
    assert response.status_code == status, label
    assert fields_of(response) == {"Idempotency-Key"}


def test_bodies_that_are_not_json_objects(client, runtime):
    headers = {"Idempotency-Key": KEY}
    as_form = client.post("/api/v1/complaints", data={"description": "x"}, headers=headers)
    assert as_form.status_code == 415
    broken = client.post(
        "/api/v1/complaints", data="{nope", content_type="application/json", headers=headers
    )
    assert broken.status_code == 400
    array = client.post("/api/v1/complaints", json=[BODY], headers=headers)
    assert array.status_code == 422
    huge = client.post(
        "/api/v1/complaints",
        data=json.dumps({"description": "a" * 2_000_000}),
        content_type="application/json",
        headers=headers,
    )
    assert huge.status_code == 413
    problem(huge)
    assert len(waiting_records(runtime.redis)) == 0


def test_routing_errors_are_problems_too(client):
    assert client.get("/api/v1/nothing-here").status_code == 404
    problem(client.get("/api/v1/nothing-here"))
    wrong_method = client.delete("/api/v1/complaints")
    assert wrong_method.status_code == 405
    assert "POST" in wrong_method.headers["Allow"]
    problem(wrong_method)


def test_the_rate_limit_does_not_count_repeats(client, runtime):
    runtime.settings = runtime.settings.replace(submit_rate_limit=1)
    assert create(client).status_code == 201
    assert create(client).status_code == 200
    second = create(client, key="0b6f2c1e-5a0d-4d4e-9a57-3f2f7c9d1a12")
    assert second.status_code == 429
    assert second.headers["Retry-After"]
    problem(second)


# --- follow-ups ----------------------------------------------------------------------------


def message(client, tracking_id, body, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/complaints/{tracking_id}/messages", json=body, headers=headers)


def filed(client, work) -> tuple[str, str]:
    body = create(client).get_json()
    work()
    return body["tracking_id"], body["citizen_secret"]


def test_the_citizen_adds_a_message_with_the_secret(client, runtime, work):
    tracking_id, secret = filed(client, work)
    response = message(client, tracking_id, {"citizen_secret": secret, "text": "Sudah 4 hari."})
    assert response.status_code == 202
    assert response.get_json() == {"tracking_id": tracking_id, "accepted": True}
    work()
    with runtime.sessions() as session:
        follow_up = session.scalars(select(Message).where(Message.intent == "follow_up")).one()
        assert follow_up.complaint.tracking_id == tracking_id
        assert secret not in json.dumps(follow_up.raw)
        assert follow_up.raw["citizen_secret_hash"] == hash_citizen_secret(secret)


def test_a_repeated_message_with_its_key_is_stored_once(client, runtime, work):
    tracking_id, secret = filed(client, work)
    body = {"citizen_secret": secret, "text": "Sudah 4 hari."}
    for _ in range(2):
        assert message(client, tracking_id, body, key="msg-key-0000000000001").status_code == 202
    work()
    with runtime.sessions() as session:
        assert len(session.scalars(select(Message).where(Message.intent == "follow_up")).all()) == 1


@pytest.mark.parametrize(
    ("label", "body", "status"),
    [
        ("wrong secret", {"citizen_secret": "ABCD-EFGH-1234", "text": "x"}, 403),
        ("no secret", {"text": "x"}, 422),
        ("secret not text", {"citizen_secret": 123, "text": "x"}, 422),
        ("malformed secret", {"citizen_secret": "' OR 1=1", "text": "x"}, 422),
        ("no text", {"citizen_secret": "SECRET"}, 422),
        ("text too long", {"citizen_secret": "SECRET", "text": "x" * 5001}, 422),
        ("extra field", {"citizen_secret": "SECRET", "text": "x", "status": "closed"}, 422),
        ("answer while open", {"citizen_secret": "SECRET", "resolution_answer": "accepted"}, 409),
        ("bad answer", {"citizen_secret": "SECRET", "resolution_answer": "maybe"}, 422),
    ],
)
def test_bad_messages_are_refused(client, runtime, work, label, body, status):
    tracking_id, secret = filed(client, work)
    body = {k: (secret if v == "SECRET" else v) for k, v in body.items()}
    response = message(client, tracking_id, body)
    assert response.status_code == status, label
    problem(response)
    assert len(waiting_records(runtime.redis)) == 0


def test_a_message_to_an_unknown_complaint_is_404(client, runtime):
    response = message(client, "ABCDE12345", {"citizen_secret": "ABCD-EFGH-1234", "text": "x"})
    assert response.status_code == 404


def test_the_citizen_rejects_a_resolution_through_the_api(client, runtime, work):
    tracking_id, secret = filed(client, work)
    resolve_case(runtime, tracking_id)
    status = client.get(f"/api/v1/complaints/{tracking_id}").get_json()
    assert status["status"] == "resolved"
    assert "Jalan sudah ditambal." not in json.dumps(status)  # the reporter's, not public
    mine = client.get(
        f"/api/v1/complaints/{tracking_id}", headers={"Citizen-Secret": secret}
    ).get_json()
    assert [m["text"] for m in mine["messages_to_reporter"]] == ["Jalan sudah ditambal."]
    response = message(
        client, tracking_id, {"citizen_secret": secret, "resolution_answer": "rejected"}
    )
    assert response.status_code == 202
    work()
    assert client.get(f"/api/v1/complaints/{tracking_id}").get_json()["status"] == "in_progress"


def test_control_characters_never_reach_the_case_store(client, runtime, work):
    body = {**BODY, "description": "Air\x00 mati\x1b[31m di\u202e Bale", "name": "Siti\x00"}
    assert create(client, body).status_code == 201
    work()
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint)).one()
        assert case.description == "Air mati[31m di Bale"
        assert case.reporter_name == "Siti"
