"""The common record: what adapters produce, what travels on the queue, what the store reads.

Frozen dataclasses with a JSON round trip (never pickles, never ORM objects). Enums are str
enums with lowercase values; times are timezone-aware UTC; ``raw`` keeps the provider payload.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Self


class MalformedRecord(ValueError):
    """A record that cannot be read back: the message says which field and why."""


class Channel(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    TWITTER = "twitter"
    WEB = "web"
    API = "api"
    OPEN311 = "open311"
    # Outbound only (issue 18): updates to the email a web/API/Open311 citizen typed.
    EMAIL = "email"
    # Assisted filing (issue 19): an operator enters what a citizen brought to the desk in
    # person (loket), said on the phone (telepon) or sent as a letter (surat).
    LOKET = "loket"
    TELEPON = "telepon"
    SURAT = "surat"


# Channels whose provider proves who wrote (the SMS/WhatsApp sender, the X account): only
# their senders are identities that follow-ups join and contacts are made of. On the others
# (web form, API, Open311) a contact is what someone typed: an address for updates only.
IDENTITY_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP, Channel.TWITTER})
# Channels an operator files on (adapters/desk/): only there does a record name who entered it.
DESK_CHANNELS = frozenset({Channel.LOKET, Channel.TELEPON, Channel.SURAT})


class Intent(StrEnum):
    NEW = "new"
    FOLLOW_UP = "follow_up"
    STATUS_QUERY = "status_query"
    WITHDRAW = "withdraw"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    # "YA 4821": an SMS answering a typed phone's one-time code (issue 18).
    CONFIRM = "confirm"


class Privacy(StrEnum):
    PUBLIC = "public"
    ANONYMOUS = "anonymous"
    CONFIDENTIAL = "confidential"


@dataclass(frozen=True)
class Media:
    """An attachment by reference: a provider URL or a file under the data dir."""

    url: str
    content_type: str = ""
    size: int | None = None


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise MalformedRecord("times must be timezone-aware")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class InboundMessage:
    """One message as an adapter parsed it, before any interpretation."""

    channel: Channel
    provider: str
    external_id: str
    # A contact URN (tel:+62..., twitter:<id>, mailto:...) or "" when unknown: the proven
    # sender on IDENTITY_CHANNELS, what the citizen typed on the others.
    sender: str
    text: str
    received_at: datetime
    recipient: str = ""
    sender_name: str = ""
    media: tuple[Media, ...] = ()
    reply_to: str = ""  # provider id to answer in thread (a tweet id)
    # Email only (issue 18): the subject line and the language of the words around the text.
    subject: str = ""
    language: str = "id"
    link: str = ""  # the case's tracking page, shown as a button
    # Provider ids of the messages this one answers (the tweet it replies to, its thread's
    # first tweet): the store makes it a follow-up when one belongs to the sender's case.
    thread_ids: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    # Fields a form or API states outright; the normalizer trusts them over guesses.
    declared: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        return f"{self.channel.value}:{self.external_id}"


@dataclass(frozen=True)
class ComplaintRecord:
    """One normalized message: a new complaint, or a command about an existing one.

    ``contact_urn`` is the sender a channel proved (IDENTITY_CHANNELS), never anything typed;
    ``update_address`` is the phone or email a web/API/Open311 citizen typed (tel:/mailto:),
    where updates may go once confirmed, and never who the citizen is.
    """

    idempotency_key: str
    tracking_id: str
    intent: Intent
    channel: Channel
    provider: str
    external_id: str
    contact_urn: str
    text: str
    language: str
    privacy: Privacy
    received_at: datetime
    contact_name: str = ""
    target_tracking_id: str | None = None  # the complaint a follow-up/status/withdraw names
    category: str | None = None
    kecamatan_code: str | None = None
    desa_code: str | None = None
    # When the text named several candidates the normalizer refused to guess between them.
    category_candidates: tuple[str, ...] = ()
    location_candidates: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    media: tuple[Media, ...] = ()
    reply_to: str = ""
    thread_ids: tuple[str, ...] = ()  # see InboundMessage.thread_ids
    raw: dict[str, Any] = field(default_factory=dict)
    update_address: str = ""

    def __post_init__(self) -> None:
        if self.contact_urn and self.channel not in IDENTITY_CHANNELS:
            raise MalformedRecord(
                f"{self.channel.value} proves no sender: a typed contact is an update_address"
            )

    def to_dict(self) -> dict[str, Any]:
        # Field by field, not dataclasses.asdict: that deep-copies the provider's raw payload
        # on every webhook, a tenth of the web's CPU per message.
        data = {name: getattr(self, name) for name in _RECORD_FIELDS}
        data["received_at"] = self.received_at.isoformat()
        data["media"] = [dataclasses.asdict(m) for m in self.media]
        data["raw"] = copy.deepcopy(self.raw) if _nested(self.raw) else dict(self.raw)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Rebuild a record from its dict form; raises MalformedRecord naming the bad field."""
        if not isinstance(data, dict):
            raise MalformedRecord(f"record must be an object, not {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise MalformedRecord(f"unknown fields: {', '.join(sorted(unknown))}")
        values = dict(data)
        try:
            values["intent"] = Intent(values["intent"])
            values["channel"] = Channel(values["channel"])
            values["privacy"] = Privacy(values["privacy"])
            values["received_at"] = _utc(datetime.fromisoformat(values["received_at"]))
            values["media"] = tuple(Media(**m) for m in values.get("media") or ())
            for name in ("category_candidates", "location_candidates", "thread_ids"):
                values[name] = tuple(str(v) for v in values.get(name) or ())
        except KeyError as exc:
            raise MalformedRecord(f"missing field: {exc.args[0]}") from exc
        except (TypeError, ValueError) as exc:
            raise MalformedRecord(str(exc)) from exc
        if values["channel"] not in IDENTITY_CHANNELS and values.get("contact_urn"):
            # Queued, spooled or held before issue 13, when a typed contact was a contact_urn.
            values["update_address"] = values.get("update_address") or values["contact_urn"]
            values["contact_urn"] = ""
        for name in ("idempotency_key", "tracking_id", "external_id", "contact_urn", "text"):
            if not isinstance(values.get(name), str):
                raise MalformedRecord(f"{name} must be a string")
        if not values["idempotency_key"] or not values["tracking_id"]:
            raise MalformedRecord("idempotency_key and tracking_id must not be empty")
        try:
            return cls(**values)
        except TypeError as exc:
            raise MalformedRecord(str(exc)) from exc

    @classmethod
    def from_json(cls, text: str) -> Self:
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as exc:
            raise MalformedRecord(f"not JSON: {exc}") from exc
        return cls.from_dict(data)


@dataclass(frozen=True)
class OutboundMessage:
    """A reply on its way to a citizen, as a notify job hands it to an adapter's send()."""

    message_id: int
    channel: Channel
    to: str  # the contact URN
    text: str
    reply_to: str = ""  # provider id to answer in thread (a tweet id)
    # Email only (issue 18): the subject line and the language of the words around the text.
    subject: str = ""
    language: str = "id"
    link: str = ""  # the case's tracking page, shown as a button


@dataclass(frozen=True)
class SendResult:
    external_id: str
    status: str = "sent"


_RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(ComplaintRecord))


def _nested(raw: dict[str, Any]) -> bool:
    """Whether a raw payload holds containers (a copy must not share them with the record)."""
    return any(isinstance(value, dict | list) for value in raw.values())
