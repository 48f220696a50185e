"""A citizen's SMS or WhatsApp reply to the rating question (issue 20; the question and the
reply's grammar are dispatcher/rating.py), taken before intake's holds: a lone "4" would
otherwise be held as too thin a complaint. Anything that is not a rating of an asked,
resolved, unrated case in its answer window falls through to intake untouched.
"""

from __future__ import annotations

from casestore import complaints as cases
from casestore.accountability import LOW_SCORES, awaiting_rating, record_rating
from casestore.contacts import contact_by_urn
from casestore.db import Session
from dispatcher.intake.outcome import StoreOutcome
from dispatcher.intake.replies import answer, send_answers
from dispatcher.rating import ASKED, parse_rating, rating_channels
from dispatcher.runtime import Runtime
from normalizer.records import ComplaintRecord, Intent


def rating_reply(
    session: Session, record: ComplaintRecord, runtime: Runtime
) -> StoreOutcome | None:
    """Rate the sender's asked, resolved case when ``record`` is a rating reply, with the
    thanks queued; None when it is not one (intake goes on as before)."""
    if record.intent is not Intent.NEW or record.channel not in rating_channels():
        return None
    parsed = parse_rating(record.text)
    if parsed is None or not record.contact_urn:
        return None
    contact = contact_by_urn(session, record.contact_urn)
    if contact is None:
        return None
    complaint = awaiting_rating(session, contact.id, asked=ASKED, now=record.received_at)
    if complaint is None:
        return None
    inbound = cases.claim_inbound(session, record, contact)
    if inbound is None:  # the provider delivered this reply before
        return StoreOutcome(tracking_id=complaint.tracking_id, duplicate_delivery=True)
    cases.file_under(inbound, complaint)
    score, comment = parsed
    outcome = StoreOutcome(tracking_id=None)
    outcome.names(complaint)
    # awaiting_rating checked all record_rating asks for, so it does not refuse here.
    record_rating(
        session,
        complaint,
        score,
        comment=comment,
        channel=record.channel.value,
        now=record.received_at,
    )
    template = "rating_thanks_low" if score in LOW_SCORES else "rating_thanks"
    answer(record, contact, complaint, template, outcome)
    return send_answers(session, record, runtime, contact, outcome)
