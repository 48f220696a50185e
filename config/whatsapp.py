"""WhatsApp templates: the approved Content Template each notification kind uses outside the
24-hour window, read from ``config/data/whatsapp_templates.toml`` (or
SATUPINTU_WHATSAPP_TEMPLATES_FILE) and checked once, naming the file and the entry at fault.

A template with ``quick_replies`` (Twilio's ``twilio/quick-reply`` content type: the rating
question's five buttons, issue 20) is sent inside the window too: its buttons are why it
exists. ``quick_replies`` are the buttons' ids as submitted in the template; Twilio posts the
pressed one back as ``ButtonPayload``, which the webhook reads as the message's text (so the
rating's ids are ``NILAI 1`` to ``NILAI 5``, what a citizen could type).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from config.reference import DATA_DIR, ReferenceDataError, read_toml

TEMPLATES_FILE = DATA_DIR / "whatsapp_templates.toml"
LANGUAGES = ("id", "en")
# What a template's placeholders may be filled with: the values every reply may use.
VARIABLES = frozenset({"tracking_id", "status", "unit", "track_url", "master"})
_CONTENT_SID = re.compile(r"HX[0-9a-f]{32}")
_PLACEHOLDER = re.compile(r"[1-9][0-9]?")
# twilio/quick-reply: 1 to 10 buttons (3 when sent in session without approval); an id is at
# most 200 characters.
MAX_QUICK_REPLIES = 10
MAX_REPLY_ID_CHARS = 200


@dataclass(frozen=True)
class WhatsAppTemplate:
    """One approved template: its ContentSid and placeholder number -> value name."""

    content_sid: str
    variables: Mapping[str, str]
    quick_replies: tuple[str, ...] = ()  # the buttons' ids (payloads), in order

    @property
    def interactive(self) -> bool:
        """Buttons: sent whenever the citizen is on WhatsApp, inside the window too."""
        return bool(self.quick_replies)

    def content_variables(self, values: Mapping[str, str]) -> dict[str, str]:
        """The ContentVariables for one message (missing values are empty, never absent:
        Twilio refuses a template whose placeholder is left out)."""
        return {number: str(values.get(name, "")) for number, name in self.variables.items()}


Templates = Mapping[tuple[str, str], WhatsAppTemplate]


def load_whatsapp_templates(path: Path | str | None = None) -> Templates:
    """(kind, language) -> template, for entries with a ContentSid; raises ReferenceDataError."""
    source = Path(path) if path else TEMPLATES_FILE
    return _load(str(source.resolve()))


@functools.lru_cache(maxsize=4)
def _load(source: str) -> Templates:
    data = read_toml(Path(source))
    templates: dict[tuple[str, str], WhatsAppTemplate] = {}
    for kind, by_language in data.items():
        if not isinstance(by_language, dict):
            raise ReferenceDataError(f"{source}: [{kind}] must be a table of languages")
        for language, entry in by_language.items():
            where = f"{source}: [{kind}.{language}]"
            if language not in LANGUAGES:
                raise ReferenceDataError(
                    f"{where}: the language must be one of {', '.join(LANGUAGES)}"
                )
            template = _template(where, entry)
            if template is not None:
                templates[(kind, language)] = template
    return MappingProxyType(templates)


def _template(where: str, entry: Any) -> WhatsAppTemplate | None:
    if not isinstance(entry, dict):
        raise ReferenceDataError(f"{where} must be a table")
    unknown = set(entry) - {"content_sid", "variables", "quick_replies"}
    if unknown:
        raise ReferenceDataError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    sid = entry.get("content_sid", "")
    if not isinstance(sid, str) or (sid and not _CONTENT_SID.fullmatch(sid)):
        raise ReferenceDataError(f"{where}: content_sid must be HX and 32 hex digits, or empty")
    variables = entry.get("variables", {})
    if not isinstance(variables, dict):
        raise ReferenceDataError(f"{where}: variables must be a table")
    for number, name in variables.items():
        if not _PLACEHOLDER.fullmatch(number):
            raise ReferenceDataError(f"{where}: variable {number!r} is not a placeholder number")
        if name not in VARIABLES:
            raise ReferenceDataError(
                f"{where}: variable {number} must be one of {', '.join(sorted(VARIABLES))}"
            )
    replies = _quick_replies(where, entry.get("quick_replies", []))
    if not sid:
        return None  # not approved yet: the reply falls back (the rating: its digit text)
    return WhatsAppTemplate(sid, MappingProxyType(dict(variables)), replies)


def _quick_replies(where: str, given: Any) -> tuple[str, ...]:
    if not isinstance(given, list) or len(given) > MAX_QUICK_REPLIES:
        raise ReferenceDataError(
            f"{where}: quick_replies must be a list of at most {MAX_QUICK_REPLIES} button ids"
        )
    for reply in given:
        if not isinstance(reply, str) or not reply.strip() or len(reply) > MAX_REPLY_ID_CHARS:
            raise ReferenceDataError(
                f"{where}: a quick_replies id must be 1 to {MAX_REPLY_ID_CHARS} characters"
            )
    if len(set(given)) != len(given):
        raise ReferenceDataError(f"{where}: quick_replies must not repeat an id")
    return tuple(given)
