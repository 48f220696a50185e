"""Partner systems: `satupintu apikey`, then /api/v1/cases with a Bearer key, scoped per unit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casestore import api_keys
from casestore.lifecycle import Action, apply_action
from casestore.models import ApiKey, Complaint
from gateway.cli import main

BODY = {"description": "Air PDAM tidak mengalir tiga hari di Kampung Bale.", "category": "air"}


@pytest.fixture
def cli_env(cli_settings):
    return CliRunner()


def new_key(runtime, unit: str | None) -> str:
    with runtime.sessions.begin() as session:
        return api_keys.create_key(session, f"sistem {unit}", unit).key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def file_cases(client, work, count: int) -> list[str]:
    ids = []
    for n in range(count):
        response = client.post(
            "/api/v1/complaints",
            json={**BODY, "description": f"{BODY['description']} ({n})"},
            headers={"Idempotency-Key": f"partner-case-{n:012d}"},
        )
        ids.append(response.get_json()["tracking_id"])
    work()
    return ids


def owner_of(runtime, tracking_id: str) -> str:
    with runtime.sessions() as session:
        return session.scalars(
            select(Complaint.owner_unit).where(Complaint.tracking_id == tracking_id)
        ).one()


def test_apikey_create_list_and_revoke_on_the_command_line(cli_env, runtime):
    created = cli_env.invoke(main, ["apikey", "create", "Sistem PDAM", "--unit", "pdam"])
    assert created.exit_code == 0, created.output
    key = re.search(r"^(sp_[0-9a-f]{12}_\S{43})$", created.output, re.M).group(1)
    prefix = key[3:15]
    with runtime.sessions() as session:
        row = session.scalars(select(ApiKey)).one()
        assert (row.prefix, row.unit_code, row.name) == (prefix, "pdam", "Sistem PDAM")
        assert key not in row.key_hash and len(row.key_hash) == 64
    listed = cli_env.invoke(main, ["apikey", "list"])
    assert prefix in listed.output and "Sistem PDAM" in listed.output
    assert key not in listed.output
    revoked = cli_env.invoke(main, ["apikey", "revoke", prefix])
    assert revoked.exit_code == 0
    with runtime.sessions() as session:
        assert api_keys.authenticate(session, key) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["apikey", "create", "X", "--unit", "no-such-unit"], "no active unit"),
        (["apikey", "create", "   "], "printable"),
        (["apikey", "create", "n" * 121], "printable"),
        (["apikey", "revoke", "000000000000"], "no key with prefix"),
    ],
)
def test_apikey_refuses_bad_input(cli_env, args, message):
    result = cli_env.invoke(main, args)
    assert result.exit_code != 0
    assert message in result.output


def test_a_unit_lists_only_its_own_cases(client, runtime, work):
    ids = file_cases(client, work, 3)
    unit = owner_of(runtime, ids[0])
    key = new_key(runtime, unit)
    other = new_key(runtime, "dinas-kesehatan")
    response = client.get("/api/v1/cases", headers=bearer(key))
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3
    assert sorted(c["tracking_id"] for c in body["items"]) == sorted(ids)
    assert all("contact" not in c for c in body["items"])
    assert client.get("/api/v1/cases", headers=bearer(other)).get_json()["total"] == 0
    assert client.get(f"/api/v1/cases/{ids[0]}", headers=bearer(other)).status_code == 404
    detail = client.get(f"/api/v1/cases/{ids[0]}", headers=bearer(key)).get_json()
    assert detail["description"].startswith("Air PDAM")
    assert [e["kind"] for e in detail["events"]][:2] == ["received", "routed"]


def test_pagination_and_filters(client, runtime, work):
    ids = file_cases(client, work, 5)
    key = new_key(runtime, owner_of(runtime, ids[0]))
    first = client.get("/api/v1/cases?per_page=2&page=1", headers=bearer(key)).get_json()
    third = client.get("/api/v1/cases?per_page=2&page=3", headers=bearer(key)).get_json()
    assert (len(first["items"]), len(third["items"]), first["total"]) == (2, 1, 5)
    assert client.get("/api/v1/cases?status=closed", headers=bearer(key)).get_json()["total"] == 0
    both = client.get("/api/v1/cases?status=received,verified", headers=bearer(key))
    assert both.get_json()["total"] == 5
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = client.get("/api/v1/cases", query_string={"since": future}, headers=bearer(key))
    assert later.get_json()["total"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "status=open",
        "status=",
        "status=received,%3Cscript%3E",
        "since=yesterday",
        "since=2026-01-01T00:00:00",  # no zone
        "page=0",
        "page=-1",
        "page=abc",
        "per_page=101",
        "per_page=99999999999999999999",
    ],
)
def test_bad_filters_are_400_problems(client, runtime, query):
    key = new_key(runtime, "pdam")
    response = client.get(f"/api/v1/cases?{query}", headers=bearer(key))
    assert response.status_code == 400, query
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["field"] == query.split("=")[0]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer nope",
        "Basic dXNlcjpwYXNz",
        "Bearer sp_000000000000_" + "a" * 43,
        "Bearer " + "x" * 5000,
    ],
)
def test_keys_are_required_and_checked(client, runtime, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/cases", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/problem+json"


def test_a_revoked_key_stops_at_once_and_a_key_without_unit_sees_nothing(client, runtime):
    key = new_key(runtime, "pdam")
    assert client.get("/api/v1/cases", headers=bearer(key)).status_code == 200
    with runtime.sessions.begin() as session:
        api_keys.revoke_key(session, key[3:15])
    assert client.get("/api/v1/cases", headers=bearer(key)).status_code == 401
    submit_only = new_key(runtime, None)
    assert client.get("/api/v1/cases", headers=bearer(submit_only)).status_code == 403


def test_a_partner_moves_its_case_along_the_lifecycle(client, runtime, work):
    (tracking_id,) = file_cases(client, work, 1)
    coordinator = new_key(runtime, runtime.coordinator)
    with runtime.sessions.begin() as session:
        case = session.scalars(select(Complaint)).one()
        apply_action(session, case, Action.VERIFY, actor="admin", now=datetime.now(UTC))
        apply_action(
            session, case, Action.DISPATCH, actor="admin", now=datetime.now(UTC), unit="pdam"
        )
    key = new_key(runtime, "pdam")

    def act(body, with_key=key):
        return client.post(
            f"/api/v1/cases/{tracking_id}/actions", json=body, headers=bearer(with_key)
        )

    started = act({"action": "start"})
    assert started.status_code == 200, started.get_data(as_text=True)
    assert started.get_json()["status"] == "in_progress"
    refused = act({"action": "resolve"})  # a resolution needs a message to the reporter
    assert refused.status_code == 409
    assert refused.get_json()["type"].endswith("transition-refused")
    resolved = act({"action": "resolve", "message_to_reporter": "Pipa sudah diganti."})
    assert resolved.get_json()["status"] == "resolved"
    assert resolved.get_json()["events"][-1]["actor"] == "api:sistem pdam"
    public = client.get(f"/api/v1/complaints/{tracking_id}").get_json()
    assert "Pipa sudah diganti." not in str(public)  # sent to the citizen, never public
    assert resolved.get_json()["events"][-1]["message_to_reporter"] == "Pipa sudah diganti."
    # A unit may not close or verify; the coordinator's key may not reopen for the citizen.
    assert act({"action": "close"}).status_code == 422
    assert act({"action": "reopen"}, coordinator).status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "action"),
        ({"action": "explode"}, "action"),
        ({"action": "start", "note": 5}, "note"),
        ({"action": "start", "note": "x" * 5001}, "note"),
        ({"action": "start", "owner_unit": "diskominfo"}, "owner_unit"),
    ],
)
def test_bad_actions_are_422(client, runtime, work, body, field):
    (tracking_id,) = file_cases(client, work, 1)
    key = new_key(runtime, owner_of(runtime, tracking_id))
    response = client.post(f"/api/v1/cases/{tracking_id}/actions", json=body, headers=bearer(key))
    assert response.status_code == 422
    assert field in {e["field"] for e in response.get_json()["errors"]}


def test_keys_have_the_consoles_rights(client, runtime, work):
    """Issue 19: the coordinator's key reaches every case; a unit's key verifies an
    auto-routed case and takes it on, but never hands it to another unit."""
    (tracking_id,) = file_cases(client, work, 1)
    with runtime.sessions.begin() as session:
        case = session.scalars(select(Complaint)).one()
        case.owner_unit = "pdam"  # routed to PDAM by intake, not yet verified
    coordinator = new_key(runtime, runtime.coordinator)
    pdam = new_key(runtime, "pdam")
    seen = client.get(f"/api/v1/cases/{tracking_id}", headers=bearer(coordinator))
    assert seen.status_code == 200
    listed = client.get("/api/v1/cases", headers=bearer(coordinator)).get_json()
    assert tracking_id in [item["tracking_id"] for item in listed["items"]]

    def act(body, key=pdam):
        return client.post(f"/api/v1/cases/{tracking_id}/actions", json=body, headers=bearer(key))

    assert act({"action": "dispatch", "unit": "diskominfo"}).status_code == 403
    verified = act({"action": "verify"})
    assert verified.status_code == 200, verified.get_data(as_text=True)
    taken = act({"action": "dispatch"})
    assert taken.status_code == 200 and taken.get_json()["status"] == "dispatched"
    assert act({"action": "start"}).get_json()["status"] == "in_progress"
    assert act({"action": "reject", "reason": "spam"}).status_code == 422
    rejected = act({"action": "archive", "reason": "withdrawn"}, coordinator)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "archived"


def test_a_partner_asks_the_reporter_and_the_citizens_api_answer_resumes(client, runtime, work):
    """Minta keterangan through the API (issue 20): the question is required; the waiting
    case reads "open" in Open311 and "waiting_reporter" in the API; the citizen's message with
    their secret resumes it."""
    created = client.post(
        "/api/v1/complaints", json=BODY, headers={"Idempotency-Key": "partner-wait-000000001"}
    ).get_json()
    tracking_id, secret = created["tracking_id"], created["citizen_secret"]
    work()
    with runtime.sessions.begin() as session:
        case = session.scalars(select(Complaint)).one()
        now = datetime.now(UTC)
        apply_action(session, case, Action.VERIFY, actor="admin", now=now)
        apply_action(session, case, Action.DISPATCH, actor="admin", now=now, unit="pdam")
    key = new_key(runtime, "pdam")

    def act(body):
        return client.post(f"/api/v1/cases/{tracking_id}/actions", json=body, headers=bearer(key))

    assert act({"action": "ask_reporter"}).status_code == 409  # no question to send
    asked = act({"action": "ask_reporter", "message_to_reporter": "Di dusun mana tepatnya?"})
    assert asked.status_code == 200, asked.get_data(as_text=True)
    assert asked.get_json()["status"] == "waiting_reporter"
    public = client.get(f"/api/v1/complaints/{tracking_id}").get_json()
    assert public["status"] == "waiting_reporter" and public["open"] is True
    assert public["status_label"] == {
        "id": "Menunggu tanggapan pelapor",
        "en": "Waiting for the reporter",
    }
    assert "Di dusun mana" not in str(public)
    (open311,) = client.get(f"/open311/v2/requests/{tracking_id}.json").get_json()
    assert open311["status"] == "open"
    assert open311["status_notes"] == "Menunggu keterangan tambahan dari pelapor."
    answered = client.post(
        f"/api/v1/complaints/{tracking_id}/messages",
        json={"citizen_secret": secret, "text": "Dusun Tengah, dekat meunasah."},
    )
    assert answered.status_code == 202
    work()
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint)).one()
        assert case.status == "dispatched"
        assert [e.kind for e in case.events][-2:] == ["follow_up", "resume"]
