"""The work around a case: forwards outside the district, the audit trail, address opt-outs,
operators' notices and alerts, read marks, citizens' ratings and local holidays."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from casestore.models.base import Base, UTCDateTime, created, intpk, utcnow, when


class Forward(Base):
    """A case handed to an external unit: what was sent, what the remote answered.

    One row per case and unit: the tracking id and the unit make the idempotency key, so a
    second forward of the same case to the same unit finds the remote's first answer.
    """

    __tablename__ = "forwards"
    __table_args__ = (UniqueConstraint("complaint_id", "unit_code"),)

    id: Mapped[intpk]
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    state: Mapped[str] = mapped_column(String(20), index=True)  # queued | sent | refused | done
    remote_id: Mapped[str | None] = mapped_column(String(100))
    remote_token: Mapped[str | None] = mapped_column(String(100))
    remote_status: Mapped[str | None] = mapped_column(String(40))
    # A SatuPintu peer's citizen secret for the case: what lets us read its answer to the
    # reporter (we are the reporter there). Never shown.
    remote_secret: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created]
    sent_at: Mapped[when]
    checked_at: Mapped[when]


class AuditEntry(Base):
    """Who did what to whom, when and from where (issue 19): identity views, exports, case
    actions, logins and failed logins, account changes. Append-only: casestore/audit.py only
    inserts and reads, the session refuses to update or delete one, and the database refuses
    any UPDATE (a trigger from migration 0015)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_actor_at", "actor", "at"),
        Index("ix_audit_log_kind_at", "kind", "at"),
    )

    id: Mapped[intpk]
    at: Mapped[created]
    # The username as typed for a failed login (no such account, perhaps), else the account's.
    actor: Mapped[str] = mapped_column(String(100))
    actor_unit: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    # What it was done to: a tracking id, an account's username, or "" (a login, an export).
    target: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # Where from: the client address as the proxy-aware request saw it, and its browser.
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Codes and counts only (the action, the filters, the row count): never a citizen's words.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AddressOptOut(Base):
    """A typed address (mailto:/tel:) that unsubscribed or that its provider refused for good
    (issue 18). Only ever checked before a send, never joined."""

    __tablename__ = "address_opt_outs"

    id: Mapped[intpk]
    address: Mapped[str] = mapped_column(String(320), unique=True)
    source: Mapped[str] = mapped_column(String(20))  # unsubscribe | refused
    created_at: Mapped[created]


class OperatorNotice(Base):
    """Where and how one operator hears of their unit's work: email, optional phone, which
    kinds of alert, and whether immediately or in the morning digest."""

    __tablename__ = "operator_notices"

    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    delivery: Mapped[str] = mapped_column(String(10), default="immediate")  # | digest
    kinds: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the kinds switched on
    # Immediate alerts also as a short text to ``phone``: "" (off), "sms" or "whatsapp".
    phone_alerts: Mapped[str] = mapped_column(String(10), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class OperatorAlert(Base):
    """One thing an operator is told of a case, alone or in a digest; ``dedupe_key``
    (operator:event) makes the event scan safe to run twice."""

    __tablename__ = "operator_alerts"
    __table_args__ = (Index("ix_operator_alerts_status_operator", "status", "operator_id"),)

    id: Mapped[intpk]
    dedupe_key: Mapped[str] = mapped_column(String(100), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("status_events.id"))
    kind: Mapped[str] = mapped_column(String(20))
    delivery: Mapped[str] = mapped_column(String(10))  # immediate | digest
    status: Mapped[str] = mapped_column(String(20), default="queued")  # | sent | failed
    error_code: Mapped[str | None] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    external_id: Mapped[str | None] = mapped_column(String(200))  # the email's Message-ID
    created_at: Mapped[created]
    sent_at: Mapped[when]


class CaseRead(Base):
    """When the owning unit's admins last opened a case: newer citizen activity is unread."""

    __tablename__ = "case_reads"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Rating(Base):
    """The citizen's satisfaction with a resolved case (SKM-style, 1 to 5), once per case
    (issue 20). The comment is the citizen's words: operators only, never public."""

    __tablename__ = "ratings"

    id: Mapped[intpk]
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(20))
    # The unit that owned the case when it was rated: the one the rating is about.
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    low: Mapped[bool] = mapped_column(Boolean, default=False)  # 1-2: flagged to the coordinator
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LocalHoliday(Base):
    """A day the district's offices are closed beyond the national calendar (a regional
    holiday, a local cuti), added by an operator; deadlines skip it like a national one."""

    __tablename__ = "local_holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    added_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[created]


class CaseOrigin(Base):
    """Where a case forwarded to us came from (issue 21): the peer whose key filed it, its
    own case id, and the URL it wants status changes pushed to. Keyed on our tracking id,
    written by the API request before the case itself is stored."""

    __tablename__ = "case_origins"

    id: Mapped[intpk]
    tracking_id: Mapped[str] = mapped_column(String(32), unique=True)
    peer: Mapped[str] = mapped_column(String(200))  # the partner key's name
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    origin_case_id: Mapped[str] = mapped_column(String(100))
    callback_url: Mapped[str | None] = mapped_column(String(500))
    via: Mapped[str] = mapped_column(String(20), default="api")  # api | open311
    created_at: Mapped[created]


class OriginPush(Base):
    """One status change of a case forwarded to us, pushed back to its origin (signed)."""

    __tablename__ = "origin_pushes"
    __table_args__ = (UniqueConstraint("origin_id", "event_id"),)

    id: Mapped[intpk]
    origin_id: Mapped[int] = mapped_column(ForeignKey("case_origins.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("status_events.id"))
    state: Mapped[str] = mapped_column(String(20), index=True)  # queued | sent | refused
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created]
    sent_at: Mapped[when]


class PushReceipt(Base):
    """A status push a peer sent us, once per (unit, remote id, event id): replays do nothing."""

    __tablename__ = "push_receipts"
    __table_args__ = (UniqueConstraint("unit_code", "remote_id", "event_id"),)

    id: Mapped[intpk]
    unit_code: Mapped[str] = mapped_column(String(64))
    remote_id: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str] = mapped_column(String(64))
    remote_status: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[created]


class ForwardedInfo(Base):
    """Information the citizen added to a forwarded case, passed to the remote once
    (``sent``), or kept with us when the connector has no way to take it (``kept``)."""

    __tablename__ = "forwarded_infos"
    __table_args__ = (UniqueConstraint("forward_id", "message_id"),)

    id: Mapped[intpk]
    forward_id: Mapped[int] = mapped_column(ForeignKey("forwards.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    state: Mapped[str] = mapped_column(String(20), index=True)  # queued | sent | kept | refused
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created]
    sent_at: Mapped[when]


class AddressConfirmation(Base):
    """A typed phone's one-time code (issue 18): the number gets the tracking id and the
    code, and lifecycle updates only once an SMS from that very number answers it. The code
    is never stored: ``salt`` with the server secret derives it, ``code_hash`` checks it.
    Confirming makes the number an address that may be sent updates, never a contact."""

    __tablename__ = "address_confirmations"
    __table_args__ = (Index("ix_address_confirmations_address", "address"),)

    id: Mapped[intpk]
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), unique=True)
    address: Mapped[str] = mapped_column(String(320))
    salt: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # wrong answers from the number
    created_at: Mapped[created]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[when]
