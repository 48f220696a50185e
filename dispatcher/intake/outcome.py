"""What storing one record came to: the case it names, and the replies to enqueue."""

from __future__ import annotations

from dataclasses import dataclass, field

from casestore.models import Complaint


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

    def names(self, complaint: Complaint) -> None:
        """The outcome is about ``complaint``."""
        self.tracking_id, self.complaint = complaint.tracking_id, complaint
