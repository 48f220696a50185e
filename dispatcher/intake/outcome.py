"""What storing one record came to: the case it names, the replies decided, and the queued
messages to enqueue."""

from __future__ import annotations

from dataclasses import dataclass, field

from casestore.models import Complaint


@dataclass(frozen=True)
class Answer:
    """A reply the sender is to get: its template, the case it is about, and the key that
    makes it once per record (the template's name unless given)."""

    template: str
    complaint: Complaint | None = None
    key: str | None = None


@dataclass
class StoreOutcome:
    tracking_id: str | None
    created: bool = False
    duplicate_delivery: bool = False
    outbound_ids: list[int] = field(default_factory=list)
    quarantined: bool = False
    # The complaint ``tracking_id`` names, when the handler had it in hand (saves a lookup);
    # an object of the caller's session, never part of a job's result.
    complaint: Complaint | None = field(default=None, repr=False, compare=False)
    # Replies decided but not queued yet (dispatcher.intake.replies.send_answers queues them).
    answers: list[Answer] = field(default_factory=list, repr=False, compare=False)

    def names(self, complaint: Complaint) -> None:
        """The outcome is about ``complaint``."""
        self.tracking_id, self.complaint = complaint.tracking_id, complaint
