"""Shared by the adapters' fixture tables: read a captured request, and build intake rules.

A fixture file is a request as its client sends it: its headers (``Content-Type``, and
``Idempotency-Key`` for the JSON API), a blank line, then the body byte for byte (CRLF in
multipart bodies, no trailing newline in urlencoded ones).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from adapters.fields import IntakeRules, ServiceArea
from config import Settings
from config.reference import load_categories, load_gazetteer
from normalizer.records import InboundMessage

# Every table parses with this clock, so received_at is checked too.
RECEIVED = datetime(2026, 12, 3, 8, 15, tzinfo=UTC)
FormChange = Callable[[MultiDict], None]


def put(name: str, value: str) -> FormChange:
    """A change to a fixture's form: ``name`` set to ``value`` (added if absent)."""
    return lambda form: form.setlist(name, [value])


def drop(*names: str) -> FormChange:
    def change(form: MultiDict) -> None:
        for name in names:
            form.poplist(name)

    return change


def repeat(name: str, value: str) -> FormChange:
    """``name`` given once more, as no well-behaved client sends it."""
    return lambda form: form.add(name, value)


@dataclasses.dataclass(frozen=True)
class Captured:
    headers: dict[str, str]
    body: bytes

    def form(self) -> MultiDict[str, str]:
        """The body as the gateway's form parser reads it (werkzeug's, multipart or not)."""
        builder = EnvironBuilder(
            method="POST", data=self.body, content_type=self.headers["Content-Type"]
        )
        return Request(builder.get_environ()).form.copy()

    def json(self) -> Any:
        return json.loads(self.body)


def read_captured(path: Path) -> Captured:
    head, _, body = path.read_bytes().partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
    return Captured(headers, body)


def intake_rules() -> IntakeRules:
    """The shipped gazetteer and categories, with the default service area and limits."""
    defaults = Settings()
    return IntakeRules.build(
        load_gazetteer(),
        load_categories(),
        area=ServiceArea.parse(defaults.service_area),
        max_description_chars=defaults.max_description_chars,
        region=defaults.default_region,
    )


def fields_of(message: InboundMessage, expected: dict[str, Any]) -> dict[str, Any]:
    """The message's values of the fields ``expected`` names (``raw.<key>`` reaches into raw)."""
    values = dataclasses.asdict(message)
    picked = {}
    for name in expected:
        if name.startswith("raw."):
            picked[name] = message.raw.get(name[4:], "<absent>")
        else:
            picked[name] = values[name]
    return picked


def assert_message(message: InboundMessage, expected: dict[str, Any]) -> None:
    """The parsed message has the table's clock and the ``expected`` field values."""
    assert message.received_at == RECEIVED
    assert fields_of(message, expected) == expected
