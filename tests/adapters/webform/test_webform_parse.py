"""One table over the web form's request bodies, run through the pure ``parse()``.

Each row names a fixture (the multipart body the citizen's browser posts, one per
condition), optionally a change to it, and what must come out: fields of the
``InboundMessage``, or the fields the citizen is told to fix. Bad input is rows of the same
table. The HTTP side (CSRF, uploads, the thank-you page) is in the other test files here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from adapter_tables import (
    RECEIVED,
    FormChange,
    assert_message,
    intake_rules,
    put,
    read_captured,
    repeat,
)
from werkzeug.datastructures import MultiDict

from adapters import webform
from normalizer.citizen_secret import hash_citizen_secret

FIXTURES = Path(__file__).parent / "fixtures"
TRACKED = "7K3MQX9A2B"


@dataclass(frozen=True)
class Case:
    label: str
    fixture: str
    change: FormChange | None = None
    language: str = "id"
    message: dict[str, Any] = field(default_factory=dict)  # fields of the InboundMessage
    errors: dict[str, str] | None = None  # field -> words of its message


CASES = [
    Case(
        "complaint with place, category, name and phone",
        "form_basic",
        message={
            "channel": "web",
            "provider": "webform",
            "external_id": "Xq7vL2pN9sK4mR8tW3yZ6bC1",
            "sender": "tel:+6281234567890",
            "sender_name": "Siti Rahmah",
            "declared": {
                "privacy": "public",
                "kecamatan_code": "11.04.17",
                "desa_code": "11.04.17.2001",
                "category": "jalan",
            },
            "latitude": None,
            "raw.csrf_token": "<absent>",
        },
    ),
    Case(
        "anonymous, e-mail contact, GPS with decimal commas",
        "form_anonymous_gps_decimal_comma",
        message={
            "sender": "mailto:warga.bebesen@example.id",
            "latitude": 4.6226,
            "longitude": 96.8485,
            "declared": {"privacy": "anonymous", "category": "sampah"},
        },
    ),
    Case(
        "confidential with only a description",
        "form_confidential_description_only",
        message={"sender": "", "sender_name": "", "declared": {"privacy": "confidential"}},
    ),
    Case(
        "a field the form does not have is kept in raw",
        "form_unknown_extra_field",
        message={"raw.utm_source": "poster-kecamatan", "declared": {"privacy": "public"}},
    ),
    Case("empty form", "form_empty", errors={"description": "wajib diisi"}),
    Case(
        "empty form, English page",
        "form_empty",
        language="en",
        errors={"description": "Please describe the problem"},
    ),
    Case(
        "desa outside its kecamatan",
        "form_basic",
        change=put("kecamatan", "11.04.03"),
        errors={"desa": "tidak berada di kecamatan"},
    ),
    Case(
        "coordinates outside the district",
        "form_anonymous_gps_decimal_comma",
        change=put("latitude", "-6.2088"),
        errors={"latitude": "di luar Kabupaten Aceh Tengah"},
    ),
    Case(
        "latitude without longitude",
        "form_anonymous_gps_decimal_comma",
        change=put("longitude", ""),
        errors={"longitude": "Isi bujur juga"},
    ),
    Case(
        "unknown privacy choice",
        "form_basic",
        change=put("privacy", "publik"),
        errors={"privacy": ""},
    ),
    Case(
        "contact that is neither phone nor e-mail",
        "form_basic",
        change=put("contact", "rumah pak geuchik"),
        errors={"contact": "tidak dikenali"},
    ),
    Case(
        "unknown category",
        "form_basic",
        change=put("category", "jalan_tol"),
        errors={"category": "Pilih kategori"},
    ),
    Case(
        "submission key not from our form",
        "form_basic",
        change=put("submission_key", "short"),
        errors={"submission_key": ""},
    ),
    Case(
        "every bad field at once",
        "form_basic",
        change=lambda form: [put("description", "")(form), put("kecamatan", "99.99")(form)],
        errors={"description": "wajib diisi", "kecamatan": "Pilih kecamatan"},
    ),
]

FOLLOW_UPS = [
    Case(
        "more information with the secret code",
        "follow_up_text",
        message={
            "channel": "web",
            "external_id": "Tk4mR8tW3yZ6bC1Xq7vL2pN9s",
            "declared": {"intent": "follow_up", "target_tracking_id": TRACKED},
            "raw.citizen_secret_hash": hash_citizen_secret("7K3M-QX9A-2BCD"),
            "raw.code": "<absent>",
            "raw.resolution_answer": "<absent>",
        },
    ),
    Case(
        "solved, code typed in lower case with spaces, no text",
        "follow_up_answer_solved",
        message={"text": "", "raw.resolution_answer": "accepted"},
    ),
    Case(
        "no text and no answer",
        "follow_up_text",
        change=put("text", ""),
        errors={"text": "wajib diisi"},
    ),
    Case(
        "a code of the wrong shape",
        "follow_up_text",
        change=put("code", "1234"),
        errors={"code": ""},
    ),
    Case("no code", "follow_up_text", change=put("code", ""), errors={"code": ""}),
    Case(
        "an answer the page does not offer",
        "follow_up_answer_solved",
        change=put("answer", "mungkin"),
        errors={"answer": ""},
    ),
]


def _form(case: Case) -> MultiDict:
    form = read_captured(FIXTURES / f"{case.fixture}.txt").form()
    if case.change is not None:
        case.change(form)
    return form


def _check(case: Case, parse: Callable[[MultiDict], Any]) -> None:
    form = _form(case)
    if case.errors is not None:
        with pytest.raises(webform.FormErrors) as raised:
            parse(form)
        assert set(raised.value.fields) == set(case.errors)
        for name, words in case.errors.items():
            assert words in raised.value.fields[name]
        return
    message = parse(form)
    assert_message(message, case.message)


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_complaint_form(case: Case):
    rules = intake_rules()
    _check(
        case,
        lambda form: webform.parse(form, rules, language=case.language, received_at=RECEIVED),
    )


@pytest.mark.parametrize("case", FOLLOW_UPS, ids=[c.label for c in FOLLOW_UPS])
def test_follow_up_form(case: Case):
    rules = intake_rules()
    _check(
        case,
        lambda form: (
            webform.parse_follow_up(
                form, TRACKED, rules, language=case.language, received_at=RECEIVED
            ).inbound
        ),
    )


def test_duplicated_fields_are_named():
    form = _form(Case("twice", "form_basic", change=repeat("description", "yang kedua")))
    assert set(webform.duplicated_fields(form)) == {"description"}


def test_every_fixture_is_in_a_table():
    used = {c.fixture for c in [*CASES, *FOLLOW_UPS]}
    assert used == {p.stem for p in FIXTURES.glob("*.txt")}
