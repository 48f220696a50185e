"""Intake's use cases: one normalized record into the case store (``store_record``).

new_complaint (a case, or a join of the sender's open one), commands (CEK, INFO, BATAL,
STOP, MULAI, BANTUAN), holds (rate limit, low information), replies (the citizen's answer)
and the outcome a job enqueues the replies of. Each takes the caller's session and never
commits.
"""

from dispatcher.intake.holds import RATE_LIMITED_CHANNEL_VALUES, RATE_LIMITED_CHANNELS
from dispatcher.intake.new_complaint import split_follow_up
from dispatcher.intake.outcome import StoreOutcome
from dispatcher.intake.replies import (
    PUBLIC_REPLY_CHANNELS,
    REPLY_CHANNELS,
    REPLY_LIMITS,
    reply_values,
)
from dispatcher.intake.store import store_record

__all__ = [
    "PUBLIC_REPLY_CHANNELS",
    "RATE_LIMITED_CHANNELS",
    "RATE_LIMITED_CHANNEL_VALUES",
    "REPLY_CHANNELS",
    "REPLY_LIMITS",
    "StoreOutcome",
    "reply_values",
    "split_follow_up",
    "store_record",
]
