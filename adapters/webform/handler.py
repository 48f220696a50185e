"""Web form: the citizen form's fields -> InboundMessage, with field errors for the citizen.

Complaint fields: ``description`` (required), ``name`` and ``contact`` (optional),
``kecamatan`` and ``desa`` (gazetteer codes; a desa must lie in the kecamatan), ``category``
(a configured category), ``latitude``/``longitude`` (both or neither, inside the district),
``privacy`` (biasa / anonim / rahasia) and ``submission_key``, the one-time key printed into
the form, which is the message's external id: a double submit carries the same key and so
gets the same tracking id. Files are checked by ``adapters.attachments``.

Follow-up fields (the tracking page): ``text``, ``code`` (the citizen secret), an optional
``answer`` to a resolution (``selesai`` / ``belum``) and ``submission_key``.

Fields the form does not have are kept in the record's raw payload for audit, but only a
few (``MAX_OTHER_FIELDS``, names and values cut short): a request of junk fields stores
little more than an honest one.

Messages are in Bahasa Indonesia, or English when the page is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from adapters import fields
from adapters.fields import (
    MAX_NAME_CHARS,
    FieldProblem,
    IntakeRules,
    check_category,
    check_contact,
    check_coordinates,
    check_place,
    check_text,
    fingerprint,
)
from normalizer.citizen_secret import hash_citizen_secret
from normalizer.records import Channel, InboundMessage, Intent
from normalizer.text import clean_text

NAME = "webform"
PRIVACY_CHOICES = {"biasa": "public", "anonim": "anonymous", "rahasia": "confidential"}
RESOLUTION_ANSWERS = {"selesai": "accepted", "belum": "rejected"}
SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
COMPLAINT_FIELDS = (*fields.COMPLAINT_FIELDS, "submission_key")
FOLLOW_UP_FIELDS = ("text", "answer", "submission_key")
SINGLE_VALUED = (*COMPLAINT_FIELDS, "text", "code", "answer")
# Never kept in the record's raw payload: the CSRF token and the citizen's secret code.
PRIVATE_FIELDS = frozenset({"csrf_token", "code"})
# Fields a form does not have: a few are kept (a browser extension's, a newer page's), cut
# short; 900 junk fields once made a 460 KB record.
MAX_OTHER_FIELDS = 20
MAX_OTHER_NAME_CHARS = 64
MAX_OTHER_VALUE_CHARS = 200

MESSAGES = {
    "id": {
        "description.required": "Isi laporan wajib diisi.",
        "description.too_long": "Isi laporan paling banyak {limit} karakter.",
        "text.required": "Keterangan wajib diisi.",
        "text.too_long": "Keterangan paling banyak {limit} karakter.",
        "name.too_long": "Nama paling banyak {limit} karakter.",
        "contact.too_long": "Kontak terlalu panjang.",
        "contact.invalid_contact": "Nomor HP atau email tidak dikenali.",
        "kecamatan.unknown": "Pilih kecamatan dari daftar.",
        "desa.unknown": "Pilih desa dari daftar.",
        "desa.not_in_kecamatan": "Desa itu tidak berada di kecamatan yang dipilih.",
        "category.unknown": "Pilih kategori dari daftar.",
        "latitude.not_a_number": "Lintang harus berupa angka, misalnya 4.6226.",
        "longitude.not_a_number": "Bujur harus berupa angka, misalnya 96.8485.",
        "latitude.required": "Isi lintang juga, atau kosongkan keduanya.",
        "longitude.required": "Isi bujur juga, atau kosongkan keduanya.",
        "latitude.out_of_range": "Lintang harus antara -90 dan 90.",
        "longitude.out_of_range": "Bujur harus antara -180 dan 180.",
        "latitude.outside_area": (
            "Koordinat itu berada di luar Kabupaten Aceh Tengah. Periksa kembali, "
            "atau kosongkan koordinat dan pilih kecamatan."
        ),
        "privacy.unknown": "Pilih salah satu: biasa, anonim atau rahasia.",
        "answer.unknown": "Pilih jawaban: sudah selesai atau belum selesai.",
        "code.required": "Masukkan kode rahasia yang Anda terima saat melapor.",
        "code.malformed": "Kode rahasia terdiri dari 12 huruf dan angka, misalnya ABCD-EFGH-1234.",
        "submission_key.invalid": "Formulir kedaluwarsa; muat ulang halaman dan kirim lagi.",
        "submission_key.reused": (
            "Formulir ini sudah pernah dikirim dengan isi lain. Periksa isinya lalu kirim "
            "lagi sebagai laporan baru."
        ),
        "duplicated": "Isian ini terkirim lebih dari sekali; muat ulang halaman dan kirim lagi.",
        "invalid_text": "Isian ini memuat karakter yang tidak sah; ketik ulang.",
    },
    "en": {
        "description.required": "Please describe the problem.",
        "description.too_long": "Your report can be at most {limit} characters.",
        "text.required": "Please write the additional information.",
        "text.too_long": "The information can be at most {limit} characters.",
        "name.too_long": "The name can be at most {limit} characters.",
        "contact.too_long": "The contact is too long.",
        "contact.invalid_contact": "That mobile number or email address was not recognized.",
        "kecamatan.unknown": "Choose a sub-district from the list.",
        "desa.unknown": "Choose a village from the list.",
        "desa.not_in_kecamatan": "That village is not in the chosen sub-district.",
        "category.unknown": "Choose a category from the list.",
        "latitude.not_a_number": "Latitude must be a number, e.g. 4.6226.",
        "longitude.not_a_number": "Longitude must be a number, e.g. 96.8485.",
        "latitude.required": "Fill in the latitude too, or leave both empty.",
        "longitude.required": "Fill in the longitude too, or leave both empty.",
        "latitude.out_of_range": "Latitude must be between -90 and 90.",
        "longitude.out_of_range": "Longitude must be between -180 and 180.",
        "latitude.outside_area": (
            "Those coordinates are outside Aceh Tengah. Check them, or leave them empty "
            "and choose a sub-district."
        ),
        "privacy.unknown": "Choose normal, anonymous or confidential.",
        "answer.unknown": "Choose an answer: resolved or not resolved.",
        "code.required": "Enter the secret code you were given when you reported.",
        "code.malformed": "The secret code has 12 letters and digits, e.g. ABCD-EFGH-1234.",
        "submission_key.invalid": "This form has expired; reload the page and send it again.",
        "submission_key.reused": (
            "This form was already sent with other content. Check it and send it again as "
            "a new report."
        ),
        "duplicated": "This field was sent more than once; reload the page and send it again.",
        "invalid_text": "This field holds a character that is not text; type it again.",
    },
}


class MultiValued(Protocol):
    def getlist(self, key: str) -> list[str]: ...


@dataclass
class FormErrors(Exception):
    """Field name -> message, shown next to the field."""

    fields: dict[str, str] = field(default_factory=dict)


def message(field_name: str, code: str, language: str = "id", limit: int | None = None) -> str:
    book = MESSAGES.get(language, MESSAGES["id"])
    key = f"{field_name}.{code}"
    text = book.get(key) or book.get(code) or MESSAGES["id"].get(key) or f"{field_name}: {code}"
    return text.format(limit=limit)


class _Collector:
    """Runs checks and keeps the first problem per field, so every bad field is shown."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.errors: dict[str, str] = {}

    def run(self, check: Callable[[], object], default: object = None) -> object:
        try:
            return check()
        except FieldProblem as problem:
            self.add(problem.field, problem.code, problem.limit)
            return default

    def add(self, field_name: str, code: str, limit: int | None = None) -> None:
        self.errors.setdefault(field_name, message(field_name, code, self.language, limit))


def duplicated_fields(form: MultiValued, language: str = "id") -> dict[str, str]:
    """Fields sent more than once (no browser does that for these): refused, never guessed."""
    return {
        name: message(name, "duplicated", language)
        for name in SINGLE_VALUED
        if len(form.getlist(name)) > 1
    }


def _raw(form: Mapping[str, str], known: Sequence[str]) -> dict[str, str]:
    """The form's own fields (each checked already) and a few others, cut short."""
    raw = {k: v for k, v in form.items() if k in known}
    others = 0
    for name, value in form.items():
        if name in known or name in PRIVATE_FIELDS:
            continue
        if others == MAX_OTHER_FIELDS:
            break
        others += 1
        raw[name[:MAX_OTHER_NAME_CHARS]] = str(value)[:MAX_OTHER_VALUE_CHARS]
    return raw


def submission_fingerprint(form: Mapping[str, str], files: Sequence[bytes] = ()) -> str:
    """What a submission key was first sent with: the fields (not the CSRF token) and files."""
    fields = {k: v for k, v in form.items() if k not in PRIVATE_FIELDS}
    digests = sorted(hashlib.sha256(data).hexdigest() for data in files)
    return fingerprint({"fields": fields, "files": digests})


def parse(
    form: Mapping[str, str],
    rules: IntakeRules,
    *,
    language: str = "id",
    received_at: datetime | None = None,
) -> InboundMessage:
    """Validate the complaint form; raises FormErrors listing every bad field at once."""
    checks = _Collector(language)
    description = checks.run(
        lambda: check_text(
            "description", form.get("description"), rules.max_description_chars, required=True
        ),
        "",
    )
    name = checks.run(lambda: check_text("name", form.get("name"), MAX_NAME_CHARS), "")
    sender = checks.run(lambda: check_contact("contact", form.get("contact"), rules), "")
    kecamatan, desa = checks.run(
        lambda: check_place(form.get("kecamatan"), form.get("desa"), rules), (None, None)
    )
    category = checks.run(lambda: check_category(form.get("category"), rules))
    latitude, longitude = checks.run(
        lambda: check_coordinates(form.get("latitude"), form.get("longitude"), rules),
        (None, None),
    )
    privacy = form.get("privacy", "biasa").strip() or "biasa"
    if privacy not in PRIVACY_CHOICES:
        checks.add("privacy", "unknown")
    key = form.get("submission_key", "")
    if not SUBMISSION_KEY.match(key):
        checks.add("submission_key", "invalid")
    if checks.errors:
        raise FormErrors(checks.errors)

    declared = {"privacy": PRIVACY_CHOICES[privacy]}
    for name_, value in (
        ("kecamatan_code", kecamatan),
        ("desa_code", desa),
        ("category", category),
    ):
        if value:
            declared[name_] = value
    return InboundMessage(
        channel=Channel.WEB,
        provider=NAME,
        external_id=key,
        sender=sender,
        sender_name=clean_text(name, MAX_NAME_CHARS),
        text=description,
        received_at=received_at or datetime.now(UTC),
        latitude=latitude,
        longitude=longitude,
        declared=declared,
        raw=_raw(form, COMPLAINT_FIELDS),
    )


@dataclass(frozen=True)
class FollowUp:
    """A checked follow-up: the message to submit and the hash of the code that proves it."""

    inbound: InboundMessage
    secret_hash: str


def parse_follow_up(
    form: Mapping[str, str],
    tracking_id: str,
    rules: IntakeRules,
    *,
    language: str = "id",
    received_at: datetime | None = None,
) -> FollowUp:
    """Validate the tracking page's form; the code is checked against the case by the caller.

    With an ``answer`` the text may be empty (the citizen only says whether it is solved).
    """
    checks = _Collector(language)
    answer = form.get("answer", "").strip()
    if answer and answer not in RESOLUTION_ANSWERS:
        checks.add("answer", "unknown")
    text = checks.run(
        lambda: check_text(
            "text", form.get("text"), rules.max_description_chars, required=not answer
        ),
        "",
    )
    code = form.get("code", "")
    secret_hash = hash_citizen_secret(code)
    if not code.strip():
        checks.add("code", "required")
    elif secret_hash is None:
        checks.add("code", "malformed")
    key = form.get("submission_key", "")
    if not SUBMISSION_KEY.match(key):
        checks.add("submission_key", "invalid")
    if checks.errors or secret_hash is None:
        raise FormErrors(checks.errors)

    raw = _raw(form, FOLLOW_UP_FIELDS) | {"citizen_secret_hash": secret_hash}
    if answer:
        raw["resolution_answer"] = RESOLUTION_ANSWERS[answer]
    inbound = InboundMessage(
        channel=Channel.WEB,
        provider=NAME,
        external_id=key,
        sender="",
        text=text or "",
        received_at=received_at or datetime.now(UTC),
        declared={"intent": Intent.FOLLOW_UP.value, "target_tracking_id": tracking_id},
        raw=raw,
    )
    return FollowUp(inbound=inbound, secret_hash=secret_hash)
