"""Per-channel state: a pull channel's cursor (Twitter's since_id) and whether it is healthy.

Functions take the caller's session and never commit. A cursor only ever moves forward, so
a slow poll finishing after a faster one cannot make the next poll fetch old messages again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casestore.models import ChannelState


def channel_state(session: Session, channel: str, *, lock: bool = False) -> ChannelState:
    """The channel's row, created on first use; ``lock`` holds it until the commit."""
    state = session.get(ChannelState, channel, with_for_update=lock)
    if state is not None:
        return state
    try:
        with session.begin_nested():
            state = ChannelState(channel=channel, healthy=True)
            session.add(state)
    except IntegrityError:  # another process created it first
        state = session.get(ChannelState, channel, with_for_update=lock)
        assert state is not None
    return state


def known_state(session: Session, channel: str) -> ChannelState | None:
    """The channel's row as it stands, without creating it (None: never used)."""
    return session.get(ChannelState, channel)


def read_cursor(session: Session, channel: str) -> str | None:
    state = session.get(ChannelState, channel)
    return state.cursor if state is not None else None


def _is_after(candidate: str, current: str) -> bool:
    # Provider ids are numeric strings of growing length (tweet ids): compare them as numbers.
    if candidate.isdigit() and current.isdigit():
        return int(candidate) > int(current)
    return candidate > current


def advance_cursor(
    session: Session, channel: str, cursor: str, received_at: datetime | None = None
) -> bool:
    """Move the cursor to ``cursor`` if that is forward; True when it moved."""
    state = channel_state(session, channel, lock=True)
    if received_at is not None and (
        state.last_received_at is None or received_at > state.last_received_at
    ):
        state.last_received_at = received_at
    if state.cursor is not None and not _is_after(cursor, state.cursor):
        return False
    state.cursor = cursor
    return True


def mark_healthy(session: Session, channel: str) -> None:
    """The provider answered: clear any error an operator was shown."""
    state = channel_state(session, channel)
    if not state.healthy or state.last_error is not None:
        state.healthy, state.last_error = True, None


def mark_unhealthy(session: Session, channel: str, reason: str) -> None:
    """Operators must act (credentials revoked, app suspended): say why."""
    state = channel_state(session, channel)
    state.healthy, state.last_error = False, reason


def note_error(session: Session, channel: str, reason: str) -> None:
    """A passing problem (rate limit, network): shown to operators, the channel stays healthy."""
    channel_state(session, channel).last_error = reason
