"""Open311 GeoReport v2: conformance with the v2.1 spec and its examples, and a round trip.

The spec (tests/gateway/fixtures/open311, copied from the project's shared data) is read as
it is: its Swagger 2.0 definitions validate our JSON, its example documents fix the field
and element names. Swagger 2.0 has no null; the spec's own examples send null for absent
values, so nulls are dropped before validating.
"""

# ruff: noqa: S314 - the XML parsed here is our own server's answer and the spec's examples.
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET

import jsonschema
import pytest
import yaml
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from casestore import api_keys
from casestore.models import Complaint, Message
from dispatcher.inbox import waiting_records

SPEC_DIR = Path(__file__).parent / "fixtures" / "open311"
EXAMPLES = SPEC_DIR / "spec_v2_examples"
SPEC = yaml.safe_load((SPEC_DIR / "georeport_v2-1.swagger.yaml").read_text())


def example_json(name: str):
    # The spec writes "service_code":006 (not JSON): quote numbers with leading zeros.
    text = (EXAMPLES / name).read_text()
    text = text.split("\n\n", 1)[1] if text.startswith("HTTP/") else text
    return json.loads(re.sub(r'":0(\d+)\s*([,}])', r'":"0\1"\2', text))


def example_xml(name: str) -> ET.Element:
    text = (EXAMPLES / name).read_text()
    text = text.split("\n\n", 1)[1] if text.startswith("HTTP/") else text
    return ET.fromstring(text.strip().encode())


def conforms(instance, definition: str) -> None:
    def drop_nulls(value):
        if isinstance(value, dict):
            return {k: drop_nulls(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [drop_nulls(v) for v in value]
        return value

    schema = {"$ref": f"#/definitions/{definition}", "definitions": SPEC["definitions"]}
    jsonschema.Draft4Validator(schema).validate(drop_nulls(instance))


def shape(element: ET.Element) -> tuple:
    """Tags and text, whitespace between elements ignored."""
    return (element.tag, (element.text or "").strip(), [shape(child) for child in element])


def tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def the_spec_post_body(**changes: str) -> list[tuple[str, str]]:
    """The spec's own example POST body, placed in Aceh Tengah and given our key."""
    raw = (EXAMPLES / "post-service-request.http.txt").read_text().split("\n\n", 1)[1].strip()
    pairs = parse_qsl(raw, keep_blank_values=True)
    ours = {"lat": "4.6226", "long": "96.8485", "service_code": "jalan", **changes}
    return [(k, ours.get(k, v)) for k, v in pairs if k != "jurisdiction_id"] + [
        (k, v) for k, v in changes.items() if k not in dict(pairs)
    ]


@pytest.fixture
def key(runtime) -> str:
    with runtime.sessions.begin() as session:
        return api_keys.create_key(session, "aplikasi kota").key


def post(client, key, fmt="json", pairs=None, **changes):
    pairs = the_spec_post_body(**changes) if pairs is None else pairs
    pairs = [(k, key if k == "api_key" else v) for k, v in pairs]
    return client.post(f"/open311/v2/requests.{fmt}", data=MultiDict(pairs))


# --- services ------------------------------------------------------------------------------


def test_services_list_conforms_to_the_spec_and_its_example(client, runtime):
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    services = response.get_json()
    codes = [s["service_code"] for s in services]
    assert codes == [c.code for c in runtime.categories] + ["lainnya"]
    example_fields = set().union(*(s.keys() for s in example_json("json-service-list.json")))
    for service in services:
        conforms(service, "Service")
        assert set(service) == example_fields


def test_services_list_in_xml_has_the_example_shape(client):
    response = client.get("/open311/v2/services.xml")
    assert response.mimetype == "text/xml"
    assert response.get_data(as_text=True).startswith('<?xml version="1.0" encoding="utf-8"?>')
    ours, theirs = ET.fromstring(response.data), example_xml("xml-service-list.xml")
    assert (ours.tag, ours[0].tag) == (theirs.tag, theirs[0].tag)
    assert set(tags(ours[0])) == set(tags(theirs[0]))
    assert ours[0].find("metadata").text == "true"


def test_service_definition_conforms(client):
    body = client.get("/open311/v2/services/jalan.json").get_json()
    conforms(body, "ServiceDefinition")
    assert [a["code"] for a in body["attributes"]] == ["kecamatan", "desa", "privacy"]
    assert set(body["attributes"][0]) == set(
        example_json("json-service-definition.json")["attributes"][0]
    )
    ours = ET.fromstring(client.get("/open311/v2/services/jalan.xml").data)
    theirs = example_xml("xml-service-definition.xml")
    assert ours.tag == theirs.tag == "service_definition"
    assert ours.find("attributes/attribute/values/value/key") is not None
    assert set(tags(ours.find("attributes/attribute"))) == set(
        tags(theirs.find("attributes/attribute"))
    )


# --- a request posted, then read back ------------------------------------------------------


def test_a_request_posted_is_read_back_by_its_id_through_a_real_worker(client, runtime, work, key):
    response = post(client, key)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert isinstance(answer, list) and len(answer) == 1
    conforms(answer[0], "RequestResponse")
    assert set(answer[0]) == set(example_json("json-service-request-post.json")[0])
    request_id = answer[0]["service_request_id"]
    work()
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint)).one()
        assert (case.tracking_id, case.channel, case.category) == (request_id, "open311", "jalan")
        assert case.contact is None  # typed, so an address for updates only (issue 13)
        assert case.update_address == "tel:+62111111111"
        assert "sinkhole" in case.description and "Alamat: 1234 5th street" in case.description
        inbound = session.scalars(select(Message).where(Message.direction == "in")).one()
        # Another city's attributes and the device are kept for audit, the key never.
        assert inbound.raw["attribute"] == {"WHISPAWN": ["123456"], "WHISDORN": ["COISL001"]}
        assert inbound.raw["device_id"] == "tt222111" and "api_key" not in inbound.raw
    read = client.get(f"/open311/v2/requests/{request_id}.json")
    assert read.status_code == 200
    body = read.get_json()
    assert isinstance(body, list) and len(body) == 1
    record = body[0]
    conforms(record, "Request")
    assert set(record) == set(example_json("json-service-request.json")[0])
    assert (record["service_request_id"], record["status"], record["service_code"]) == (
        request_id,
        "open",
        "jalan",
    )
    assert (record["lat"], record["long"]) == (4.6226, 96.8485)
    text = json.dumps(body)
    for private in ("smith", "john", "smit333", "111111111", "sinkhole", "tt222111"):
        assert private not in text.lower()
    assert any(
        r["service_request_id"] == request_id
        for r in client.get("/open311/v2/requests.json").get_json()
    )


def test_the_same_request_in_xml(client, runtime, work, key):
    response = post(client, key, fmt="xml")
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    theirs = example_xml("xml-service-request-post.xml")
    assert (root.tag, root[0].tag) == (theirs.tag, theirs[0].tag)
    request_id = root.find("request/service_request_id").text
    work()
    read = ET.fromstring(client.get(f"/open311/v2/requests/{request_id}.xml").data)
    example = example_xml("xml-service-request.xml")
    assert (read.tag, read[0].tag) == (example.tag, example[0].tag)
    assert set(tags(read[0])) == set(tags(example[0]))
    assert read.find("request/description").text is None  # an empty element, as null


def test_an_idempotency_key_makes_a_repeat_the_same_request(client, runtime, work, key):
    headers = {"Idempotency-Key": "open311-repeat-0000000001"}
    first = client.post(
        "/open311/v2/requests.json",
        data=MultiDict(the_spec_post_body(api_key=key)),
        headers=headers,
    )
    again = client.post(
        "/open311/v2/requests.json",
        data=MultiDict(the_spec_post_body(api_key=key)),
        headers=headers,
    )
    assert first.get_json()[0]["service_request_id"] == again.get_json()[0]["service_request_id"]
    work()
    with runtime.sessions() as session:
        assert len(session.scalars(select(Complaint)).all()) == 1


# --- listing -------------------------------------------------------------------------------


def file_requests(client, work, key, *changes: dict[str, str]) -> list[str]:
    ids = [post(client, key, **c).get_json()[0]["service_request_id"] for c in changes]
    work()
    return ids


def listed(client, query: str = "") -> list[str]:
    response = client.get(f"/open311/v2/requests.json{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [r["service_request_id"] for r in response.get_json()]


def test_confidential_requests_are_never_listed_and_anonymous_ones_have_no_pin(client, work, key):
    public, anonymous, confidential = file_requests(
        client,
        work,
        key,
        {},
        {"attribute[privacy]": "anonymous"},
        {"attribute[privacy]": "confidential"},
    )
    assert set(listed(client)) == {public, anonymous}
    assert listed(client, f"?service_request_id={confidential}") == []
    assert client.get(f"/open311/v2/requests/{confidential}.json").status_code == 404
    record = client.get(f"/open311/v2/requests/{anonymous}.json").get_json()[0]
    assert record["lat"] is None and record["long"] is None


def test_filters(client, work, key):
    road, water = file_requests(client, work, key, {}, {"service_code": "air"})
    assert listed(client, "?service_code=air") == [water]
    assert set(listed(client, f"?service_request_id={road},{water}&service_code=air")) == {
        road,
        water,
    }
    assert set(listed(client, "?status=open")) == {road, water}
    assert listed(client, "?status=closed") == []
    assert listed(client, "?start_date=2010-01-01T00:00:00Z&end_date=2010-02-01T00:00:00Z") == []
    assert listed(client, "?service_code=lainnya") == []


@pytest.mark.parametrize(
    "query",
    [
        "?status=pending",
        "?status=open&status=closed",
        "?service_code=nope",
        "?service_code=%3Cscript%3E",
        "?start_date=yesterday",
        "?start_date=2026-01-01T00:00:00Z&end_date=2025-01-01T00:00:00Z",
        "?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
        "?service_request_id=" + ",".join(["ABCDE12345"] * 101),
        "?jurisdiction_id=sf.gov",
    ],
)
def test_bad_queries_are_open311_errors(client, query):
    response = client.get(f"/open311/v2/requests.json{query}")
    assert response.status_code in (400, 404)
    body = response.get_json()
    assert isinstance(body, list) and body[0]["code"] == response.status_code
    assert set(body[0]) == set(example_json("json-errors.json.txt")[0])


# --- errors --------------------------------------------------------------------------------


def test_a_bad_api_key_is_403_as_in_the_spec_example(client, runtime, key):
    for api_key in ("", "xyz", "sp_000000000000_" + "a" * 43):
        response = post(client, api_key)
        assert response.status_code == 403
        assert response.get_json() == example_json("json-errors.json.txt")
    xml = post(client, "nope", fmt="xml")
    assert xml.status_code == 403
    assert shape(ET.fromstring(xml.data)) == shape(example_xml("xml-errors.xml.txt"))
    with runtime.sessions.begin() as session:
        api_keys.revoke_key(session, key[3:15])
    assert post(client, key).status_code == 403
    assert len(waiting_records(runtime.redis)) == 0


@pytest.mark.parametrize(
    ("label", "changes", "drop", "fragment"),
    [
        ("no service_code", {}, "service_code", "service_code is required"),
        ("unknown service_code", {"service_code": "006"}, None, "service_code 006 was not found"),
        ("no description", {}, "description", "description is required"),
        ("blank description", {"description": " \t "}, None, "description is required"),
        ("long description", {"description": "d" * 5001}, None, "at most 5000"),
        (
            "no location",
            {"lat": "", "long": "", "address_string": ""},
            None,
            "location is required",
        ),
        ("lat without long", {"long": ""}, None, "long is required"),
        ("lat not a number", {"lat": "north"}, None, "lat must be a number"),
        ("lat out of range", {"lat": "91"}, None, "lat is out of range"),
        ("outside the district", {"lat": "37.76524078", "long": "-122.4212043"}, None, "outside"),
        ("long address", {"address_string": "a" * 501}, None, "at most 500"),
        ("unknown address_id", {"address_id": "545483"}, None, "address_id"),
        ("bad phone", {"phone": "call me"}, None, "phone is not a valid contact"),
        ("bad email", {"email": "nobody"}, None, "email is not a valid contact"),
        ("media_url not http", {"media_url": "javascript:alert(1)"}, None, "http or https"),
        ("media_url file", {"media_url": "file:///etc/passwd"}, None, "http or https"),
        ("bad privacy", {"attribute[privacy]": "secret"}, None, "attribute[privacy]"),
        ("unknown kecamatan", {"attribute[kecamatan]": "99.99"}, None, "kecamatan"),
        ("names too long", {"first_name": "j" * 200}, None, "first_name/last_name"),
        ("device_id too long", {"device_id": "d" * 101}, None, "device_id"),
    ],
)
def test_bad_fields_are_400_arrays_naming_them(
    client, runtime, key, label, changes, drop, fragment
):
    pairs = [(k, v) for k, v in the_spec_post_body(**changes) if k != drop]
    response = post(client, key, pairs=pairs)
    assert response.status_code == 400, label
    descriptions = [e["description"] for e in response.get_json()]
    assert any(fragment in d for d in descriptions), (label, descriptions)
    assert all(e["code"] == 400 for e in response.get_json())
    assert len(waiting_records(runtime.redis)) == 0


def test_a_field_given_twice_is_refused(client, runtime, key):
    pairs = [*the_spec_post_body(), ("service_code", "air")]
    response = post(client, key, pairs=pairs)
    assert response.status_code == 400
    assert "service_code was given more than once" in response.get_data(as_text=True)


def test_operator_text_never_reaches_the_xml(client, runtime, work, key):
    from casestore.lifecycle import Action, apply_action
    from casestore.models import utcnow
    from gateway.api.open311 import STATUS_NOTES

    (request_id,) = file_requests(client, work, key, {})
    with runtime.sessions.begin() as session:
        case = session.scalars(select(Complaint)).one()
        text = "<b>selesai</b> & </status_notes><x>\x0b\x1f"  # not valid in XML 1.0
        apply_action(session, case, Action.VERIFY, actor="admin", now=utcnow(), note=text)
        apply_action(
            session, case, Action.REPLY, actor="admin", now=utcnow(), message_to_reporter=text
        )
    response = client.get(f"/open311/v2/requests/{request_id}.xml")
    root = ET.fromstring(response.data)  # parses
    # status_notes is a fixed phrase per status (issue 13), never what an operator wrote.
    assert root.find("request/status_notes").text == STATUS_NOTES["verified"]
    assert b"selesai" not in response.data


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/open311/v2/services.csv", 404),
        ("/open311/v2/services/nope.json", 404),
        ("/open311/v2/requests/ABCDE12345.json", 404),
        ("/open311/v2/requests/%3Cscript%3E.json", 404),
        ("/open311/v2/tokens/1.json", 404),
    ],
)
def test_unknown_things_are_404_arrays(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.get_json()[0]["code"] == status


def test_a_wrong_method_is_405_in_open311_form(client):
    response = client.delete("/open311/v2/requests.json")
    assert response.status_code == 405
    assert response.get_json()[0]["code"] == 405
    assert "POST" in response.headers["Allow"]
