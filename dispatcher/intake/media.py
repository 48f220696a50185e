"""A photo and its words (``media_only`` records): MMS and WhatsApp send a photo and its
text as separate messages as often as not, in either order.

- A photo with no words, after the sender's complaint (an open case of theirs received within
  SATUPINTU_TRIAGE_ASK_WINDOW), is attached to that complaint.
- Otherwise it waits in the quarantine (``awaiting_text``) for SATUPINTU_TRIAGE_MEDIA_WAIT
  seconds; the sender's next text in that time takes it along (3 photos + a text: one case
  with 3 attachments).
- A photo nothing joined becomes a case of its own, and the sender is asked what it shows
  (``settle_waiting_media``, run by the scheduler).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from casestore import complaints as cases
from casestore.db import Session
from casestore.duplicates import open_cases_of_contact
from casestore.models import Contact
from casestore.vocabulary import EventKind, HoldReason
from dispatcher.casework import resume_if_waiting
from dispatcher.intake.evidence import attach_files
from dispatcher.intake.holds import hold
from dispatcher.intake.holds import join_waiting_media as join_waiting_media  # store.py's
from dispatcher.intake.outcome import StoreOutcome
from dispatcher.intake.replies import answer
from dispatcher.runtime import Runtime
from normalizer.records import ComplaintRecord

log = logging.getLogger(__name__)


def photo_without_words(
    session: Session, record: ComplaintRecord, runtime: Runtime, contact: Contact | None
) -> StoreOutcome:
    """Attach a wordless photo to the sender's fresh complaint, or let it wait for words."""
    window = timedelta(seconds=runtime.settings.triage_ask_window)
    recent = (
        open_cases_of_contact(session, contact.id, record.received_at, window, 1)
        if contact is not None and contact.id is not None
        else []
    )
    recent = [c for c in recent if c.received_at <= record.received_at]
    if not recent:
        return hold(session, record, runtime, HoldReason.AWAITING_TEXT, contact)
    complaint = recent[0]
    inbound = cases.claim_inbound(session, record, contact)
    if inbound is None:  # a provider retry of a photo already attached
        return StoreOutcome(tracking_id=complaint.tracking_id, duplicate_delivery=True)
    cases.file_under(inbound, complaint)
    attach_files(session, complaint, record)
    cases.add_event(
        session,
        complaint,
        EventKind.FOLLOW_UP,
        reason="media",
        note=f"Pelapor mengirim {len(record.media)} foto/berkas tambahan tanpa teks.",
        public=False,
        data={"media": len(record.media)},
    )
    outcome = StoreOutcome(tracking_id=complaint.tracking_id, complaint=complaint)
    outcome.outbound_ids.extend(  # a photo answers "minta keterangan" too (issue 20)
        resume_if_waiting(session, complaint, runtime, now=record.received_at)
    )
    answer(record, contact, complaint, "follow_up_added", outcome)
    return outcome
