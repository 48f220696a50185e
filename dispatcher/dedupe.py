"""Follow-ups and duplicates at intake: does a new message belong to a case already open?

- The same contact writing a similar text within 72 hours is following up their own case:
  the message joins it (``follow_up_target``).
- Different contacts (or web/API citizens, who have none) writing a similar text about the
  same category and kecamatan within 7 days may be reporting the same problem: the newer
  case gets a *suggested* link to the older one, which an operator confirms or rejects
  (``suggest_master``).

"The same contact" is always a proven identity (the SMS/WhatsApp sender, the X account):
a phone or email typed on a form is the case's ``update_address``, not a contact, so two
forms that typed one number are two citizens, and an SMS from that number is a third.

Both are events on the case that an operator reads and can undo (split the message off,
reject or unlink the duplicate). Similarity is dispatcher/similarity.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from casestore.complaints import complaint_by_id
from casestore.db import Session
from casestore.duplicates import master_candidates, open_cases_of_contact, suggest_duplicate
from casestore.models import Complaint, Contact
from dispatcher.similarity import DUPLICATE_THRESHOLD, FOLLOW_UP_THRESHOLD, Gist, similarity
from normalizer.records import ComplaintRecord
from normalizer.tracking import format_tracking_id

FOLLOW_UP_WINDOW = timedelta(hours=72)
DUPLICATE_WINDOW = timedelta(days=7)
MAX_CANDIDATES = 50  # the newest cases compared; a district sees far fewer in a week and place


@dataclass(frozen=True)
class Match:
    complaint: Complaint
    score: float


def _gist(complaint: Complaint) -> Gist:
    return _gist_of(
        complaint.description,
        complaint.category,
        complaint.kecamatan_code,
        complaint.desa_code,
    )


# The same open cases are the candidates of every new one in their place for days: their
# gists (immutable) are kept rather than worked out from the text again for each comparison.
@functools.lru_cache(maxsize=2048)
def _gist_of(
    text: str, category: str | None, kecamatan_code: str | None, desa_code: str | None
) -> Gist:
    return Gist.of(text, category, kecamatan_code, desa_code)


def _best(gist: Gist, candidates: list[Complaint], threshold: float) -> Match | None:
    scored = [Match(c, similarity(gist, _gist(c))) for c in candidates]
    scored = [m for m in scored if m.score >= threshold]
    # The closest; between equals, the newest (the case the citizen is most likely about).
    return max(scored, key=lambda m: (m.score, m.complaint.received_at), default=None)


def follow_up_target(
    session: Session, record: ComplaintRecord, contact: Contact | None
) -> Match | None:
    """The contact's open case from the last 72 hours that ``record`` repeats, if any."""
    if contact is None or contact.id is None:
        return None
    candidates = open_cases_of_contact(
        session, contact.id, record.received_at, FOLLOW_UP_WINDOW, MAX_CANDIDATES
    )
    gist = Gist.of(record.text, record.category, record.kecamatan_code, record.desa_code)
    return _best(gist, candidates, FOLLOW_UP_THRESHOLD)


def suggest_master(session: Session, complaint: Complaint, *, now: datetime) -> Match | None:
    """Link a new case to the open case of another contact it most likely repeats.

    Only cases with a known category and kecamatan are compared ("same place" must mean
    something); masters are the open cases of the last 7 days that are not duplicates. The
    contact's own cases are left out (a repeat of those joins them); a web or API case has no
    contact, so every case is compared with it.
    """
    if not complaint.category or not complaint.kecamatan_code:
        return None
    candidates = master_candidates(session, complaint, DUPLICATE_WINDOW, MAX_CANDIDATES)
    gist = _gist(complaint)
    scored = []  # (score, received_at, id): the closest; between equals, the newest
    for row in candidates:
        other = _gist_of(row.description, row.category, row.kecamatan_code, row.desa_code)
        scored.append((similarity(gist, other), row.received_at, row.id))
    best = max((s for s in scored if s[0] >= DUPLICATE_THRESHOLD), default=None)
    if best is None:
        return None
    match = Match(complaint_by_id(session, best[2]), best[0])
    shown = format_tracking_id(match.complaint.tracking_id)
    note = f"Mungkin sama dengan aduan {shown} (kemiripan {match.score:.2f})."
    suggest_duplicate(session, complaint, match.complaint, match.score, now=now, note=note)
    return match
