"""Input that breaks things (issue 13): each answered with a 4xx naming the field, never 500.

Deep JSON, lone surrogates, wrong JSON types and dates at the edge of the calendar on the JSON
API and Open311; a submission key or Idempotency-Key reused with another body; the form's
unknown fields. Nothing refused is queued; nothing acknowledged is lost.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from web_samples import csrf_token, secret_of, tracking_id_of
from werkzeug.datastructures import MultiDict

from casestore import api_keys
from casestore.models import Complaint, Message
from dispatcher.inbox import waiting_records

KEY = "0b6f2c1e-5a0d-4d4e-9a57-3f2f7c9d1a11"
BODY = {
    "description": "Air PDAM tidak mengalir tiga hari di Kampung Bale.",
    "kecamatan": "11.04.17",
}
CALENDAR_EDGES = [
    "0001-01-01T00:00:00+14:00",  # year 0 in UTC: Python's OverflowError
    "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
    "9999-12-31T23:59:59+00:00",
    "0001-01-01T00:00:00Z",
]


def api_post(client, raw: str | bytes, key: str = KEY, path: str = "/api/v1/complaints"):
    return client.post(
        path, data=raw, content_type="application/json", headers={"Idempotency-Key": key}
    )


def problem_fields(response) -> list[tuple[str, str]]:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return [(e["field"], e["code"]) for e in response.get_json().get("errors", [])]


@pytest.fixture
def partner(runtime) -> dict[str, str]:
    with runtime.sessions.begin() as session:
        key = api_keys.create_key(session, "mitra", runtime.coordinator).key
    return {"Authorization": f"Bearer {key}"}


# --- the JSON API --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "raw", "status", "field", "code"),
    [
        ("an array bomb", "[" * 100_000 + "]" * 100_000, 400, "", "too_deep"),
        (
            "deep under a field",
            '{"description": ' + "[" * 5_000 + "]" * 5_000 + "}",
            400,
            "description",
            "too_deep",
        ),
        ("deep but parseable", '{"name": ' + "[" * 40 + "]" * 40 + "}", 400, "name", "too_deep"),
        (
            "a lone surrogate in the description",
            json.dumps(BODY).replace("Bale", "Bale \\ud800"),
            422,
            "description",
            "invalid_text",
        ),
        (
            "a lone low surrogate in the name",
            json.dumps({**BODY, "name": "Siti \\udc00"}).replace("\\\\", "\\"),
            422,
            "name",
            "invalid_text",
        ),
        (
            "a field given twice",
            '{"description": "Air mati di Bale.", "description": "Lampu mati."}',
            422,
            "description",
            "duplicated",
        ),
        (
            "a lone surrogate deep in an unknown field",
            json.dumps({**BODY, "extra": [{"x": "\\ud83d"}]}).replace("\\\\", "\\"),
            422,
            "extra",
            "invalid_text",
        ),
    ],
)
def test_hostile_json_is_a_4xx_naming_the_field(client, runtime, label, raw, status, field, code):
    response = api_post(client, raw)
    assert response.status_code == status, label
    assert (field, code) in problem_fields(response), label
    assert waiting_records(runtime.redis) == []


def test_a_surrogate_pair_is_an_emoji_not_a_lone_surrogate(client, runtime, work):
    raw = json.dumps(BODY).replace("Bale.", "Bale \\ud83d\\ude22")
    assert api_post(client, raw).status_code == 201
    work()
    with runtime.sessions() as session:
        assert session.scalars(select(Complaint)).one().description.endswith("Bale \U0001f622")


def test_a_follow_up_with_a_lone_surrogate_is_422(client, runtime, work):
    filed = api_post(client, json.dumps(BODY)).get_json()
    work()
    secret = filed["citizen_secret"]
    raw = '{"citizen_secret": "' + secret + '", "text": "air \\udfff"}'
    path = f"/api/v1/complaints/{filed['tracking_id']}/messages"
    response = api_post(client, raw, key="follow-up-key-000000001", path=path)
    assert response.status_code == 422
    assert problem_fields(response) == [("text", "invalid_text")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": ["reply"], "note": "x"}, "action"),
        ({"action": {"reply": 1}}, "action"),
        ({"action": "reply", "note": ["x"]}, "note"),
        ({"action": "dispatch", "unit": 7}, "unit"),
    ],
)
def test_wrong_json_types_on_a_case_action_are_422(client, runtime, work, partner, body, field):
    tracking_id = api_post(client, json.dumps(BODY)).get_json()["tracking_id"]
    work()
    response = client.post(f"/api/v1/cases/{tracking_id}/actions", json=body, headers=partner)
    assert response.status_code == 422
    assert field in {f for f, _ in problem_fields(response)}


@pytest.mark.parametrize("since", CALENDAR_EDGES)
def test_since_at_the_edge_of_the_calendar_is_400_naming_it(client, partner, since):
    response = client.get("/api/v1/cases", query_string={"since": since}, headers=partner)
    assert response.status_code == 400
    assert problem_fields(response) == [("since", "invalid")]


@pytest.mark.parametrize(
    "query",
    [{"page": "²"}, {"per_page": "٣"}, {"page": "1", "per_page": ["5", "6"]}, {"since": "\x00"}],
)
def test_odd_query_values_are_400_naming_them(client, partner, query):
    response = client.get("/api/v1/cases", query_string=query, headers=partner)
    assert response.status_code == 400
    assert {f for f, _ in problem_fields(response)} <= set(query)


def test_an_api_follow_up_key_reused_with_another_text_is_422(client, runtime, work):
    filed = api_post(client, json.dumps(BODY)).get_json()
    work()
    path = f"/api/v1/complaints/{filed['tracking_id']}/messages"
    key = "follow-up-key-000000002"
    first = {"citizen_secret": filed["citizen_secret"], "text": "Sudah seminggu."}
    assert api_post(client, json.dumps(first), key=key, path=path).status_code == 202
    assert api_post(client, json.dumps(first), key=key, path=path).status_code == 202
    other = api_post(client, json.dumps({**first, "text": "Pipa pecah."}), key=key, path=path)
    assert other.status_code == 422
    assert other.get_json()["type"].endswith("idempotency-key-reused")


# --- Open311 -------------------------------------------------------------------------------


@pytest.fixture
def open311_key(runtime) -> str:
    with runtime.sessions.begin() as session:
        return api_keys.create_key(session, "aplikasi kota").key


def open311_pairs(key: str, **changes: str) -> MultiDict:
    fields = {
        "api_key": key,
        "service_code": "jalan",
        "description": "Jalan berlubang di depan SD Negeri 1 Takengon.",
        "lat": "4.6226",
        "long": "96.8485",
        **changes,
    }
    return MultiDict(list(fields.items()))


@pytest.mark.parametrize("name", ["start_date", "end_date"])
@pytest.mark.parametrize("value", [*CALENDAR_EDGES, "9999-12-31T00:00:00", "0001-01-02T00:00:00Z"])
def test_open311_dates_at_the_edge_of_the_calendar_are_400_naming_them(client, name, value):
    response = client.get("/open311/v2/requests.json", query_string={name: value})
    assert response.status_code == 400
    body = response.get_json()
    assert body[0]["code"] == 400 and body[0]["description"].startswith(name)


def test_open311_a_media_url_urllib_cannot_split_is_400(client, runtime, open311_key):
    pairs = open311_pairs(open311_key, media_url="http://[")
    response = client.post("/open311/v2/requests.json", data=pairs)
    assert response.status_code == 400
    assert "media_url must be an http or https URL" in response.get_data(as_text=True)
    assert waiting_records(runtime.redis) == []


def test_open311_a_date_near_the_edge_still_works(client):
    late = client.get("/open311/v2/requests.json", query_string={"start_date": "2999-12-01"})
    assert (late.status_code, late.get_json()) == (200, [])


def test_open311_idempotency_key_reused_with_another_body_is_422(
    client, runtime, work, open311_key
):
    headers = {"Idempotency-Key": "open311-reused-000000001"}
    url = "/open311/v2/requests.json"
    first = client.post(url, data=open311_pairs(open311_key), headers=headers)
    again = client.post(url, data=open311_pairs(open311_key), headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.get_json() == again.get_json()
    changed = open311_pairs(open311_key, description="Lampu jalan mati di Jalan Lebe Kader.")
    other = client.post(url, data=changed, headers=headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()[0]["description"]
    work()
    with runtime.sessions() as session:
        assert len(session.scalars(select(Complaint)).all()) == 1


# --- the web form --------------------------------------------------------------------------

FORM_KEY = "form-key-hostile-0123456789"


def form_post(client, extra=None, **fields):
    data = {
        "csrf_token": csrf_token(client),
        "submission_key": FORM_KEY,
        "description": "Sampah menumpuk di pinggir jalan sejak Senin.",
        "kecamatan": "11.04.17",
        **fields,
    }
    return client.post("/", data=MultiDict(list(data.items()) + list(extra or [])))


def test_a_form_key_reused_with_another_body_is_422_and_the_new_text_is_not_lost(
    client, runtime, work
):
    first = form_post(client)
    assert first.status_code == 201
    assert tracking_id_of(form_post(client)) == tracking_id_of(first)  # a double submit
    other = form_post(client, description="Lampu jalan mati di depan masjid.")
    assert other.status_code == 422
    page = other.get_data(as_text=True)
    assert "sudah pernah dikirim dengan isi lain" in page
    assert "Lampu jalan mati di depan masjid." in page  # kept for sending again
    assert FORM_KEY not in page  # with a fresh key
    work()
    with runtime.sessions() as session:
        assert [c.description for c in session.scalars(select(Complaint))] == [
            "Sampah menumpuk di pinggir jalan sejak Senin."
        ]


def test_unknown_form_fields_are_kept_only_a_few_and_short(client, runtime, work):
    junk = [(f"junk{i}", "x" * 500) for i in range(900)]
    assert form_post(client, extra=junk).status_code == 201
    work()
    with runtime.sessions() as session:
        raw = session.scalars(select(Message)).one().raw
    others = [k for k in raw if k.startswith("junk")]
    assert len(others) == 20
    assert all(len(raw[k]) == 200 for k in others)
    assert len(json.dumps(raw)) < 10_000
    assert raw["description"] == "Sampah menumpuk di pinggir jalan sejak Senin."
    assert "csrf_token" not in raw


def test_a_tracking_page_key_reused_with_another_text_is_422_and_the_text_is_kept(
    client, runtime, work
):
    filed = form_post(client)
    tracking_id, secret = tracking_id_of(filed), secret_of(filed)
    work()
    path = f"/track/{tracking_id}"

    def add(text: str):
        return client.post(
            path,
            data={
                "csrf_token": csrf_token(client, path),
                "submission_key": "track-key-hostile-0123456789",
                "code": secret,
                "text": text,
            },
        )

    assert add("Sampahnya sudah tiga hari tidak diangkut.").status_code == 202
    assert add("Sampahnya sudah tiga hari tidak diangkut.").status_code == 202  # a double submit
    other = add("Sekarang ada bau busuk dari tumpukan itu.")
    assert other.status_code == 422
    page = other.get_data(as_text=True)
    assert "sudah pernah dikirim dengan isi lain" in page
    assert "Sekarang ada bau busuk dari tumpukan itu." in page  # kept for sending again
    assert "track-key-hostile-0123456789" not in page  # with a fresh key
    work()
    with runtime.sessions() as session:
        bodies = [m.body for m in session.scalars(select(Message)) if m.direction == "in"]
    assert sorted(bodies) == [
        "Sampah menumpuk di pinggir jalan sejak Senin.",
        "Sampahnya sudah tiga hari tidak diangkut.",
    ]
