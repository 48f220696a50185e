"""Desk filing: an operator's form for a complaint received at the desk -> InboundMessage.

Fields: the web form's own (``description``, ``name``, ``contact``, ``kecamatan``, ``desa``,
``category``, ``latitude``/``longitude``, ``privacy`` as the citizen chose it, required here
since the operator asks, and ``submission_key``, the one-time key printed into the form)
checked by the web form's checks, plus ``channel``: how it came in, ``loket`` (in person),
``telepon`` (by phone) or ``surat`` (a letter, whose scan is an attachment; files are
checked by ``adapters.attachments``). The contact is where updates go (``update_address``),
never an identity: the operator typed it.

The operator who entered it travels in the record's raw payload as ``entered_by``; only
our own console builds these records (no provider, no webhook), so the case store trusts it
on the desk channels alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime

from adapters.fields import IntakeRules
from adapters.webform.handler import COMPLAINT_FIELDS, PRIVACY_CHOICES, FormErrors
from adapters.webform.handler import parse as parse_web_form
from normalizer.records import Channel, InboundMessage

NAME = "desk"
# How the complaint reached the desk, as the form's ``channel`` field names it.
CHANNELS = {"loket": Channel.LOKET, "telepon": Channel.TELEPON, "surat": Channel.SURAT}
DESK_FIELDS = (*COMPLAINT_FIELDS, "channel")
MAX_OPERATOR_CHARS = 100

MESSAGES = {
    "id": {
        "channel": "Pilih cara aduan diterima: loket, telepon atau surat.",
        "privacy": "Tanyakan kepada pelapor: biasa, anonim atau rahasia.",
    },
    "en": {
        "channel": "Choose how the complaint came in: desk, telephone or letter.",
        "privacy": "Ask the citizen: normal, anonymous or confidential.",
    },
}


def parse(
    form: Mapping[str, str],
    rules: IntakeRules,
    *,
    operator: str,
    language: str = "id",
    received_at: datetime | None = None,
) -> InboundMessage:
    """Validate the filing form; raises FormErrors listing every bad field at once."""
    words = MESSAGES.get(language, MESSAGES["id"])
    errors: dict[str, str] = {}
    channel = CHANNELS.get(form.get("channel", "").strip())
    if channel is None:
        errors["channel"] = words["channel"]
    # The web form defaults to "biasa"; at the desk the citizen is asked, so none is assumed.
    if form.get("privacy", "").strip() not in PRIVACY_CHOICES:
        errors["privacy"] = words["privacy"]
    try:
        inbound = parse_web_form(form, rules, language=language, received_at=received_at)
    except FormErrors as exc:
        raise FormErrors(exc.fields | errors) from None
    if errors:
        raise FormErrors(errors)
    # Only the form's own fields: an operator's browser adds nothing worth keeping.
    raw = {k: v for k, v in form.items() if k in DESK_FIELDS}
    raw["entered_by"] = operator[:MAX_OPERATOR_CHARS]
    return dataclasses.replace(inbound, channel=channel, provider=NAME, raw=raw)
