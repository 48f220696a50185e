"""Twitter/X reads under SATUPINTU_TWITTER_MONTHLY_READ_CAP: X bills each Post read, monthly.

Every Post a poll returns (and every Post event X pushes) counts toward the project's monthly
cap; past it X answers nothing until the cap resets. So polling, the fallback, spreads its
reads over the month: by any moment a poll may have used the cap's share of the month gone
so far, plus one hour's share so a quiet start is not starved. While the reads are ahead of
that line the poll waits and says why. Our own count of the month's reads is kept in Redis
(per calendar month, UTC); X's count (``GET /2/usage/tweets``, which also sees pushed Posts)
is fetched at most hourly and wins when it is higher. The console's channel health shows
what is left.
"""

from __future__ import annotations

import calendar
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

log = logging.getLogger(__name__)

READS_KEY = "satupintu:twitter:reads:"  # + YYYY-MM: Posts read this month, by our count
USAGE_KEY = "satupintu:twitter:usage"  # X's own count, refreshed at most hourly
USAGE_SECONDS = 3600
MONTH_SECONDS_KEPT = 40 * 24 * 3600


def _month(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m")


def _month_fraction(now: datetime) -> tuple[float, int]:
    """How much of the calendar month (UTC) has gone by, and how many days it has."""
    now = now.astimezone(UTC)
    days = calendar.monthrange(now.year, now.month)[1]
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (now - start).total_seconds() / (days * 86400), days


def count_reads(connection: redis.Redis, posts: int, now: datetime | None = None) -> None:
    """Add Posts read to this month's count; never fails the caller."""
    if posts <= 0:
        return
    key = READS_KEY + _month(now or datetime.now(UTC))
    try:
        with connection.pipeline(transaction=False) as pipe:
            pipe.incrby(key, posts)
            pipe.expire(key, MONTH_SECONDS_KEPT)
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("could not count twitter reads: %s", type(exc).__name__)


def note_usage(connection: redis.Redis, used: int, now: datetime | None = None) -> None:
    """Keep X's own count of this cycle's reads (from GET /2/usage/tweets) for an hour."""
    at = now or datetime.now(UTC)
    value = json.dumps({"used": used, "month": _month(at)})
    with contextlib.suppress(redis.RedisError):
        connection.set(USAGE_KEY, value, ex=USAGE_SECONDS)


def usage_is_fresh(connection: redis.Redis) -> bool:
    """Whether X's count was fetched within the hour (then the poll does not ask again)."""
    try:
        return bool(connection.exists(USAGE_KEY))
    except redis.RedisError:
        return True  # do not add X calls while Redis is unwell


@dataclass(frozen=True)
class Budget:
    """This month's reads against the cap, and whether a poll may read now."""

    cap: int
    used: int
    allowed_now: int  # what the even spread allows by this moment (never above the cap)

    @property
    def left(self) -> int:
        return max(self.cap - self.used, 0)

    @property
    def may_poll(self) -> bool:
        return self.used < self.allowed_now

    def note(self) -> str:
        """A short line for operators (the console's channel health, `twitter status`)."""
        return f"sisa baca / reads left {self.left:,}/{self.cap:,}"


def budget(connection: redis.Redis, cap: int, now: datetime | None = None) -> Budget | None:
    """The month's budget, or None when no cap is set (SATUPINTU_TWITTER_MONTHLY_READ_CAP=0)."""
    if cap <= 0:
        return None
    at = now or datetime.now(UTC)
    ours = connection.get(READS_KEY + _month(at))
    used = int(ours or 0)
    raw: Any = connection.get(USAGE_KEY)
    if raw:
        with contextlib.suppress(ValueError, TypeError, KeyError):
            theirs = json.loads(raw)
            if theirs["month"] == _month(at):
                used = max(used, int(theirs["used"]))
    gone, days = _month_fraction(at)
    hour_share = cap / (days * 24)
    allowed = min(cap, int(cap * gone + max(hour_share, 1)))
    return Budget(cap=cap, used=used, allowed_now=allowed)
