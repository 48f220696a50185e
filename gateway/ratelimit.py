"""Submission limits for the web form, the JSON API and Open311, and failure counters.

A submission is counted under several limits at once (issue 13), each keyed on what
identifies its sender: the client's address (a high ceiling: carriers put many subscribers
behind one CGNAT address, as does a kantor camat's Wi-Fi), the browser (a token in its
session cookie), the submission's own text and contact (so one complaint resubmitted over and
over is stopped wherever it comes from), or a partner's key. Each limit is a sliding window
holding the *set* of submission keys admitted in it (a Redis sorted set scored by time): a
double submit or an app's retry of one Idempotency-Key never counts twice. One Lua script
checks every limit and counts the submission under all of them, or none, and says how long
until it would be admitted. Clients are hashed before they become Redis keys: no addresses,
phone numbers or texts in clear. When Redis is down the limits fail open (the record spools),
which is logged.

Failures (wrong secret codes, failed logins) are counted per fixed window, this window and
the one before adding up.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

log = logging.getLogger(__name__)

# KEYS: one sorted set per limit (member: a submission key, score: when it was admitted).
# ARGV: now, window seconds, the submission key, then each key's limit.
# Returns {0, 0} when admitted (or seen before: a retry), else {index of the limit that
# holds longest (1-based), seconds until the submission would be admitted}.
_ADMIT = """
local now, window, submission = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
end
for _, key in ipairs(KEYS) do
  if redis.call('ZSCORE', key, submission) then return {0, 0} end
end
local held_by, wait = 0, 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[3 + i])
  local count = redis.call('ZCARD', key)
  if count >= limit then
    -- Admitted again once the oldest (count - limit + 1) have left the window.
    local entry = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local until_free = tonumber(entry[2]) + window - now
    if until_free > wait then held_by, wait = i, until_free end
  end
end
if held_by > 0 then return {held_by, math.ceil(wait)} end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, submission)
  redis.call('EXPIRE', key, math.ceil(window) + 60)
end
return {0, 0}
"""
_SCRIPT: list[Any] = []  # the registered script (it knows its SHA; run on any connection)


def client_key(scope: str, client: str) -> str:
    digest = hashlib.sha256(client.encode()).hexdigest()[:24]
    return f"satupintu:ratelimit:{scope}:{digest}"


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` distinct submissions per window from ``client`` (0: no limit)."""

    scope: str  # what the client is: "citizen" (an address), "browser", "text", "partner"
    client: str
    limit: int


@dataclass(frozen=True)
class Refusal:
    """A submission over a limit: which one, and when it would be admitted."""

    scope: str
    retry_after: int  # seconds


def admit(
    connection: redis.Redis,
    *,
    submission: str,
    limits: Sequence[Limit],
    window_seconds: int,
    now: float | None = None,
) -> Refusal | None:
    """Count ``submission`` under every limit, or under none and say which one refused it."""
    active = [limit for limit in limits if limit.limit > 0]
    if not active:
        return None
    moment = time.time() if now is None else now
    if not _SCRIPT:
        _SCRIPT.append(connection.register_script(_ADMIT))
    try:
        held_by, wait = _SCRIPT[0](
            keys=[f"{client_key(limit.scope, limit.client)}:window" for limit in active],
            args=[repr(moment), window_seconds, submission, *(limit.limit for limit in active)],
            client=connection,
        )
    except redis.RedisError as exc:
        log.warning("rate limit not applied, redis unavailable: %s", type(exc).__name__)
        return None
    if not held_by:
        return None
    return Refusal(scope=active[int(held_by) - 1].scope, retry_after=max(1, int(wait)))


def failure_wait(
    connection: redis.Redis,
    *,
    scope: str,
    client: str,
    limit: int,
    window_seconds: int,
    now: float | None = None,
) -> int:
    """Seconds until ``client`` may try again (0: now) after ``limit`` failures in a window."""
    if limit <= 0:
        return 0
    moment = time.time() if now is None else now
    bucket = int(moment // window_seconds)
    base = f"{client_key(scope, client)}:fail:"
    try:
        current, previous = connection.mget(f"{base}{bucket}", f"{base}{bucket - 1}")
    except redis.RedisError:
        return 0
    # This window and the one before: failures just before a boundary still count after it.
    here, before = int(current or 0), int(previous or 0)
    if here + before < limit:
        return 0
    # This window's failures alone stay counted through the next window too.
    ends = bucket + (2 if here >= limit else 1)
    return max(1, math.ceil(ends * window_seconds - moment))


def too_many_failures(
    connection: redis.Redis, *, scope: str, client: str, limit: int, window_seconds: int
) -> bool:
    """True once ``client`` failed ``limit`` times in this window (wrong secret codes)."""
    return (
        failure_wait(
            connection, scope=scope, client=client, limit=limit, window_seconds=window_seconds
        )
        > 0
    )


def record_failure(
    connection: redis.Redis,
    *,
    scope: str,
    client: str,
    window_seconds: int,
    now: float | None = None,
) -> None:
    bucket = int((time.time() if now is None else now) // window_seconds)
    key = f"{client_key(scope, client)}:fail:{bucket}"
    try:
        pipe = connection.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, 2 * window_seconds + 60)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("failure not counted, redis unavailable: %s", type(exc).__name__)
