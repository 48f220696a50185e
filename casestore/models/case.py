"""The case itself and who touches it: units, contacts, complaints, messages, events,
duplicates, quarantine, channel state, attachments and media, operators, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casestore.models.base import Base, UTCDateTime, created, intpk, utcnow, when
from casestore.vocabulary import (
    Action,
    DeliveryStatus,
    Direction,
    DownloadState,
    EnumText,
    EventKind,
    HoldReason,
    LinkState,
    Resolution,
    Status,
)


class Unit(Base):
    """A coordinator, an agency (OPD) or a kecamatan office that can own complaints."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))  # coordinator | agency | kecamatan
    kecamatan_code: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Outside the district: a case dispatched here is forwarded (issue 21).
    external: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Contact(Base):
    """A citizen as a channel proved them: one URN (tel:+62..., twitter:123, mailto:...).

    Only a proven sender (an SMS or WhatsApp number, an X account) becomes a contact; what
    someone typed on a form is a complaint's ``update_address``, never a contact (issue 13).
    """

    __tablename__ = "contacts"

    id: Mapped[intpk]
    urn: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="id")
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[when]
    # The contact's last inbound WhatsApp message: free text may go back for 24 hours after
    # it, templates only after that (dispatcher/delivery.py).
    last_whatsapp_at: Mapped[when]
    created_at: Mapped[created]


class Complaint(Base):
    """One case. ``owner_unit`` is never empty: nothing is ever unowned."""

    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_owner_status", "owner_unit", "status"),
        Index("ix_complaints_contact_received", "contact_id", "received_at"),
        # The SLA sweep looks for due warnings and breaches (dispatcher/sla.py); duplicate
        # suggestions look for recent cases of one category in one place (issue 6).
        Index("ix_complaints_due_at", "due_at"),
        Index("ix_complaints_warn_at", "warn_at"),
        Index("ix_complaints_category_place", "category", "kecamatan_code", "received_at"),
    )

    id: Mapped[intpk]
    tracking_id: Mapped[str] = mapped_column(String(16), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    # The proven identity who filed it (SMS, WhatsApp, X); None on the web, API and Open311.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    # What a web/API/Open311 citizen typed, normalized (tel:+62... or mailto:...): only where
    # updates may go. Never looked up, joined or merged as a citizen. A typed phone must be
    # confirmed (a one-time code answered by SMS) before it is sent anything but the tracking
    # id. 320 characters: "mailto:" and the longest address (254) do not fit 255.
    update_address: Mapped[str] = mapped_column(String(320), default="", server_default="")
    # The name given with this complaint (typed, or the channel's display name); never copied
    # onto a contact.
    reporter_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    owner_unit: Mapped[str] = mapped_column(ForeignKey("units.code"), nullable=False)
    status: Mapped[Status] = mapped_column(EnumText(Status, length=20), index=True)
    privacy: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(64))
    kecamatan_code: Mapped[str | None] = mapped_column(String(20))
    desa_code: Mapped[str | None] = mapped_column(String(20))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="id")
    reply_to: Mapped[str] = mapped_column(String(64), default="")
    citizen_secret_hash: Mapped[str | None] = mapped_column(String(128))
    master_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[created]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    due_at: Mapped[when]
    hard_due_at: Mapped[when]
    # When the owner is warned of the coming deadline (cleared once warned), and when the
    # case was escalated to the coordinator for missing it; both reset on every transition.
    warn_at: Mapped[when]
    escalated_at: Mapped[when]
    # The SLA policy version in force when the case was received (config/sla_policy.py,
    # issue 20): a new version of the rules applies to new cases only.
    sla_policy_version: Mapped[str | None] = mapped_column(String(40))
    # The operator who filed it for the citizen at the desk (loket, telepon, surat; issue
    # 19); None for what citizens sent themselves.
    entered_by: Mapped[str | None] = mapped_column(String(100))
    # Working days the owner's clocks stood still while the case waited for the reporter
    # (issue 20): the scoreboard's working times leave them out.
    paused_working_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    contact: Mapped[Contact | None] = relationship()
    unit: Mapped[Unit] = relationship()
    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="complaint", order_by="StatusEvent.id"
    )


class Message(Base):
    """Every inbound and outbound message; provider retries collide on the unique key."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "direction", "external_id"),
        Index("ix_messages_complaint", "complaint_id"),
        # The console's intake counts: per channel, by time (casestore/stats.py).
        Index("ix_messages_direction_channel_received", "direction", "channel", "received_at"),
        # The per-sender SMS limit counts one contact's messages in a window (issue 3).
        Index("ix_messages_contact_received", "contact_id", "received_at"),
        # The outbox sweep finds replies left queued when their notify job was lost.
        Index("ix_messages_direction_status_created", "direction", "status", "created_at"),
    )

    id: Mapped[intpk]
    direction: Mapped[Direction] = mapped_column(EnumText(Direction, length=3))
    channel: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(40), default="")
    external_id: Mapped[str | None] = mapped_column(String(200))
    # Outbound only: what this message is about, so a retried notify job never sends twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    intent: Mapped[str] = mapped_column(String(20), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reply_to: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[DeliveryStatus] = mapped_column(EnumText(DeliveryStatus, length=20))
    error_code: Mapped[str | None] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[when]
    created_at: Mapped[created]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Outbound to the mailto:/tel: a web/API/Open311 citizen typed (issue 18): sent to only.
    address: Mapped[str | None] = mapped_column(String(320))

    complaint: Mapped[Complaint | None] = relationship()
    contact: Mapped[Contact | None] = relationship()


class StatusEvent(Base):
    """What happened to a complaint, by whom, and why: the audit trail and the timeline."""

    __tablename__ = "status_events"
    __table_args__ = (Index("ix_status_events_complaint", "complaint_id", "id"),)

    id: Mapped[intpk]
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    kind: Mapped[Action | EventKind] = mapped_column(EnumText(Action, EventKind, length=30))
    from_status: Mapped[Status | None] = mapped_column(EnumText(Status, length=20))
    to_status: Mapped[Status | None] = mapped_column(EnumText(Status, length=20))
    from_unit: Mapped[str | None] = mapped_column(String(64))
    to_unit: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100), default="system")
    reason: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")  # internal: operators only, never sent
    # What the citizen reads: sent on their channel, on the tracking page only with the code.
    message_to_reporter: Mapped[str] = mapped_column(Text, default="", server_default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # a step on the public timeline
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[created]

    complaint: Mapped[Complaint] = relationship(back_populates="events")


class DuplicateLink(Base):
    """A suggested or confirmed link from a complaint to the master case it repeats."""

    __tablename__ = "duplicate_links"
    __table_args__ = (UniqueConstraint("complaint_id", "master_id"),)

    id: Mapped[intpk]
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    master_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    state: Mapped[LinkState] = mapped_column(EnumText(LinkState, length=20))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[when]
    created_at: Mapped[created]


class Quarantine(Base):
    """Messages held back (rate limit, low information, spam) until an operator decides."""

    __tablename__ = "quarantine"

    id: Mapped[intpk]
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    contact_urn: Mapped[str] = mapped_column(String(255), default="", index=True)
    reason: Mapped[HoldReason] = mapped_column(EnumText(HoldReason, length=40))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The triage verdict (normalizer/triage.py's Verdict.to_dict()), when triage held it.
    triage: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[created]
    resolved_at: Mapped[when]
    resolution: Mapped[Resolution | None] = mapped_column(EnumText(Resolution, length=20))
    resolved_by: Mapped[str | None] = mapped_column(String(100))


class ChannelState(Base):
    """Per-channel cursor and health: Twitter's since_id, last error, last message seen."""

    __tablename__ = "channel_state"

    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(100))
    healthy: Mapped[bool] = mapped_column(Boolean, default=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_received_at: Mapped[when]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Attachment(Base):
    """A file a citizen uploaded, kept under the data dir; shown to operators only."""

    __tablename__ = "attachments"

    id: Mapped[intpk]
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    # Where a provider's file came from (Twilio's or X's URL): provenance, never storage.
    source_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created]


class MediaDownload(Base):
    """One provider media file of one inbound message, fetched by a job into our store.

    Keyed by the message's idempotency key and the file's position; ``attachment_id`` is set
    once the file is stored and the message's case is known.
    """

    __tablename__ = "media_downloads"
    __table_args__ = (UniqueConstraint("idempotency_key", "position"),)

    id: Mapped[intpk]
    idempotency_key: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    source_url: Mapped[str] = mapped_column(Text)
    claimed_type: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[DownloadState] = mapped_column(EnumText(DownloadState, length=20))
    error: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    created_at: Mapped[created]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Operator(Base):
    """A person who handles cases: the coordinator or a unit's admin."""

    __tablename__ = "operators"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # coordinator | unit
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Part of every session id: bumped on logout, password change and disable, so a cookie
    # saved before any of them no longer opens the console (on any web process, after restarts).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[created]
    last_login_at: Mapped[when]


class ApiKey(Base):
    """A partner system's key; only a hash is kept, the prefix finds it."""

    __tablename__ = "api_keys"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    created_at: Mapped[created]
    revoked_at: Mapped[when]
    last_used_at: Mapped[when]
