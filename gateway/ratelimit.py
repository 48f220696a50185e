"""Per-client submission limits for the web form, the JSON API and Open311.

A fixed window per client holds the *set* of submission keys seen in it (a Redis set with a
TTL): the limit counts distinct submissions, so a browser's double submit or an app's retry
of one Idempotency-Key never counts twice, which a request counter (or Flask-Limiter's
per-request cost) cannot tell apart without a second lookup. Clients are hashed before they
become Redis keys: no addresses in clear. When Redis is down the form still works (the
record spools); the limit then fails open, which is logged.
"""

from __future__ import annotations

import hashlib
import logging
import time

import redis

log = logging.getLogger(__name__)


def client_key(scope: str, client: str) -> str:
    digest = hashlib.sha256(client.encode()).hexdigest()[:24]
    return f"satupintu:ratelimit:{scope}:{digest}"


def allow(
    connection: redis.Redis,
    *,
    scope: str,
    client: str,
    submission: str,
    limit: int,
    window_seconds: int,
    now: float | None = None,
) -> bool:
    """Count ``submission`` for ``client``; False once the window holds more than ``limit``."""
    if limit <= 0:
        return True
    bucket = int((time.time() if now is None else now) // window_seconds)
    key = f"{client_key(scope, client)}:{bucket}"
    previous = f"{client_key(scope, client)}:{bucket - 1}"
    try:
        pipe = connection.pipeline(transaction=True)
        pipe.sismember(previous, submission)
        pipe.sadd(key, submission)
        pipe.scard(key)
        pipe.scard(previous)
        pipe.expire(key, 2 * window_seconds + 60)
        seen_before, added, count, count_before, _ = pipe.execute()
        # The previous window counts too, so a burst that straddles a window boundary is
        # not let through twice (a fixed window alone resets to zero mid-burst).
        if added and not seen_before and count + count_before > limit:
            # Over the limit: forget this one, so its retry later in the window is refused too.
            connection.srem(key, submission)
            return False
    except redis.RedisError as exc:
        log.warning("rate limit not applied, redis unavailable: %s", type(exc).__name__)
    return True


def too_many_failures(
    connection: redis.Redis, *, scope: str, client: str, limit: int, window_seconds: int
) -> bool:
    """True once ``client`` failed ``limit`` times in this window (wrong secret codes)."""
    bucket = int(time.time() // window_seconds)
    base = f"{client_key(scope, client)}:fail:"
    try:
        counts = connection.mget(f"{base}{bucket}", f"{base}{bucket - 1}")
    except redis.RedisError:
        return False
    # This window and the one before: failures just before a boundary still count after it.
    return sum(int(count) for count in counts if count is not None) >= limit


def record_failure(
    connection: redis.Redis, *, scope: str, client: str, window_seconds: int
) -> None:
    bucket = int(time.time() // window_seconds)
    key = f"{client_key(scope, client)}:fail:{bucket}"
    try:
        pipe = connection.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, 2 * window_seconds + 60)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("failure not counted, redis unavailable: %s", type(exc).__name__)
