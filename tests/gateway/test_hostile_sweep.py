"""Hostile values at every field of the JSON API, Open311 and the web form (issue 13).

Every field of a valid request is dropped, or given each hostile value in turn (another
type, deep JSON, lone surrogates, NUL bytes, huge strings, calendar edges); then hypothesis
changes a few fields at once and sends some twice. No answer may be a 5xx, and every 2xx
acknowledgement must be stored once the worker ran, with no failed job. tests/hostile.py
has the values; schemathesis (test_api_spec.py) covers the API's documented shapes besides.
"""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import quote

import pytest
from hostile import (
    BOMB,
    CALENDAR_EDGES,
    DROP,
    FORM_STRINGS,
    JSON_ONLY,
    LONE_SURROGATES,
    ODD_STRINGS,
    SWEEP,
    Acknowledged,
    assert_no_server_error,
    changes,
    deep,
    dump_json,
    grid,
    json_values,
    odd_strings,
)
from hypothesis import given
from hypothesis import strategies as st
from web_samples import csrf_token, tracking_id_of

from casestore import api_keys

_keys = itertools.count()


def fresh_key(prefix: str) -> str:
    return f"{prefix}-{next(_keys):012d}-{id(object()):x}"[:64].ljust(16, "0")


@pytest.fixture
def open_runtime(runtime):
    # Hypothesis sends many submissions from one client: the limits would answer 429.
    runtime.settings = runtime.settings.replace(submit_rate_limit=0, partner_rate_limit=0)
    return runtime


@pytest.fixture
def partner(open_runtime) -> str:
    with open_runtime.sessions.begin() as session:
        return api_keys.create_key(session, "sapu", open_runtime.coordinator).key


def apply(base: dict[str, Any], edits: list[tuple[str, Any]]) -> dict[str, Any]:
    body = dict(base)
    for name, value in edits:
        if value is DROP:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def json_text(body: dict[str, Any], duplicate: str | None) -> str:
    """The body as JSON, lone surrogates as escapes; ``duplicate`` names a key sent twice."""
    text = dump_json(body)
    if duplicate is not None:
        text = text[:-1] + (", " if body else "") + f'"{duplicate}": "dua kali"' + "}"
    return text


# --- the JSON API --------------------------------------------------------------------------

COMPLAINT = {
    "description": "Lampu jalan mati sepanjang Jalan Lebe Kader sejak Jumat.",
    "contact": "warga@example.id",
    "name": "Warga Takengon",
    "privacy": "anonymous",
    "category": "jalan",
    "desa": "11.04.17.2001",
    "kecamatan": "11.04.17",
    "longitude": 96.85,
    "latitude": 4.62,
    "language": "en",
}
API_FIELDS = [*COMPLAINT, "unknown", "__proto__"]


JSON_GRID = [*ODD_STRINGS, *LONE_SURROGATES, *JSON_ONLY, deep(20), deep(200), BOMB]


def test_the_api_complaint_never_fails_and_keeps_what_it_acknowledged(client, open_runtime, work):
    acknowledged = Acknowledged()

    def post(edits, duplicate=None, key="fresh"):
        idempotency_key = fresh_key("api") if key == "fresh" else key
        body = json_text(apply(COMPLAINT, edits), duplicate)
        response = client.post(
            "/api/v1/complaints",
            data=body,
            content_type="application/json",
            headers={"Idempotency-Key": idempotency_key},
        )
        assert_no_server_error(response, body[:200])
        if response.status_code < 300:
            acknowledged.tracking_ids.append(response.get_json()["tracking_id"])
        else:
            assert response.mimetype == "application/problem+json"

    for edits in grid(API_FIELDS, JSON_GRID):
        post(edits)

    @given(
        edits=changes(API_FIELDS, json_values()),
        duplicate=st.none() | st.sampled_from(API_FIELDS),
        key=st.sampled_from(["fresh", "x" * 65, "bad key!", ""]) | st.just("fresh"),
    )
    @SWEEP
    def sweep(edits, duplicate, key):
        post(edits, duplicate, key)

    sweep()
    acknowledged.check(open_runtime, work)


def test_the_api_follow_up_and_partner_calls_never_fail(client, open_runtime, work, partner):
    filed = client.post(
        "/api/v1/complaints", json=COMPLAINT, headers={"Idempotency-Key": fresh_key("case")}
    ).get_json()
    work()
    tracking_id, secret = filed["tracking_id"], filed["citizen_secret"]
    auth = {"Authorization": f"Bearer {partner}"}
    message = {"citizen_secret": secret, "text": "Sudah seminggu belum ada perbaikan."}
    action = {"action": "reply", "note": "Sedang kami periksa.", "reason": None, "unit": None}
    params = ["status", "since", "page", "per_page"]

    acknowledged = Acknowledged()

    def send(follow_up):
        body = dump_json(apply(message, follow_up))
        path = f"/api/v1/complaints/{tracking_id}/messages"
        key = fresh_key("msg")
        response = client.post(
            path, data=body, content_type="application/json", headers={"Idempotency-Key": key}
        )
        assert_no_server_error(response, body[:200])
        if response.status_code < 300:
            acknowledged.keys.append(f"api:msg/{tracking_id}/{key}")

    def act_on(act):
        body = dump_json(apply(action, act))
        response = client.post(
            f"/api/v1/cases/{tracking_id}/actions",
            data=body,
            content_type="application/json",
            headers=auth,
        )
        assert_no_server_error(response, body[:200])

    def list_cases(query):
        response = client.get("/api/v1/cases", query_string=query, headers=auth)
        assert_no_server_error(response, str(query)[:200])

    for edits in grid([*message, "resolution_answer", "extra"], JSON_GRID):
        send(edits)
    for edits in grid([*action, "extra"], JSON_GRID):
        act_on(edits)
    for name in params:
        for value in ODD_STRINGS:
            list_cases([(name, value)])

    @given(
        follow_up=changes([*message, "resolution_answer", "extra"], json_values()),
        act=changes([*action, "extra"], json_values()),
        query=st.lists(st.tuples(st.sampled_from(params), odd_strings()), max_size=4),
    )
    @SWEEP
    def sweep(follow_up, act, query):
        send(follow_up)
        act_on(act)
        list_cases(query)

    sweep()
    acknowledged.check(open_runtime, work)


# --- Open311 -------------------------------------------------------------------------------

OPEN311 = {
    "service_code": "jalan",
    "description": "Jalan berlubang besar di depan SD Negeri 1 Takengon.",
    "lat": "4.6226",
    "long": "96.8485",
    "address_string": "Jalan Lebe Kader, Takengon",
    "address_id": "11.04.17",
    "email": "siti@example.id",
    "phone": "0812 3456 7890",
    "first_name": "Siti",
    "last_name": "Aminah",
    "media_url": "https://foto.example.id/lubang.jpg",
    "device_id": "android-1",
    "account_id": "42",
    "jurisdiction_id": "acehtengahkab.go.id",
    "attribute[kecamatan]": "11.04.17",
    "attribute[desa]": "11.04.17.2001",
    "attribute[privacy]": "public",
}
OPEN311_FIELDS = [*OPEN311, "attribute[warna]", "attribute[]", "attribute[privacy][]", "x"]
OPEN311_QUERY = ["service_request_id", "service_code", "start_date", "end_date", "status"]


def form_body(pairs: list[tuple[str, str]]) -> str:
    """urlencoded as a client's bytes: a lone surrogate arrives as the bytes it would be."""
    return "&".join(
        f"{quote(k.encode('utf-8', 'surrogatepass'))}={quote(v.encode('utf-8', 'surrogatepass'))}"
        for k, v in pairs
    )


def test_open311_never_fails_and_keeps_what_it_acknowledged(client, open_runtime, work, partner):
    strings = odd_strings() | st.sampled_from(LONE_SURROGATES)
    acknowledged = Acknowledged()

    def send(edits, duplicate=None, keyed=True):
        fields = apply(OPEN311, edits)
        pairs = [("api_key", partner), *fields.items()]
        if duplicate is not None:
            pairs.append((duplicate, "dua kali"))
        headers = {"Idempotency-Key": fresh_key("o311")} if keyed else {}
        response = client.post(
            "/open311/v2/requests.json",
            data=form_body(pairs),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
        assert_no_server_error(response, str(pairs)[:300])
        if response.status_code < 300:
            acknowledged.tracking_ids.append(response.get_json()[0]["service_request_id"])

    def read(query, request_id):
        for fmt in ("json", "xml"):
            listed = client.get(
                f"/open311/v2/requests.{fmt}?{form_body(query)}",
            )
            assert_no_server_error(listed, str(query)[:300])
        quoted = quote(request_id.encode("utf-8", "surrogatepass"))
        one = client.get(f"/open311/v2/requests/{quoted}.json")
        assert_no_server_error(one, request_id[:100])

    for edits in grid(OPEN311_FIELDS, FORM_STRINGS):
        send(edits)
    for name in OPEN311_QUERY:
        for value in [*FORM_STRINGS, *CALENDAR_EDGES]:
            read([(name, value)], value)

    @given(
        edits=changes(OPEN311_FIELDS, strings),
        duplicate=st.none() | st.sampled_from(OPEN311_FIELDS),
        keyed=st.booleans(),
        query=st.lists(st.tuples(st.sampled_from(OPEN311_QUERY), strings), max_size=4),
        request_id=strings,
    )
    @SWEEP
    def sweep(edits, duplicate, keyed, query, request_id):
        send(edits, duplicate, keyed)
        read(query, request_id)

    sweep()
    acknowledged.check(open_runtime, work)


# --- the web form --------------------------------------------------------------------------

FORM = {
    "description": "Sampah menumpuk di pinggir jalan sejak Senin.",
    "name": "Siti Aminah",
    "contact": "siti@example.id",
    "kecamatan": "11.04.17",
    "desa": "11.04.17.2001",
    "category": "sampah",
    "latitude": "4,6226",
    "longitude": "96.8485",
    "privacy": "anonim",
}
FORM_FIELDS = [*FORM, "submission_key", "text", "code", "answer", "junk"]


def test_the_form_never_fails_and_keeps_what_it_acknowledged(client, open_runtime, work):
    token = csrf_token(client)
    strings = odd_strings() | st.sampled_from(LONE_SURROGATES)
    acknowledged = Acknowledged()

    def send(edits, duplicate=None, junk=0):
        key = fresh_key("form")
        fields = apply({**FORM, "submission_key": key}, edits)
        pairs = [("csrf_token", token), *fields.items()]
        pairs += [(f"junk{i}", "j" * 300) for i in range(junk)]
        if duplicate is not None:
            pairs.append((duplicate, "dua kali"))
        response = client.post(
            "/", data=form_body(pairs), content_type="application/x-www-form-urlencoded"
        )
        assert_no_server_error(response, str(pairs)[:300])
        if response.status_code < 300:
            acknowledged.tracking_ids.append(tracking_id_of(response))

    for edits in grid(FORM_FIELDS, FORM_STRINGS):
        send(edits)

    @given(
        edits=changes(FORM_FIELDS, strings),
        duplicate=st.none() | st.sampled_from(FORM_FIELDS),
        junk=st.integers(min_value=0, max_value=60),
    )
    @SWEEP
    def sweep(edits, duplicate, junk):
        send(edits, duplicate, junk)

    sweep()
    acknowledged.check(open_runtime, work)
