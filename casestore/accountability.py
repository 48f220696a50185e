"""The citizen's rating of a resolved case and the district's local holidays (issue 20).
Functions take the caller's session and never commit.

A rating is once per case (a unique row), given within the answer window of a resolved case,
1 to 5 with an optional comment; 1 and 2 are flagged to the coordinator. The comment is the
citizen's words: it is for operators, never for a public page or the open data.

A local holiday (a regional day off, a local cuti) closes the district's offices like a
national one: every clock started after it was added skips it (casestore/deadlines.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.models import Complaint, LocalHoliday, Message, Rating, StatusEvent
from casestore.vocabulary import Direction, EventKind, Status

LOW_SCORES = (1, 2)
SCORES = range(1, 6)
MAX_COMMENT_CHARS = 1000


class RatingRefusal(StrEnum):
    NOT_RESOLVED = "not_resolved"  # no resolution to rate (or the window has closed)
    ALREADY_RATED = "already_rated"
    BAD_SCORE = "bad_score"


class RatingError(ValueError):
    def __init__(self, refusal: RatingRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class LowRating:
    """A low rating for the coordinator's home page: which case, how low, when."""

    tracking_id: str
    unit_code: str
    score: int
    rated_at: datetime


def rating_of(session: Session, complaint: Complaint) -> Rating | None:
    return session.scalar(select(Rating).where(Rating.complaint_id == complaint.id))


def can_rate(session: Session, complaint: Complaint, now: datetime) -> bool:
    """Resolved, its answer window still open, not rated yet."""
    if complaint.status != Status.RESOLVED:
        return False
    if complaint.due_at is not None and complaint.due_at <= now:
        return False
    return rating_of(session, complaint) is None


def record_rating(
    session: Session,
    complaint: Complaint,
    score: int,
    *,
    comment: str = "",
    channel: str,
    now: datetime,
) -> Rating:
    """Keep the citizen's rating of ``complaint`` (RatingError when it cannot be rated)."""
    if isinstance(score, bool) or score not in SCORES:
        raise RatingError(RatingRefusal.BAD_SCORE)
    if rating_of(session, complaint) is not None:
        raise RatingError(RatingRefusal.ALREADY_RATED)
    if not can_rate(session, complaint, now):
        raise RatingError(RatingRefusal.NOT_RESOLVED)
    rating = Rating(
        complaint_id=complaint.id,
        score=score,
        comment=comment.strip()[:MAX_COMMENT_CHARS],
        channel=channel,
        unit_code=complaint.owner_unit,
        low=score in LOW_SCORES,
        rated_at=now,
    )
    session.add(rating)
    # An internal event: the operators read the score and the comment on the case's timeline
    # (a note, like theirs: never public, never sent); the public timeline does not show it.
    session.add(
        StatusEvent(
            complaint=complaint,
            kind=EventKind.RATED,
            actor="citizen",
            note=rating.comment,
            public=False,
            data={"rating": score, "low": score in LOW_SCORES, "channel": channel},
            created_at=now,
        )
    )
    session.flush()
    return rating


def awaiting_rating(
    session: Session, contact_id: int, *, asked: str, now: datetime
) -> Complaint | None:
    """The contact's most recently resolved case that was asked for a rating (an outbound
    message with intent ``asked``), is still in its answer window and is not rated yet."""
    was_asked = (
        select(Message.id)
        .where(
            Message.complaint_id == Complaint.id,
            Message.direction == Direction.OUT,
            Message.intent == asked,
        )
        .exists()
    )
    rated = select(Rating.id).where(Rating.complaint_id == Complaint.id).exists()
    return session.scalar(
        select(Complaint)
        .where(
            Complaint.contact_id == contact_id,
            Complaint.status == Status.RESOLVED,
            Complaint.due_at > now,
            was_asked,
            ~rated,
        )
        .order_by(Complaint.updated_at.desc(), Complaint.id.desc())
        .limit(1)
    )


def awaiting_answer(session: Session, contact_id: int) -> Complaint | None:
    """The contact's case that waits for their answer ("minta keterangan"), the most recently
    asked one: a plain reply of theirs on SMS or WhatsApp answers it."""
    return session.scalar(
        select(Complaint)
        .where(Complaint.contact_id == contact_id, Complaint.status == Status.WAITING_REPORTER)
        .order_by(Complaint.updated_at.desc(), Complaint.id.desc())
        .limit(1)
    )


def low_ratings(
    session: Session, since: datetime, unit: str | None = None, limit: int = 20
) -> list[LowRating]:
    """Ratings of 1 or 2 since ``since``, newest first: the coordinator looks at these."""
    query = (
        select(Complaint.tracking_id, Rating.unit_code, Rating.score, Rating.rated_at)
        .join(Complaint, Complaint.id == Rating.complaint_id)
        .where(Rating.low.is_(True), Rating.rated_at >= since)
        .order_by(Rating.rated_at.desc())
        .limit(limit)
    )
    if unit is not None:
        query = query.where(Rating.unit_code == unit)
    return [LowRating(*row) for row in session.execute(query)]


def local_holidays(session: Session) -> list[LocalHoliday]:
    return list(session.scalars(select(LocalHoliday).order_by(LocalHoliday.day)))


def local_holiday_days(session: Session) -> frozenset[date]:
    return frozenset(session.scalars(select(LocalHoliday.day)))


def add_local_holiday(session: Session, day: date, name: str, added_by: str) -> LocalHoliday:
    """A local holiday on ``day`` (the name updated if the day is one already)."""
    holiday = session.get(LocalHoliday, day)
    if holiday is None:
        holiday = LocalHoliday(day=day, name=name.strip(), added_by=added_by)
        session.add(holiday)
    else:
        holiday.name, holiday.added_by = name.strip(), added_by
    session.flush()
    return holiday


def remove_local_holiday(session: Session, day: date) -> bool:
    holiday = session.get(LocalHoliday, day)
    if holiday is None:
        return False
    session.delete(holiday)
    session.flush()
    return True
