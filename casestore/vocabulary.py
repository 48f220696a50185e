"""The case store's words: every status, direction and kind a column holds, as ``str`` enums,
the groups of statuses the lifecycle and the queries speak of, and the actions operators take.

The values are what the tables have always held (lowercase strings in VARCHAR columns), so
no data changes; ``EnumText`` gives them back as members and refuses a value that is none.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import String, TypeDecorator


class Status(StrEnum):
    """Where a case is in the LAPOR! lifecycle (casestore/lifecycle.py)."""

    RECEIVED = "received"  # belum terverifikasi
    VERIFIED = "verified"
    DISPATCHED = "dispatched"  # disposisi ke unit
    IN_PROGRESS = "in_progress"  # ditindaklanjuti
    RESOLVED = "resolved"  # selesai
    CLOSED = "closed"
    REJECTED = "rejected"
    ARCHIVED = "archived"
    BOUNCED = "bounced"  # bukan wewenang: back to the coordinator
    DUPLICATE = "duplicate"
    # Asked for information, waiting for the citizen's answer (issue 20): the owner's clock
    # pauses when the case's SLA policy says so (casestore/transitions.py, pause_clock).
    WAITING_REPORTER = "waiting_reporter"  # menunggu tanggapan pelapor


OPEN_STATUSES = frozenset(
    {
        Status.RECEIVED,
        Status.VERIFIED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.BOUNCED,
        Status.WAITING_REPORTER,
    }
)
FINAL_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.ARCHIVED, Status.DUPLICATE})
# Open cases whose owner has a deadline to meet (a resolved case waits for the citizen, and
# so does one asked for information: neither is warned nor escalated).
WATCHED_STATUSES = OPEN_STATUSES - {Status.RESOLVED, Status.WAITING_REPORTER}
PRIVACY_LEVELS = ("public", "anonymous", "confidential")


class Action(StrEnum):
    VERIFY = "verify"
    DISPATCH = "dispatch"
    BOUNCE = "bounce"
    START = "start"
    RESOLVE = "resolve"
    REJECT = "reject"
    ARCHIVE = "archive"
    CLOSE = "close"
    REOPEN = "reopen"  # the citizen answered within the window after resolution
    MARK_DUPLICATE = "mark_duplicate"
    UNLINK_DUPLICATE = "unlink_duplicate"
    SET_PRIVACY = "set_privacy"
    REPLY = "reply"  # a message to the reporter, no status change
    ASK_REPORTER = "ask_reporter"  # minta keterangan: a question to the citizen, then wait
    RESUME = "resume"  # the citizen answered (or the wait ran out): back to the owner


class Direction(StrEnum):
    IN = "in"  # the citizen wrote
    OUT = "out"  # we replied


class DeliveryStatus(StrEnum):
    """A message's state: ``received`` for an inbound one; an outbound one moves forward
    from ``queued`` (casestore/delivery.py ranks them)."""

    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"
    SUPPRESSED = "suppressed"  # never sent: the contact opted out
    # Never sent: no way to reach the contact now (WhatsApp's 24-hour window closed, no
    # template mapped, no SMS to fall back to); ``error_code`` says which.
    UNSENDABLE = "unsendable"


class DownloadState(StrEnum):
    """A provider media file on its way into the attachment store (dispatcher/media.py)."""

    PENDING = "pending"  # queued, or failed and waiting for a retry
    STORED = "stored"  # ours now: an attachment row names it
    FAILED = "failed"  # retries spent, or refused for good (too large, a type we refuse)


class EventKind(StrEnum):
    """What a status event records when it is not a lifecycle action: what intake, duplicate
    detection and the SLA sweep wrote. An event's kind is an ``Action`` or one of these."""

    # intake
    RECEIVED = "received"
    ROUTED = "routed"
    FOLLOW_UP = "follow_up"
    FOLLOW_UP_SPLIT = "follow_up_split"
    # duplicate detection
    DUPLICATE_SUGGESTED = "duplicate_suggested"
    DUPLICATE_REJECTED = "duplicate_rejected"
    # the SLA sweep
    SLA_WARNING = "sla_warning"
    ESCALATED = "escalated"
    # the citizen's rating of a resolution (issue 20)
    RATED = "rated"


class LinkState(StrEnum):
    """A duplicate link: suggested by intake, then decided by an operator."""

    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class HoldReason(StrEnum):
    """Why intake held a message in the quarantine."""

    RATE_LIMITED = "rate_limited"
    LOW_INFORMATION = "low_information"
    # Triage (issue 15): junk of a kind, a verdict too unsure to open a case, a photo
    # waiting for its sender's text.
    SPAM = "spam"
    FRAUD = "fraud"
    PROMO = "promo"
    CHATTER = "chatter"
    EMPTY = "empty"
    UNCERTAIN = "uncertain"
    AWAITING_TEXT = "awaiting_text"


class Resolution(StrEnum):
    """What an operator did with a held message."""

    RELEASED = "released"
    REJECTED = "rejected"
    SPAM = "spam"  # rejected as spam: a labelled junk example for the next model
    JOINED = "joined"  # a waiting photo that joined its sender's text or complaint


class EnumText(TypeDecorator):
    """``str`` enums stored as their values in a VARCHAR (the same column as before).

    Binding accepts a member or its value; anything else is refused before it reaches the
    table. Rows come back as members, of the first enum that has the value.
    """

    impl = String
    cache_ok = True

    def __init__(self, *enums: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enums = enums

    def _member(self, value: Any) -> StrEnum:
        for enum in self.enums:
            if value in enum._value2member_map_:
                return enum._value2member_map_[value]
        names = " or ".join(enum.__name__ for enum in self.enums)
        raise ValueError(f"{value!r} is not a {names}")

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self._member(value).value

    def process_result_value(self, value: Any, dialect: Any) -> StrEnum | None:
        return None if value is None else self._member(value)

    def copy(self, **kw: Any) -> EnumText:
        return EnumText(*self.enums, length=self.impl.length)
