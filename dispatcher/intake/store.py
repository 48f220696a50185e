"""store_record: one normalized record into the case store, in the caller's transaction.

In order: whose thread it answers (a reply tweet), the photos its sender sent just before
(media), the triage verdict, who sent it and whether it must wait for an operator (holds:
rate limit, junk, an unsure verdict, too thin; a photo with no words waits for its text or
joins the sender's complaint), the claim of the inbound message (a provider retry stops
here), the use case its intent names (a new complaint, or a command about a case or the
sender), and last the replies the use case decided.
"""

from __future__ import annotations

import dataclasses

from casestore import complaints as cases
from casestore.accountability import awaiting_answer
from casestore.contacts import Sender, contact_by_urn
from casestore.db import Session
from casestore.lifecycle import OPEN_STATUSES
from dispatcher.intake.commands import COMMANDS
from dispatcher.intake.holds import media_only, screen, triage_of
from dispatcher.intake.media import join_waiting_media, photo_without_words
from dispatcher.intake.new_complaint import new_case
from dispatcher.intake.outcome import StoreOutcome
from dispatcher.intake.rating import rating_reply
from dispatcher.intake.replies import send_answers
from dispatcher.rating import rating_channels
from dispatcher.runtime import Runtime
from normalizer.records import ComplaintRecord, Intent
from normalizer.triage import Verdict


class Untriaged:
    """No verdict was handed over: store_record asks triage itself."""


UNTRIAGED = Untriaged()


def store_record(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    *,
    check_rate_limit: bool = True,
    template: str = "",
    verdict: Verdict | Untriaged | None = UNTRIAGED,
) -> StoreOutcome:
    """Apply one record; a second delivery of the same message changes nothing.

    ``check_rate_limit=False`` is for a record an operator released from quarantine (or a
    photo that waited for words in vain): it skips the holds (rate limit, triage, the
    low-information check). ``template`` replaces the acknowledgement of a new case.
    ``verdict``: triage's on this very record, when the caller asked already (the drain
    batch triages every record first, dispatcher/intake/batch.py).
    """
    # First: "ok, makasih" in reply to our tweet is a follow-up, not a thin new message.
    record = _thread_follow_up(session, record)
    if (rated := rating_reply(session, record, runtime)) is not None:  # "4": a rating (issue 20)
        return rated
    record = _answer_to_question(session, record)
    waits = check_rate_limit and media_only(record)
    if isinstance(verdict, Untriaged):
        verdict = triage_of(record, runtime) if check_rate_limit and not waits else None
    sender, held = screen(session, record, runtime, verdict, check=check_rate_limit)
    if held is None and waits:
        held = photo_without_words(session, record, runtime, sender.contact)
    elif held is None and check_rate_limit and not sender.created:
        # A sender seen before may have photos waiting for these words (a new one has none).
        record = join_waiting_media(session, record, runtime)
    outcome = held or _apply(session, record, runtime, sender, verdict, template)
    return send_answers(session, record, runtime, sender.contact, outcome)


def _apply(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    sender: Sender,
    verdict: Verdict | None = None,
    template: str = "",
) -> StoreOutcome:
    """Claim the inbound message, then run the use case its intent names."""
    inbound = cases.claim_inbound(session, record, sender.contact)
    if inbound is None:
        earlier = cases.inbound_message(session, record.channel.value, record.external_id)
        complaint = earlier.complaint if earlier else None
        return StoreOutcome(
            tracking_id=complaint.tracking_id if complaint else None, duplicate_delivery=True
        )
    if record.intent is Intent.NEW:
        # A contact created just now has no cases to follow up.
        outcome = new_case(
            session,
            record,
            runtime,
            sender.contact,
            first_contact=sender.created,
            verdict=verdict,
            template=template,
        )
    else:
        outcome = COMMANDS[record.intent](session, record, runtime, sender.contact)
    if outcome.tracking_id:
        complaint = outcome.complaint
        if complaint is None or complaint.tracking_id != outcome.tracking_id:
            complaint = cases.complaint_by_tracking_id(session, outcome.tracking_id)
        if complaint is not None and inbound.complaint_id is None:
            cases.file_under(inbound, complaint)
    return outcome


def _thread_follow_up(session: Session, record: ComplaintRecord) -> ComplaintRecord:
    """A new message in the thread of the sender's open case (a reply to our reply tweet)
    follows that case up. Only the store can tell whose thread it is, so the normalizer
    leaves it new; a reply in someone else's thread, or a closed case's, stays new.
    """
    if record.intent is not Intent.NEW or not record.thread_ids:
        return record
    complaint = cases.complaint_in_thread(
        session, record.channel.value, record.thread_ids, record.contact_urn
    )
    if complaint is None or complaint.status not in OPEN_STATUSES:
        return record
    return dataclasses.replace(
        record, intent=Intent.FOLLOW_UP, target_tracking_id=complaint.tracking_id
    )


def _answer_to_question(session: Session, record: ComplaintRecord) -> ComplaintRecord:
    """A plain SMS or WhatsApp message from a citizen whose case waits for their answer
    ("minta keterangan", issue 20) is that answer: it follows the case up (and resumes it),
    as an ``INFO <id> ...`` would, instead of opening a new case."""
    if record.intent is not Intent.NEW or record.channel not in rating_channels():
        return record
    if not record.contact_urn:
        return record
    contact = contact_by_urn(session, record.contact_urn)
    complaint = awaiting_answer(session, contact.id) if contact is not None else None
    if complaint is None:
        return record
    return dataclasses.replace(
        record, intent=Intent.FOLLOW_UP, target_tracking_id=complaint.tracking_id
    )
