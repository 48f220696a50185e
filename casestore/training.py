"""The coordinator's decisions as labelled examples for the next triage model.

Every verify (the text is a complaint of its category), dispatch (to this unit), bounce (the
unit it went to next is the right one), reject as spam (junk), release from the triage queue
(a complaint) and "this is spam" in the queue (junk of the kind triage saw, or spam). Read
by ``satupintu triage train``; functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.models import Complaint, Quarantine, StatusEvent
from casestore.vocabulary import Action, Resolution

JUNK_KINDS = ("spam", "fraud", "promo", "chatter", "empty")


@dataclass(frozen=True)
class LabelledExample:
    """A text and what an operator's decision says about it: ``kind`` complaint or a junk
    kind; ``category`` the case's category; ``unit`` the unit it belongs to ('' unknown)."""

    text: str
    kind: str
    category: str
    unit: str
    source: str
    decided_at: datetime


def _case_examples(session: Session, since: datetime | None) -> Iterator[LabelledExample]:
    query = (
        select(StatusEvent, Complaint)
        .join(Complaint, StatusEvent.complaint_id == Complaint.id)
        .where(StatusEvent.kind.in_([Action.VERIFY, Action.DISPATCH, Action.BOUNCE,
                                     Action.REJECT]))
        .order_by(StatusEvent.complaint_id, StatusEvent.created_at, StatusEvent.id)
    )  # fmt: skip
    if since is not None:
        query = query.where(StatusEvent.created_at >= since)
    rows = session.execute(query).all()
    for position, (event, complaint) in enumerate(rows):
        text, category = complaint.description, complaint.category or ""
        if event.kind == Action.VERIFY:
            yield LabelledExample(text, "complaint", category, "", "verify", event.created_at)
        elif event.kind == Action.DISPATCH and event.to_unit:
            yield LabelledExample(
                text, "complaint", category, event.to_unit, "dispatch", event.created_at
            )
        elif event.kind == Action.BOUNCE:
            # The bounce says the first owner was wrong; the next dispatch says who is right.
            following = (
                other for other, case in rows[position + 1 :]
                if case.id == complaint.id and other.kind == Action.DISPATCH and other.to_unit
            )  # fmt: skip
            nxt = next(following, None)
            if nxt is not None:
                yield LabelledExample(
                    text, "complaint", category, nxt.to_unit or "", "bounce", nxt.created_at
                )
        elif event.kind == Action.REJECT and event.reason == "spam":
            yield LabelledExample(text, "spam", "", "", "reject_spam", event.created_at)


def _queue_examples(session: Session, since: datetime | None) -> Iterator[LabelledExample]:
    query = select(Quarantine).where(
        Quarantine.resolution.in_([Resolution.RELEASED, Resolution.SPAM])
    )
    if since is not None:
        query = query.where(Quarantine.resolved_at >= since)
    for held in session.scalars(query.order_by(Quarantine.id)):
        record = held.record or {}
        text = str(record.get("text") or "")
        if not text.strip():
            continue
        if held.resolution == Resolution.RELEASED:
            category = str(record.get("category") or "")
            yield LabelledExample(text, "complaint", category, "", "release", held.resolved_at)
        else:
            seen = (held.triage or {}).get("junk_kind")
            kind = seen if seen in JUNK_KINDS else "spam"
            yield LabelledExample(text, kind, "", "", "spam", held.resolved_at)


def labelled_examples(session: Session, since: datetime | None = None) -> list[LabelledExample]:
    """Every decision since ``since`` (all when None) as a labelled example, oldest first
    per source; a text decided twice appears twice (the trainer keeps the last)."""
    examples = list(_case_examples(session, since)) + list(_queue_examples(session, since))
    return sorted(examples, key=lambda e: e.decided_at)
