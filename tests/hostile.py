"""Hostile values for the property-style sweeps (issue 13), and the one thing they assert.

Every sweep throws these at every field of one endpoint, each value on its own (``grid``)
and then a few at once with fields sent twice (hypothesis), and checks: never a 5xx, and
every 2xx acknowledgement is stored once the worker ran (as a case, an inbound message or a
quarantined record), with no failed job. The worker runs once per sweep and hypothesis'
examples are few and derandomized: the suite runs twice in CI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from casestore.models import Complaint, Message, Quarantine
from dispatcher.queues import QUEUE_NAMES

SWEEP = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

CALENDAR_EDGES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999",
    "9999-12-31",
    "2026-02-30T00:00:00Z",
    "2026-11-28T25:00:00+07:00",
    "1969-12-31T23:59:59Z",
]
# Strings every channel can carry (forms and query strings encode them as UTF-8).
ODD_STRINGS = [
    "",
    " ",
    "\t\r\n",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\u202e\u200b\ufeff",
    "\U0001f622",
    "\ufffd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00%ff",
    "NaN",
    "-Infinity",
    "1e309",
    "-0",
    "²",
    "٣",
    "null",
    "[]",
    "{}",
    "x" * 256,
    "y" * 5_001,
    "z" * 70_000,
    "@" * 300 + ".id",
    "w" * 243 + "@a.co",
    "+" + "6" * 40,
    "http://[",
    "9" * 5_000,
    *CALENDAR_EDGES,
]
# The few that found something on some endpoint: the grids of the costlier webhooks (each
# acknowledged message is stored and answered) use these; hypothesis draws from all.
FEW_STRINGS = [
    "",
    "a\x00b",
    "\u202e\u200b",
    "x" * 256,
    "z" * 70_000,
    "²",
    "1e309",
    "http://[",
    "9" * 5_000,
    "0001-01-01T00:00:00+14:00",
    "+" + "6" * 40,
]
# What forms add to those: numbers, contacts and markup as typed.
FORM_STRINGS = [*FEW_STRINGS, "NaN", "-0", "4,6226", "w" * 243 + "@a.co", "<script>", "\ud800"]
# Only JSON (and X's JSON) can carry these: UTF-16 halves on their own.
LONE_SURROGATES = ["\ud800", "air \udfff mati", "\ud83d", "\udc00\ud800"]


JSON_ONLY = [None, True, 0, -1, 2**70, 1e308, 4.6226, [], {}, ["reply"], {"$ne": 1}]


def odd_strings() -> st.SearchStrategy[str]:
    return st.sampled_from(ODD_STRINGS) | st.text(max_size=40)


def deep(levels: int) -> Any:
    value: Any = "x"
    for depth in range(levels):
        value = [value] if depth % 2 else {"a": value}
    return value


class RawJSON(str):
    """JSON text put into a body as it is: deeper than Python's own encoder could write."""


BOMB = RawJSON("[" * 100_000 + "]" * 100_000)


def dump_json(body: Any) -> str:
    """``json.dumps``, with RawJSON values spliced in as text (lone surrogates as escapes)."""
    raws: dict[str, str] = {}

    def placeholder(value: Any) -> Any:
        if isinstance(value, RawJSON):
            token = f"@@raw{len(raws)}@@"
            raws[f'"{token}"'] = str(value)
            return token
        if isinstance(value, dict):
            return {k: placeholder(v) for k, v in value.items()}
        if isinstance(value, list) and len(value) < 10:
            return [placeholder(v) for v in value]
        return value

    text = json.dumps(placeholder(body))
    for token, raw in raws.items():
        text = text.replace(token, raw)
    return text


def json_values() -> st.SearchStrategy[Any]:
    """Anything a JSON field could hold: odd strings, surrogates, every other type, depth."""
    return st.one_of(
        odd_strings(),
        st.sampled_from(LONE_SURROGATES),
        st.sampled_from([None, True, False, 0, -1, 2**70, 1e308, -1e308, 4.6226, 96.8485]),
        st.sampled_from([[], {}, ["reply"], {"$ne": 1}, deep(20), deep(200), BOMB]),
        st.lists(st.text(max_size=5), max_size=3),
    )


def changes(
    names: list[str], values: st.SearchStrategy[Any]
) -> st.SearchStrategy[list[tuple[str, Any]]]:
    """1-3 (field, value) changes; a value of ``DROP`` removes the field."""
    return st.lists(
        st.tuples(st.sampled_from(names), st.one_of(st.just(DROP), values)),
        min_size=1,
        max_size=3,
    )


DROP = object()


def grid(names: list[str], values: list[Any]) -> Iterator[list[tuple[str, Any]]]:
    """Every field with every value on its own, and every field missing."""
    for name in names:
        yield [(name, DROP)]
        for value in values:
            yield [(name, value)]


@dataclass
class Acknowledged:
    """What the endpoints said yes to; after the worker ran, each must be stored."""

    tracking_ids: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    external_ids: list[str] = field(default_factory=list)

    def check(self, runtime: Any, work: Callable[[], Any]) -> None:
        work()
        lost = [t for t in self.tracking_ids if not is_stored(runtime, tracking_id=t)]
        lost += [k for k in self.keys if not is_stored(runtime, key=k)]
        lost += [e for e in self.external_ids if not is_stored(runtime, external_id=e)]
        assert lost == [], f"acknowledged and not stored: {lost[:5]}"
        assert failed_jobs(runtime) == []


def is_stored(
    runtime: Any,
    *,
    tracking_id: str | None = None,
    key: str | None = None,
    external_id: str | None = None,
) -> bool:
    """A case with this tracking id, an inbound message with this idempotency key (or this
    provider id, on any channel), or any of them held in the quarantine."""
    with runtime.sessions() as session:
        by_external_id = select(Message.id).where(
            Message.direction == "in", Message.external_id == external_id
        )
        if external_id is not None and session.scalar(by_external_id):
            return True
        by_tracking_id = select(Complaint.id).where(Complaint.tracking_id == tracking_id)
        if tracking_id is not None and session.scalar(by_tracking_id):
            return True
        if key is not None:
            channel, _, external_id = key.partition(":")
            found = session.scalar(
                select(Message.id).where(
                    Message.direction == "in",
                    Message.channel == channel,
                    Message.external_id == external_id,
                )
            )
            if found:
                return True
        for held in session.scalars(select(Quarantine)):
            record = held.record or {}
            if held.idempotency_key == key or record.get("tracking_id") == tracking_id:
                return True
            if external_id is not None and record.get("external_id") == external_id:
                return True
    return False


def failed_jobs(runtime: Any) -> list[str]:
    """Jobs in rq's failed registries, with their reasons: a store that could not be done."""
    failed = []
    for name in QUEUE_NAMES:
        registry = FailedJobRegistry(name, connection=runtime.redis)
        for job in registry.get_job_ids():
            failed.append(f"{name}:{job}")
    return failed


def assert_no_server_error(response: Any, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.get_data()[:300])
