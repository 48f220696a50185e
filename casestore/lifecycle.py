"""Case statuses (LAPOR!-style) and which transitions the lifecycle allows."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
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


OPEN_STATUSES = frozenset(
    {
        Status.RECEIVED,
        Status.VERIFIED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.BOUNCED,
    }
)
FINAL_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.ARCHIVED, Status.DUPLICATE})
