"""Refused intake: submissions the gateway answered 400, 401, 403, 413, 422 or 429, counted
per channel and reason in Redis, so every web process adds to one count the monitor reads.

One place classifies them (``refusal_of``, called after every response by gateway/ops/metrics.py):
the views, the limits and the validation stay as they are. Counts are kept per UTC hour (48
hours) and per five minutes (6 hours), the monitor's two charts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from flask import Request, Response
from werkzeug.exceptions import HTTPException

KEY_PREFIX = "satupintu:refused"
HOUR_SECONDS, STEP_SECONDS = 3600, 300
HOURS_KEPT, STEPS_KEPT = 48, 72  # 48 hours by the hour, 6 hours in 5-minute steps

# Request path prefixes (POST) and their channel; the first match wins.
CHANNEL_OF_PATH = (
    ("/webhooks/twilio/", "sms"),
    ("/webhooks/twitter", "twitter"),
    ("/api/v1/complaints", "api"),  # not a partner's case actions: those are no intake
    ("/open311/", "open311"),
    ("/track/", "web"),
)
WEB_FORM_PATHS = frozenset({"/", "/en"})

REASONS = {
    400: "malformed",
    401: "no_key",
    403: "forbidden",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
}
# A 403 from a provider's webhook is a signature that did not verify.
WEBHOOK_403 = "bad_signature"


def channel_of(request: Request) -> str | None:
    """The intake channel a POST was meant for, or None for anything else (the console...)."""
    if request.method != "POST":
        return None
    path = request.path
    if path in WEB_FORM_PATHS:
        return "web"
    for prefix, channel in CHANNEL_OF_PATH:
        if path.startswith(prefix):
            if channel == "sms" and _from_whatsapp(request):
                return "whatsapp"
            return channel
    return None


def _from_whatsapp(request: Request) -> bool:
    """Whether a Twilio request came from WhatsApp; a body past the request's limit (the
    413 it got) is never read here."""
    form = request.__dict__.get("form")  # parsed already by the view
    if form is None:
        length, limit = request.content_length, request.max_content_length
        if length is None or (limit is not None and length > limit):
            return False
        try:
            form = request.form
        except HTTPException:
            return False
    return form.get("From", "").startswith("whatsapp:")


def refusal_of(request: Request, response: Response) -> tuple[str, str] | None:
    """(channel, reason) when ``response`` refused an intake submission, else None."""
    reason = REASONS.get(response.status_code)
    if reason is None:
        return None
    channel = channel_of(request)
    if channel is None:
        return None
    if response.status_code == 403 and request.path.startswith("/webhooks/"):
        reason = WEBHOOK_403
    return channel, reason


def _bucket_keys(moment: datetime) -> tuple[str, str]:
    epoch = int(moment.timestamp())
    hour = epoch - epoch % HOUR_SECONDS
    step = epoch - epoch % STEP_SECONDS
    return f"{KEY_PREFIX}:h:{hour}", f"{KEY_PREFIX}:m5:{step}"


def record_refusal(
    connection: redis.Redis, channel: str, reason: str, now: datetime | None = None
) -> None:
    """Count one refused submission in its hour and its five minutes (never raises)."""
    hour_key, step_key = _bucket_keys(now or datetime.now(UTC))
    field = f"{channel}|{reason}"
    try:
        with connection.pipeline(transaction=False) as pipe:
            pipe.hincrby(hour_key, field, 1)
            pipe.expire(hour_key, (HOURS_KEPT + 1) * HOUR_SECONDS)
            pipe.hincrby(step_key, field, 1)
            pipe.expire(step_key, (STEPS_KEPT + 1) * STEP_SECONDS)
            pipe.execute()
    except redis.RedisError:
        pass  # the answer already went out; a count is not worth a failed request


@dataclass(frozen=True)
class RefusedSeries:
    """Refused submissions per bucket and channel (all reasons), and per channel and reason
    over the whole span; ``starts`` are the buckets' UTC starts, oldest first."""

    starts: tuple[datetime, ...]
    counts: dict[str, tuple[int, ...]]
    by_reason: dict[str, dict[str, int]]

    def total(self, channel: str) -> int:
        return sum(self.counts.get(channel, ()))


def refused_series(
    connection: redis.Redis, now: datetime, *, step_seconds: int, steps: int
) -> RefusedSeries:
    """The last ``steps`` buckets of ``step_seconds`` (3600 or 300) up to ``now``."""
    kind = "h" if step_seconds == HOUR_SECONDS else "m5"
    epoch = int(now.timestamp())
    last = epoch - epoch % step_seconds
    firsts = [last - (steps - 1 - n) * step_seconds for n in range(steps)]
    with connection.pipeline(transaction=False) as pipe:
        for start in firsts:
            pipe.hgetall(f"{KEY_PREFIX}:{kind}:{start}")
        buckets = pipe.execute()
    per_channel: dict[str, list[int]] = defaultdict(lambda: [0] * steps)
    by_reason: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for i, bucket in enumerate(buckets):
        for field, count in bucket.items():
            channel, _, reason = field.decode().partition("|")
            per_channel[channel][i] += int(count)
            by_reason[channel][reason] += int(count)
    return RefusedSeries(
        starts=tuple(datetime.fromtimestamp(start, UTC) for start in firsts),
        counts={channel: tuple(row) for channel, row in per_channel.items()},
        by_reason={channel: dict(reasons) for channel, reasons in by_reason.items()},
    )


def refused_recently(connection: redis.Redis, now: datetime) -> dict[str, dict[str, int]]:
    """Per channel and reason: refused in the last hour (twelve 5-minute steps)."""
    return refused_series(connection, now, step_seconds=STEP_SECONDS, steps=12).by_reason
