"""The citizen's rating of a resolved case, on their channel (issue 20, SKM-style).

When a case is resolved, an SMS or WhatsApp citizen is asked once (``ask_for_rating``, from
dispatcher/casework.told) to reply with one digit, 1 to 5, or ``NILAI <digit> <comment>``.
dispatcher/intake/rating.py takes such a reply before intake's holds (a lone digit would
otherwise be held as too thin a complaint): it rates the sender's most recently resolved
case that was asked, is still in its answer window and is not rated yet; anything else falls
through to intake untouched. A rating of 1 or 2 is flagged to the coordinator (the console's home).

Web and API citizens rate on the tracking page with their secret code
(gateway/public/rating.py). The comment is the citizen's words: it stays with the operators.
"""

from __future__ import annotations

import re

from casestore import complaints as cases
from casestore.db import Session
from casestore.lifecycle import Action
from casestore.models import Complaint, StatusEvent
from dispatcher.reply_policy import (
    PUBLIC_REPLY_CHANNELS,
    REPLY_CHANNELS,
    REPLY_LIMITS,
    reply_values,
)
from dispatcher.runtime import Runtime
from normalizer.records import Channel
from normalizer.replies import render_reply

ASKED = "rating_ask"  # the outbound message's intent: this case's citizen was asked
# "4", "4.", "NILAI 4", "nilai 2 lambat sekali", "RATE 5 thanks": only a lone digit, or the
# keyword, is a rating; "3 lampu jalan mati" is a new complaint that starts with a number.
RATING = re.compile(
    r"\s*(?:(?:nilai|rate|rating)\s+([1-5])(?:\s+(.*))?|([1-5])[.!]?)\s*",
    re.IGNORECASE | re.DOTALL,
)


def rating_channels() -> frozenset[Channel]:
    """Where the citizen is asked by message: private replies (SMS, WhatsApp), not a public
    reply tweet."""
    return frozenset(REPLY_CHANNELS - PUBLIC_REPLY_CHANNELS)


def ask_for_rating(
    session: Session, complaint: Complaint, event: StatusEvent, runtime: Runtime
) -> list[int]:
    """After a resolution: queue the one question to the citizen (its message id)."""
    if event.kind != Action.RESOLVE or Channel(complaint.channel) not in rating_channels():
        return []
    contact = complaint.contact
    if contact is None or contact.opted_out:
        return []
    language = complaint.language or "id"
    body = render_reply(
        runtime.replies,
        ASKED,
        language,
        fits_channel=REPLY_LIMITS.get(Channel(complaint.channel)),
        **reply_values(runtime, complaint, language),
    )
    message = cases.queue_reply(
        session,
        dedupe_key=f"{ASKED}:{complaint.id}",  # once per case, however often it is resolved
        channel=complaint.channel,
        contact=contact,
        complaint=complaint,
        body=body,
        reply_to=complaint.reply_to,
        intent=ASKED,
    )
    if message is None:
        return []
    session.flush()
    return [message.id]


def parse_rating(text: str) -> tuple[int, str] | None:
    """(score, comment) when ``text`` is a rating reply, else None."""
    found = RATING.fullmatch(text or "")
    if found is None:
        return None
    digit = found.group(1) or found.group(3)
    return int(digit), (found.group(2) or "").strip()
