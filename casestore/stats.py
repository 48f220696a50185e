"""Intake counts for the operator console: per channel, per hour, and when a channel went quiet;
and how often each unit said "bukan wewenang" (``bounce_counts``).

Everything reads inbound rows of ``messages`` (every message a citizen sent, commands and
follow-ups included) through the (direction, channel, received_at) index, one channel at a
time, so each query is an index range scan however large the table grows.

"Silent far longer than usual" is judged from the channel's own history: its messages per hour
of the day over the seven days before its last message give the number it usually receives in
a stretch of time like the current silence. When that number is at least
``SILENCE_EXPECTED_MESSAGES`` and none came, the channel is flagged (for a steady Poisson-like
stream, a silence that long has a chance below 1%). Night hours with no traffic raise no flag;
a channel with too little history (fewer than ``SILENCE_MIN_HISTORY`` messages) is not judged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from casestore.models import Message, StatusEvent
from casestore.vocabulary import Action, Direction

SILENCE_EXPECTED_MESSAGES = 5.0
SILENCE_MIN_HISTORY = 20
HISTORY_DAYS = 7
CHART_HOURS = 48
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class ChannelActivity:
    """One channel's intake as the monitor shows it."""

    channel: str
    last_received_at: datetime | None
    last_hour: int
    last_day: int
    history_count: int  # messages in the seven days before the last one
    expected_in_silence: float | None  # messages usually seen in a stretch this long
    silent: bool


@dataclass(frozen=True)
class HourlyIntake:
    """Inbound messages per hour and channel; ``hours`` are the UTC starts of the buckets."""

    hours: tuple[datetime, ...]
    counts: dict[str, tuple[int, ...]]

    @property
    def peak(self) -> int:
        return max((max(row) for row in self.counts.values() if row), default=0)


def _hour_bucket(session: Session) -> Any:
    """An SQL expression truncating received_at to its UTC hour, per dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", Message.received_at))
    # SQLite keeps UTC as naive ISO text (see casestore.models.UTCDateTime).
    return func.strftime("%Y-%m-%d %H:00:00", Message.received_at)


def _as_hour(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC, minute=0, second=0, microsecond=0)


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _inbound(channel: str) -> tuple[Any, ...]:
    return (Message.direction == Direction.IN, Message.channel == channel)


def hourly_counts(
    session: Session, channel: str, since: datetime, until: datetime
) -> dict[datetime, int]:
    """Inbound messages on ``channel`` per UTC hour in [since, until)."""
    bucket = _hour_bucket(session)
    rows = session.execute(
        select(bucket, func.count())
        .where(*_inbound(channel), Message.received_at >= since, Message.received_at < until)
        .group_by(bucket)
    )
    return {_as_hour(hour): count for hour, count in rows}


def last_received(session: Session, channel: str) -> datetime | None:
    return session.scalar(select(func.max(Message.received_at)).where(*_inbound(channel)))


def recent_counts(session: Session, channel: str, now: datetime) -> tuple[int, int]:
    """Inbound messages in the last hour and the last 24 hours."""
    hour_ago, day_ago = now - HOUR, now - timedelta(days=1)
    row = session.execute(
        select(
            func.coalesce(func.sum(case((Message.received_at >= hour_ago, 1), else_=0)), 0),
            func.count(),
        ).where(*_inbound(channel), Message.received_at >= day_ago, Message.received_at <= now)
    ).one()
    return int(row[0]), int(row[1])


def expected_messages(
    profile: Sequence[float], start: datetime, end: datetime, *, cap_hours: int = 24 * 14
) -> float:
    """Messages a channel with ``profile`` (mean per UTC hour of day) gets in [start, end)."""
    if end <= start:
        return 0.0
    total, cursor, steps = 0.0, start, 0
    while cursor < end and steps < cap_hours:
        bucket_end = _floor_hour(cursor) + HOUR
        stop = min(bucket_end, end)
        total += profile[cursor.astimezone(UTC).hour] * ((stop - cursor) / HOUR)
        cursor, steps = stop, steps + 1
    if cursor < end:  # longer than the cap: whole days at the profile's daily rate
        total += sum(profile) * ((end - cursor) / timedelta(days=1))
    return total


def hour_of_day_profile(counts: dict[datetime, int], days: int = HISTORY_DAYS) -> list[float]:
    """Mean messages per UTC hour of the day, from hourly counts spanning ``days`` days."""
    profile = [0.0] * 24
    for hour, count in counts.items():
        profile[hour.hour] += count / days
    return profile


def channel_activity(session: Session, channel: str, now: datetime) -> ChannelActivity:
    """Last message, recent counts and the silence judgement for one channel."""
    last = last_received(session, channel)
    last_hour, last_day = recent_counts(session, channel, now)
    if last is None:
        return ChannelActivity(channel, None, 0, 0, 0, None, False)
    history = hourly_counts(session, channel, last - timedelta(days=HISTORY_DAYS), last)
    history_count = sum(history.values())
    expected = None
    silent = False
    if history_count >= SILENCE_MIN_HISTORY:
        expected = expected_messages(hour_of_day_profile(history), last, now)
        silent = expected >= SILENCE_EXPECTED_MESSAGES
    return ChannelActivity(channel, last, last_hour, last_day, history_count, expected, silent)


def _step_bucket(session: Session, seconds: int) -> Any:
    """An SQL expression numbering received_at's ``seconds``-long UTC step since the epoch."""
    if session.get_bind().dialect.name == "postgresql":
        return func.floor(func.extract("epoch", Message.received_at) / seconds)
    # SQLite: naive UTC ISO text; integer division of whole seconds.
    return func.cast(func.strftime("%s", Message.received_at), Integer) / seconds


def intake_by_step(
    session: Session, channels: Iterable[str], now: datetime, step: timedelta, steps: int
) -> HourlyIntake:
    """Inbound messages per ``step`` (e.g. five minutes) and channel over the last ``steps``
    steps, oldest first (issue 23: a drill or a flood seen as it happens)."""
    seconds = int(step.total_seconds())
    last = int(now.timestamp()) // seconds
    numbers = range(last - steps + 1, last + 1)
    since = datetime.fromtimestamp(numbers[0] * seconds, UTC)
    bucket = _step_bucket(session, seconds)
    counts = {}
    for channel in channels:
        rows = session.execute(
            select(bucket, func.count())
            .where(
                *_inbound(channel),
                Message.received_at >= since,
                Message.received_at < now + timedelta(seconds=1),
            )
            .group_by(bucket)
        )
        found = {int(number): count for number, count in rows}
        counts[channel] = tuple(found.get(n, 0) for n in numbers)
    starts = tuple(datetime.fromtimestamp(n * seconds, UTC) for n in numbers)
    return HourlyIntake(hours=starts, counts=counts)


def intake_by_hour(
    session: Session, channels: Iterable[str], now: datetime, hours: int = CHART_HOURS
) -> HourlyIntake:
    """Inbound messages per hour and channel over the last ``hours`` hours, oldest first."""
    first = _floor_hour(now) - (hours - 1) * HOUR
    starts = tuple(first + n * HOUR for n in range(hours))
    counts = {}
    for channel in channels:
        per_hour = hourly_counts(session, channel, first, now + timedelta(seconds=1))
        counts[channel] = tuple(per_hour.get(start, 0) for start in starts)
    return HourlyIntake(hours=starts, counts=counts)


def bounce_counts(session: Session, since: datetime | None = None) -> dict[tuple[str, str], int]:
    """How often each unit said "bukan wewenang", by where the case went next.

    Keys are (unit that bounced, unit that got the case next): the unit the coordinator
    re-dispatched it to, or the coordinator while it still holds it. A pair seen often is a
    routing rule to change.
    """
    query = (
        select(StatusEvent)
        .where(StatusEvent.kind.in_((Action.BOUNCE, Action.DISPATCH)))
        .order_by(StatusEvent.complaint_id, StatusEvent.id)
    )
    if since is not None:
        query = query.where(StatusEvent.created_at >= since)
    counts: Counter[tuple[str, str]] = Counter()
    pending: dict[int, StatusEvent] = {}  # complaint -> its bounce waiting for a dispatch
    for event in session.scalars(query):
        if event.kind == Action.BOUNCE:
            if event.complaint_id in pending:  # bounced again before any dispatch
                earlier = pending[event.complaint_id]
                counts[(earlier.from_unit or "", earlier.to_unit or "")] += 1
            pending[event.complaint_id] = event
        elif event.complaint_id in pending:
            bounce = pending.pop(event.complaint_id)
            counts[(bounce.from_unit or "", event.to_unit or bounce.to_unit or "")] += 1
    for bounce in pending.values():
        counts[(bounce.from_unit or "", bounce.to_unit or "")] += 1
    return dict(counts)
