"""Intake's use cases: one normalized record into the case store (``store_record``), and a
drain batch of them, its new complaints set-wise (batch: ``store_records``).

store (the record's order of business), holds (rate limit, low information), new_complaint
(a case, or a join of the sender's open one), commands (CEK, INFO, BATAL, STOP, MULAI,
BANTUAN), replies (the citizen's answer; which channels and words is
dispatcher/reply_policy.py), evidence and the outcome a job enqueues the replies of. Each
takes the caller's session and never commits.
"""

from dispatcher.intake.evidence import SECRET_CHANNELS
from dispatcher.intake.holds import RATE_LIMITED_CHANNEL_VALUES, RATE_LIMITED_CHANNELS
from dispatcher.intake.new_complaint import split_follow_up
from dispatcher.intake.outcome import StoreOutcome
from dispatcher.intake.store import store_record

__all__ = [
    "RATE_LIMITED_CHANNELS",
    "RATE_LIMITED_CHANNEL_VALUES",
    "SECRET_CHANNELS",
    "StoreOutcome",
    "split_follow_up",
    "store_record",
]
