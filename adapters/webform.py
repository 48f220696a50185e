"""Web form: the citizen form's fields -> InboundMessage, with field errors in Indonesian.

Fields: ``description`` (required), ``name`` and ``contact`` (optional), ``kecamatan`` (a
code from the gazetteer), ``privacy`` (biasa / anonim / rahasia) and ``submission_key``, the
one-time key printed into the form, which is the message's external id: a double submit
carries the same key and so gets the same tracking id.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from normalizer.records import Channel, InboundMessage
from normalizer.text import clean_text, is_blank
from normalizer.urns import InvalidContact, contact_urn

NAME = "webform"
PRIVACY_CHOICES = {"biasa": "public", "anonim": "anonymous", "rahasia": "confidential"}
SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_NAME_CHARS = 120
MAX_CONTACT_CHARS = 254


@dataclass
class FormErrors(Exception):
    """Field name -> message (Bahasa Indonesia), shown next to the field."""

    fields: dict[str, str] = field(default_factory=dict)


def parse(
    form: Mapping[str, str],
    *,
    kecamatan_codes: Collection[str],
    max_description_chars: int,
    region: str = "ID",
    received_at: datetime | None = None,
) -> InboundMessage:
    """Validate the form; raises FormErrors listing every bad field at once."""
    errors: dict[str, str] = {}
    description = form.get("description", "")
    if is_blank(description):
        errors["description"] = "Isi laporan wajib diisi."
    elif len(description) > max_description_chars:
        errors["description"] = f"Isi laporan paling banyak {max_description_chars} karakter."

    name = form.get("name", "")
    if len(name) > MAX_NAME_CHARS:
        errors["name"] = f"Nama paling banyak {MAX_NAME_CHARS} karakter."

    sender = ""
    contact = form.get("contact", "").strip()
    if len(contact) > MAX_CONTACT_CHARS:
        errors["contact"] = "Kontak terlalu panjang."
    elif contact:
        try:
            sender = contact_urn(contact, region)
        except InvalidContact:
            errors["contact"] = "Nomor HP atau email tidak dikenali."

    kecamatan = form.get("kecamatan", "").strip()
    if kecamatan and kecamatan not in kecamatan_codes:
        errors["kecamatan"] = "Pilih kecamatan dari daftar."

    privacy = form.get("privacy", "biasa").strip() or "biasa"
    if privacy not in PRIVACY_CHOICES:
        errors["privacy"] = "Pilih salah satu: biasa, anonim atau rahasia."

    key = form.get("submission_key", "")
    if not SUBMISSION_KEY.match(key):
        errors["submission_key"] = "Formulir kedaluwarsa; muat ulang halaman dan kirim lagi."

    if errors:
        raise FormErrors(errors)
    declared = {"privacy": PRIVACY_CHOICES[privacy]}
    if kecamatan:
        declared["kecamatan_code"] = kecamatan
    return InboundMessage(
        channel=Channel.WEB,
        provider=NAME,
        external_id=key,
        sender=sender,
        sender_name=clean_text(name, MAX_NAME_CHARS),
        text=description,
        received_at=received_at or datetime.now(UTC),
        declared=declared,
        raw={k: v for k, v in form.items() if k not in {"csrf_token"}},
    )
