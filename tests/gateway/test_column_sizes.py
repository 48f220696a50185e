"""Every length an adapter accepts fits the column that keeps it, on SQLite and PostgreSQL.

SQLite ignores VARCHAR(n); PostgreSQL refuses a longer value, and the store job fails for
good after the citizen was told "received" (a 241-254 character email in contacts.urn was
exactly that). The first tests read the columns from casestore.models and the limits from
the adapters; the last ones submit the longest accepted values and run the worker.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from web_samples import (
    csrf_token,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    tracking_id_of,
    upload,
    webp_bytes,
)
from werkzeug.datastructures import MultiDict

from adapters import attachments, fields
from adapters.api import handler as api
from adapters.open311 import handler as open311
from adapters.twilio_sms import handler as twilio_sms
from adapters.webform import handler as webform
from casestore import api_keys
from casestore.models import ApiKey, Attachment, Complaint, Contact, Message, Quarantine
from normalizer.normalize import normalize
from normalizer.records import Channel, InboundMessage
from normalizer.urns import contact_urn

MAX_KEY = "k" * 64


def length(column) -> int:
    return column.property.columns[0].type.length


def longest_email(chars: int) -> str:
    """A valid address of exactly ``chars`` characters."""
    domain = "desa.example.go.id"
    return "w" * (chars - len(domain) - 1) + "@" + domain


def longest_match(pattern: re.Pattern[str], alphabet: str = "k") -> int:
    return max(n for n in range(1, 300) if pattern.fullmatch(alphabet * n))


# --- the limits against the columns ----------------------------------------------------------


def test_the_longest_accepted_contact_fits_the_contact_columns():
    for column in (Contact.urn, Quarantine.contact_urn, Complaint.update_address):
        assert length(column) >= fields.MAX_URN_CHARS
    longest = longest_email(fields.MAX_URN_CHARS - len("mailto:"))
    assert len(contact_urn(longest)) == fields.MAX_URN_CHARS


def test_names_fit_the_contact_name_column(runtime):
    name_cap = len(normalize(inbound(sender_name="n" * 500), runtime.rules).contact_name)
    for column in (Contact.name, Complaint.reporter_name):
        assert max(name_cap, fields.MAX_NAME_CHARS) <= length(column)


def inbound(**changes) -> InboundMessage:
    from datetime import UTC, datetime

    values = dict(
        channel=Channel.API,
        provider="api",
        external_id="x" * 16,
        sender="",
        text="Air mati di Kampung Bale.",
        received_at=datetime.now(UTC),
    )
    return InboundMessage(**{**values, **changes})


def test_every_external_id_fits_the_key_and_id_columns():
    key = longest_match(api.IDEMPOTENCY_KEY)
    assert key == longest_match(webform.SUBMISSION_KEY) == 64
    prefix = length(ApiKey.prefix)
    longest = {
        "api": api.external_id("k" * key, "p" * prefix),
        "api follow-up": f"msg/{'T' * length(Complaint.tracking_id)}/{'k' * key}",
        "open311": f"{'p' * prefix}/{'k' * key}",
        "web": "k" * key,
        "sms": "S" * longest_match(twilio_sms._SID, "S"),
        "twitter": "9" * 30,  # adapters.twitter.parse.valid_tweet_id takes at most 30 digits
    }
    for channel, external_id in longest.items():
        assert len(external_id) <= length(Message.external_id), channel
        idempotency_key = f"{'whatsapp'}:{external_id}"  # the longest channel name
        for column in (Complaint.idempotency_key, Quarantine.idempotency_key):
            assert len(idempotency_key) <= length(column), channel
    for provider in (f"{api.NAME}:{'p' * prefix}", f"{open311.NAME}:{'p' * prefix}"):
        assert len(provider) <= length(Message.provider)


def test_codes_and_files_fit_their_columns(runtime):
    assert max(len(p.code) for p in runtime.places) <= length(Complaint.desa_code)
    assert max(len(p.code) for p in runtime.places) <= length(Complaint.kecamatan_code)
    assert max(len(c.code) for c in runtime.categories) <= length(Complaint.category)
    assert length(Attachment.filename) >= attachments.MAX_FILENAME_CHARS
    kinds = [attachments.sniff(f()[:12]) for f in (png_bytes, jpeg_bytes, webp_bytes, pdf_bytes)]
    assert None not in kinds
    assert max(len(kind) for kind in kinds) <= length(Attachment.content_type)


# --- the longest accepted values, stored by a real worker -----------------------------------


@pytest.fixture
def partner(runtime) -> str:
    with runtime.sessions.begin() as session:
        return api_keys.create_key(session, "mitra dengan nama yang panjang").key


def stored_contact(runtime, tracking_id: str) -> str:
    """The typed contact as stored: an update address on the complaint, not a contact row."""
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint).where(Complaint.tracking_id == tracking_id)).one()
        assert case.contact_id is None
        return case.update_address


def test_the_longest_api_complaint_and_follow_up_are_stored(client, runtime, work, partner):
    email = longest_email(fields.MAX_URN_CHARS - len("mailto:"))
    body = {
        "description": "d" * runtime.settings.max_description_chars,
        "name": "n" * fields.MAX_NAME_CHARS,
        "contact": email,
        "desa": max((p.code for p in runtime.places), key=len),
    }
    headers = {"Idempotency-Key": MAX_KEY, "Authorization": f"Bearer {partner}"}
    answer = client.post("/api/v1/complaints", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    work()
    filed = answer.get_json()
    assert stored_contact(runtime, filed["tracking_id"]) == f"mailto:{email}"
    message = {"citizen_secret": filed["citizen_secret"], "text": "t" * 5000}
    path = f"/api/v1/complaints/{filed['tracking_id']}/messages"
    assert client.post(path, json=message, headers={"Idempotency-Key": MAX_KEY}).status_code == 202
    work()
    with runtime.sessions() as session:
        assert len(session.scalars(select(Message).where(Message.direction == "in")).all()) == 2


def test_the_longest_form_complaint_is_stored(client, runtime, work):
    email = longest_email(fields.MAX_URN_CHARS - len("mailto:"))
    data = MultiDict(
        [
            ("csrf_token", csrf_token(client)),
            ("submission_key", MAX_KEY),
            ("description", "d" * runtime.settings.max_description_chars),
            ("name", "n" * fields.MAX_NAME_CHARS),
            ("contact", email),
            ("kecamatan", "11.04.17"),
            *[("x" * 300 + str(i), "v" * 1000) for i in range(30)],
            ("attachments", upload(png_bytes(), "f" * 400 + ".png", "image/png")),
        ]
    )
    answer = client.post("/", data=data, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    work()
    assert stored_contact(runtime, tracking_id_of(answer)) == f"mailto:{email}"
    with runtime.sessions() as session:
        assert len(session.scalars(select(Attachment).where(Attachment.filename != "")).all()) == 1


def test_the_longest_open311_request_is_stored(client, runtime, work, partner):
    email = longest_email(fields.MAX_URN_CHARS - len("mailto:"))
    pairs = [
        ("api_key", partner),
        ("service_code", "jalan"),
        ("description", "d" * runtime.settings.max_description_chars),
        ("address_string", "a" * open311.MAX_ADDRESS_CHARS),
        ("email", email),
        ("first_name", "f" * 60),
        ("last_name", "l" * 59),
        ("device_id", "i" * open311.MAX_ID_CHARS),
        ("account_id", "a" * open311.MAX_ID_CHARS),
        ("media_url", "https://foto.example.id/" + "m" * (open311.MAX_URL_CHARS - 24)),
        *[(f"attribute[{'x' * 200}{i}]", "v" * 500) for i in range(30)],
    ]
    answer = client.post(
        "/open311/v2/requests.json", data=MultiDict(pairs), headers={"Idempotency-Key": MAX_KEY}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    work()
    assert stored_contact(runtime, answer.get_json()[0]["service_request_id"]) == f"mailto:{email}"


@pytest.mark.parametrize("chars", [fields.MAX_URN_CHARS - len("mailto:") + 1, 254])
def test_an_email_too_long_to_store_is_refused_naming_the_field(client, runtime, partner, chars):
    email = longest_email(chars)
    api_answer = client.post(
        "/api/v1/complaints",
        json={"description": "Air mati di Kampung Bale.", "contact": email},
        headers={"Idempotency-Key": MAX_KEY},
    )
    assert api_answer.status_code == 422
    assert [(e["field"], e["code"]) for e in api_answer.get_json()["errors"]] == [
        ("contact", "too_long")
    ]
    form_answer = client.post(
        "/",
        data={
            "csrf_token": csrf_token(client),
            "submission_key": MAX_KEY,
            "description": "Air mati di Kampung Bale.",
            "contact": email,
        },
    )
    assert form_answer.status_code == 422
    assert webform.message("contact", "too_long") in form_answer.get_data(as_text=True)
    open311_answer = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": partner,
            "service_code": "jalan",
            "description": "Jalan rusak.",
            "address_string": "Takengon",
            "email": email,
        },
    )
    assert open311_answer.status_code == 400
    assert "email must be at most 248 characters" in open311_answer.get_data(as_text=True)
