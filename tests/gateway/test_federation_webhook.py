"""The federation status webhook, one table: a signed push is queued once; anything
missing, malformed, oversized, duplicated, too deep, unsigned, mis-signed or stale is
refused with a 4xx naming the field or header, and queues nothing. And the origin headers a
peer's forward carries: a bad one refuses the complaint, naming the header."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass

import pytest

from adapters.federation.push import CALLBACK_PATH, sign
from casestore import api_keys
from casestore.models import CaseOrigin
from config.external_units import key_variable
from config.reference import UNITS_FILE
from dispatcher.queues import NOTIFY, queue

PEER_KEY = "sp_0123456789ab_" + "k" * 43
PEER_HASH = hashlib.sha256(PEER_KEY.encode()).hexdigest()
TOKEN = "sp-7Q2MX4KA9B-pupr-aceh"
GOOD = {
    "origin_case_id": TOKEN,
    "remote_id": "X38VZJ00YJ",
    "event_id": "41",
    "status": "in_progress",
    "message": "",
}


@pytest.fixture
def settings(settings, tmp_path, monkeypatch):
    """The default units with the province's public works switched on."""
    units = tmp_path / "units.toml"
    units.write_text(
        UNITS_FILE.read_text().replace(
            'connector = "satupintu"\nendpoint = ""',
            'connector = "satupintu"\nendpoint = "http://127.0.0.1:9"',
        )
    )
    monkeypatch.setenv(key_variable("pupr-aceh"), PEER_KEY)
    return settings.replace(units_file=str(units))


@dataclass(frozen=True)
class Row:
    label: str
    body: bytes
    status: int
    field: str | None = None
    headers: dict[str, str | None] = dataclasses.field(default_factory=dict)
    signed_body: bytes | None = None  # sign another body than the one sent
    age: int = 0


def body(**changes) -> bytes:
    values = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    return json.dumps(values).encode()


def nested(depth: int) -> bytes:
    return ('{"origin_case_id": "' + TOKEN + '", "x": ' + "[" * depth + "]" * depth + "}").encode()


ROWS = [
    Row("signed", body(), 202),
    Row("signed, with unknown fields (ignored)", body(extra={"a": 1}), 202),
    Row("no origin_case_id", body(origin_case_id=None), 422, "origin_case_id"),
    Row("origin_case_id a number", body(origin_case_id=7), 422, "origin_case_id"),
    Row("origin_case_id with spaces", body(origin_case_id="sp 1"), 422, "origin_case_id"),
    Row("remote_id missing", body(remote_id=None), 422, "remote_id"),
    Row("remote_id over 100", body(remote_id="A" * 101), 422, "remote_id"),
    Row("event_id over 64", body(event_id="1" * 65), 422, "event_id"),
    Row("event_id a list", body(event_id=["1"]), 422, "event_id"),
    Row("status missing", body(status=None), 422, "status"),
    Row("status unknown", body(status="done"), 422, "status"),
    Row("message not text", body(message=5), 422, "message"),
    Row("message too long", body(message="x" * 4001), 422, "message"),
    Row("at not text", body(at=12), 422, "at"),
    Row("not an object", b'["in_progress"]', 422, ""),
    Row("body over 64000 bytes", body(message="x" * 70000), 413),
    Row(
        "a key twice",
        b'{"origin_case_id": "%s", "status": "resolved", "status": "in_progress"}' % TOKEN.encode(),
        422,
        "status",
    ),
    Row("nested too deep", nested(200), 400, "x"),
    Row("not JSON", b"status=resolved", 400),
    Row("not application/json", body(), 415, None, {"Content-Type": "text/plain"}),
    Row(
        "a unit we never forwarded to",
        body(origin_case_id="sp-7Q2MX4KA9B-pln"),
        404,
        "origin_case_id",
    ),
    Row("no timestamp", body(), 401, "SatuPintu-Timestamp", {"SatuPintu-Timestamp": None}),
    Row(
        "timestamp not a number",
        body(),
        401,
        "SatuPintu-Timestamp",
        {"SatuPintu-Timestamp": "yesterday"},
    ),
    Row("an hour old", body(), 401, "SatuPintu-Timestamp", age=3600),
    Row("ten minutes ahead", body(), 401, "SatuPintu-Timestamp", age=-600),
    Row("no signature", body(), 401, "SatuPintu-Signature", {"SatuPintu-Signature": None}),
    Row(
        "another key's signature",
        body(),
        401,
        "SatuPintu-Signature",
        {"SatuPintu-Signature": "v1=" + "0" * 64},
    ),
    Row(
        "signed over another body",
        body(),
        401,
        "SatuPintu-Signature",
        signed_body=body(status="resolved"),
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.label for row in ROWS])
def test_the_status_webhook(client, runtime, row: Row):
    stamp = int(time.time()) - row.age
    headers = {
        "Content-Type": "application/json",
        "SatuPintu-Timestamp": str(stamp),
        "SatuPintu-Signature": sign(PEER_HASH, stamp, row.signed_body or row.body),
    }
    for name, value in row.headers.items():
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    answer = client.post(CALLBACK_PATH, data=row.body, headers=headers)
    assert answer.status_code == row.status, answer.get_json()
    jobs = queue(NOTIFY, runtime.redis).jobs
    if row.status == 202:
        (job,) = jobs
        assert job.func_name == "dispatcher.federation.pushes.receive"
        assert job.args[0] == "pupr-aceh" and job.args[1]["status"] == "in_progress"
        # The same event again: the same job, not a second one.
        again = client.post(CALLBACK_PATH, data=row.body, headers=headers)
        assert again.status_code == 202
        assert len(queue(NOTIFY, runtime.redis).jobs) == 1
        return
    assert jobs == []
    problem = answer.get_json()
    assert problem["status"] == row.status
    if row.field is not None:
        assert problem["errors"][0]["field"] == row.field, problem
        assert row.field in problem["detail"] or row.field == ""


@pytest.fixture
def partner(runtime) -> str:
    with runtime.sessions.begin() as session:
        return api_keys.create_key(session, "Kabupaten Aceh Tengah").key


COMPLAINT = {"description": "Jalan provinsi berlubang di Kampung Bale, Lut Tawar"}


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        (
            {"SatuPintu-Callback": "http://kab.example/api/v1/federation/status"},
            "SatuPintu-Origin-Case",
        ),
        ({"SatuPintu-Origin-Case": "sp 1"}, "SatuPintu-Origin-Case"),
        (
            {"SatuPintu-Origin-Case": TOKEN, "SatuPintu-Callback": "ftp://kab.example/x"},
            "SatuPintu-Callback",
        ),
        (
            {"SatuPintu-Origin-Case": TOKEN, "SatuPintu-Callback": "http://k/" + "a" * 500},
            "SatuPintu-Callback",
        ),
    ],
)
def test_a_forward_with_a_bad_origin_is_refused_naming_the_header(
    client, runtime, partner, headers, field
):
    answer = client.post(
        "/api/v1/complaints",
        json=COMPLAINT,
        headers={"Authorization": f"Bearer {partner}", "Idempotency-Key": "k" * 20, **headers},
    )
    assert answer.status_code == 400
    assert answer.get_json()["errors"][0]["field"] == field
    with runtime.sessions() as session:
        assert session.query(CaseOrigin).count() == 0


def test_a_forward_remembers_its_origin_once(client, runtime, partner):
    headers = {
        "Authorization": f"Bearer {partner}",
        "Idempotency-Key": "k" * 20,
        "SatuPintu-Origin-Case": TOKEN,
        "SatuPintu-Callback": "http://kab.example" + CALLBACK_PATH,
    }
    first = client.post("/api/v1/complaints", json=COMPLAINT, headers=headers)
    again = client.post("/api/v1/complaints", json=COMPLAINT, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    with runtime.sessions() as session:
        (origin,) = session.query(CaseOrigin).all()
    assert origin.tracking_id == first.get_json()["tracking_id"]
    assert (origin.peer, origin.origin_case_id, origin.via) == (
        "Kabupaten Aceh Tengah",
        TOKEN,
        "api",
    )
    assert origin.callback_url == "http://kab.example" + CALLBACK_PATH
