"""A phone number typed on the web form, the API or Open311 is not the SMS citizen (issue 13).

Someone types a citizen's number P as the contact of a complaint; then P texts 1708 through a
signed Twilio webhook. P's SMS must open P's own case (or follow P's own open case), its reply
must never name the typed case's tracking id, and P's contact must keep its name.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from web_samples import csrf_token, tracking_id_of
from werkzeug.datastructures import MultiDict

from casestore import api_keys
from casestore.models import Complaint, Contact
from normalizer.tracking import format_tracking_id

CITIZEN = "+6281277770001"  # the SMS sender, P
TYPED = "0812 7777 0001"  # P as someone types it on a form
TEXT = "Jalan rusak parah di Kampung Bale, Kec. Lut Tawar, lubang besar, mohon segera diperbaiki"
SHOWN_ID = re.compile(r"\b[0-9A-Z]{5}-[0-9A-Z]{5}\b")
_sids = iter(range(1, 10**6))


def sms(twilio, body: str) -> None:
    sid = f"SM{next(_sids):032x}"
    values = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "Body": body}
    values["From"] = CITIZEN
    params = [(k, values.get(k, v)) for k, v in twilio.params("sms_basic")]
    assert twilio.post(params).status_code == 200


def by_web_form(client, runtime) -> str:
    data = {
        "csrf_token": csrf_token(client),
        "submission_key": "form-key-typed-phone-000001",
        "description": TEXT,
        "kecamatan": "11.04.17",
        "name": "Penipu",
        "contact": TYPED,
    }
    response = client.post("/", data=MultiDict(data))
    assert response.status_code == 201, response.get_data(as_text=True)
    return tracking_id_of(response)


def by_api(client, runtime) -> str:
    body = {"description": TEXT, "kecamatan": "11.04.17", "name": "Penipu", "contact": TYPED}
    headers = {"Idempotency-Key": "typed-phone-key-0000000001"}
    response = client.post("/api/v1/complaints", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["tracking_id"]


def by_open311(client, runtime) -> str:
    with runtime.sessions.begin() as session:
        key = api_keys.create_key(session, "aplikasi kota").key
    pairs = {
        "api_key": key,
        "service_code": "jalan",
        "description": TEXT,
        "attribute[kecamatan]": "11.04.17",
        "first_name": "Penipu",
        "phone": TYPED,
    }
    response = client.post("/open311/v2/requests.json", data=MultiDict(pairs))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()[0]["service_request_id"]


TYPED_CHANNELS = {"web": by_web_form, "api": by_api, "open311": by_open311}


def sms_citizen(runtime) -> Contact:
    with runtime.sessions() as session:
        return session.scalars(select(Contact).where(Contact.urn == "tel:" + CITIZEN)).one()


def case_ids(runtime) -> dict[str, str]:
    with runtime.sessions() as session:
        return {c.channel: c.tracking_id for c in session.scalars(select(Complaint))}


def shown(text: str) -> set[str]:
    return set(SHOWN_ID.findall(text))


def answers(fake_twilio, typed_case: str) -> list[dict]:
    """What the SMS citizen was answered: every SMS but the one the typed case's number is
    sent at intake (its tracking id and a code to confirm it, issue 18), which must be there
    exactly once."""
    asked = [m for m in fake_twilio.sent() if "Balas YA" in m["body"]]
    assert len(asked) == 1 and format_tracking_id(typed_case) in asked[0]["body"]
    return [m for m in fake_twilio.sent() if m not in asked]


@pytest.mark.parametrize("channel", sorted(TYPED_CHANNELS))
def test_an_sms_after_a_typed_number_opens_the_senders_own_case(
    channel, client, runtime, work, twilio, fake_twilio
):
    typed_case = TYPED_CHANNELS[channel](client, runtime)
    work()
    sms(twilio, TEXT)
    work()
    ids = case_ids(runtime)
    assert set(ids) == {channel, "sms"}, "the SMS joined the typed case"
    (ack,) = answers(fake_twilio, typed_case)
    assert ack["to"] == CITIZEN
    assert shown(ack["body"]) == {format_tracking_id(ids["sms"])}
    assert format_tracking_id(typed_case) not in ack["body"]
    assert sms_citizen(runtime).name == ""
    with runtime.sessions() as session:
        typed = session.scalars(select(Complaint).where(Complaint.channel == channel)).one()
        assert typed.contact_id is None
        assert typed.update_address == "tel:" + CITIZEN
        assert typed.reporter_name == "Penipu"


@pytest.mark.parametrize("channel", sorted(TYPED_CHANNELS))
def test_an_sms_follows_the_senders_own_case_not_the_typed_one(
    channel, client, runtime, work, twilio, fake_twilio
):
    sms(twilio, TEXT)
    work()
    own = case_ids(runtime)["sms"]
    typed_case = TYPED_CHANNELS[channel](client, runtime)
    work()
    assert sms_citizen(runtime).name == "", "the typed name renamed the SMS citizen"
    sms(twilio, "pak jalan kampung bale lut tawar itu lubang besar masih rusak parah")
    work()
    assert case_ids(runtime) == {"sms": own, channel: typed_case}
    _ack, joined = answers(fake_twilio, typed_case)
    assert shown(joined["body"]) == {format_tracking_id(own)}
    assert sms_citizen(runtime).name == ""


@pytest.mark.parametrize("channel", sorted(TYPED_CHANNELS))
def test_the_owner_of_a_typed_number_cannot_query_or_withdraw_that_case(
    channel, client, runtime, work, twilio, fake_twilio
):
    typed_id = TYPED_CHANNELS[channel](client, runtime)
    typed_case = format_tracking_id(typed_id)
    work()
    sms(twilio, f"CEK {typed_case}")
    sms(twilio, f"BATAL {typed_case}")
    work()
    bodies = [m["body"] for m in answers(fake_twilio, typed_id)]
    assert len(bodies) == 2 and not any(typed_case in body for body in bodies)
    with runtime.sessions() as session:
        assert session.scalars(select(Complaint.status)).one() == "received"
