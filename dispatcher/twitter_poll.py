"""The Twitter/X mentions poll: a periodic job that submits new mentions as intake records.

The cursor (``since_id``) lives in the case store's channel_state and moves past a page only
after every record on it was durably submitted. Pages are submitted oldest first, so a crash
between two never skips a tweet, and a tweet fetched again is the same idempotency key (one
complaint). 429 holds polling until ``x-rate-limit-reset``; 401/403 mark the channel unhealthy
with the reason; network and server errors back off. A Redis lock lets one poll run at a time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis
import requests
import tweepy
from redis.exceptions import LockError

from adapters import twitter
from casestore import channels
from dispatcher import runtime as runtime_module
from dispatcher import twitter_reads
from dispatcher.runtime import Runtime
from dispatcher.submit import Submitted, submit
from normalizer import normalize
from normalizer.records import ComplaintRecord

log = logging.getLogger(__name__)

CHANNEL = "twitter"
LOCK_KEY = "satupintu:lock:twitter-poll"
# While this key lives, polls wait (a rate-limit window, or a back-off after failures).
HOLD_KEY = "satupintu:twitter:hold"
FAILURES_KEY = "satupintu:twitter:failures"
# Tweets and events passed over (own tweets, retweets, follows, likes...), by kind.
IGNORED_KEY = "satupintu:twitter:ignored"
# X's own delivery ids (event_uuid) seen, one key each: X retries and replays (replay jobs
# reach back days), so they are kept for two weeks.
EVENT_KEY_PREFIX = "satupintu:x-event:"
EVENT_SECONDS = 14 * 24 * 3600
# Our webhook's validity at X, checked at most hourly by the poll (X re-checks the CRC on its
# own schedule and stops delivering to a webhook that fails).
WEBHOOK_CHECK_KEY = "satupintu:twitter:webhook-checked"
WEBHOOK_STATE_KEY = "satupintu:twitter:webhook"
WEBHOOK_CHECK_SECONDS = 3600
WEBHOOK_INVALID = (
    "X menandai webhook tidak sah dan berhenti mengirim / X marks the webhook invalid and "
    "stopped delivering: satupintu twitter webhook register"
)
LOCK_SECONDS = 300  # the periodic job's timeout: a dead poller's lock frees itself by then
MAX_BACKOFF_SECONDS = 900
DEFAULT_RATE_LIMIT_SECONDS = 900  # X's windows are 15 minutes when it does not say
MAX_RATE_LIMIT_SECONDS = 24 * 3600

SubmitRecord = Callable[[ComplaintRecord], Submitted]


@dataclass
class PollOutcome:
    """What one poll did; the job's result and the CLI's report."""

    # done | off | busy | waiting | budget (reads ahead of the month's spread) | rate_limited
    # | refused | unreachable
    status: str
    pages: int = 0
    submitted: Counter[str] = field(default_factory=Counter)  # queued | duplicate | spooled
    ignored: Counter[str] = field(default_factory=Counter)  # own_tweet | retweet | ...
    cursor: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["submitted"], data["ignored"] = dict(self.submitted), dict(self.ignored)
        return data


def poll_mentions() -> dict[str, Any]:
    """The periodic job (dispatcher/schedule.py): one poll with this process's runtime."""
    return run_poll(runtime_module.current()).to_dict()


def run_poll(
    rt: Runtime, *, client: tweepy.Client | None = None, submit_record: SubmitRecord | None = None
) -> PollOutcome:
    """Poll once unless the channel is off, another poll runs, or X asked us to wait."""
    settings = rt.settings
    if not settings.twitter_polling:
        return PollOutcome("off")
    lock = rt.redis.lock(LOCK_KEY, timeout=LOCK_SECONDS, blocking=False)
    if not lock.acquire():
        return PollOutcome("busy")
    try:
        hold = _hold(rt)
        if hold is not None:
            return PollOutcome("waiting", detail=f"{hold['reason']} until {hold['until']}")
        reads = twitter_reads.budget(rt.redis, settings.twitter_monthly_read_cap)
        if reads is not None and not reads.may_poll:
            spread = "menunggu jatah bulan ini / waiting for this month's spread of reads"
            return PollOutcome("budget", detail=f"{spread}: {reads.note()}")
        return _poll(
            rt,
            client or twitter.client_from_settings(settings),
            submit_record or (lambda record: submit(record, rt.redis, rt.spool)),
        )
    finally:
        with contextlib.suppress(LockError):  # expired while we worked: nothing to free
            lock.release()


def _poll(rt: Runtime, client: tweepy.Client, submit_record: SubmitRecord) -> PollOutcome:
    user_id = rt.settings.twitter_user_id
    with rt.sessions.begin() as session:
        since_id = channels.read_cursor(session, CHANNEL)
    outcome = PollOutcome("done", cursor=since_id)
    pages: list[dict[str, Any]] = []
    try:
        for page in twitter.poll(client, user_id, since_id):
            pages.append(page)
    except Exception as exc:
        failure = _failure(rt, exc)
        if failure is None:
            raise
        outcome.status, outcome.detail = failure
    complete = outcome.status == "done"
    outcome.pages = len(pages)
    twitter_reads.count_reads(rt.redis, sum(_posts_read(page) for page in pages))
    # Oldest page first: once a page is in, every mention up to its newest id is in, so the
    # cursor may move there. Pages from an unfinished fetch are submitted (a citizen should
    # not wait for X's rate limit), but the cursor stays: they come again, as duplicates.
    for page in reversed(pages):
        parsed = twitter.parse_mentions(page, user_id)
        outcome.ignored.update(parsed.ignored)
        for inbound in sorted(parsed.messages, key=lambda message: int(message.external_id)):
            result = submit_record(normalize(inbound, rt.rules))
            outcome.submitted[result.value] += 1
        newest = _newest_id(page)
        if complete and newest is not None:
            with rt.sessions.begin() as session:
                channels.advance_cursor(
                    session, CHANNEL, newest, datetime.now(UTC) if parsed.messages else None
                )
            outcome.cursor = newest
    count_ignored(rt.redis, outcome.ignored)
    if complete:
        with rt.sessions.begin() as session:
            channels.mark_healthy(session, CHANNEL)
        rt.redis.delete(FAILURES_KEY)
        # X answered: the hourly management calls go after the mentions, never before them.
        if rt.settings.twitter_monthly_read_cap > 0:
            _sync_usage(rt, client)
        if rt.settings.twitter_webhook:
            _check_webhook(rt, client)
    log.info(
        "twitter poll %s: %d page(s), submitted %s, ignored %s",
        outcome.status,
        outcome.pages,
        dict(outcome.submitted),
        dict(outcome.ignored),
    )
    return outcome


def _posts_read(page: dict[str, Any]) -> int:
    """Posts X bills for a page: the mentions and the referenced Posts it includes."""
    data, includes = page.get("data"), page.get("includes")
    tweets = includes.get("tweets") if isinstance(includes, dict) else None
    return len(data if isinstance(data, list) else []) + len(
        tweets if isinstance(tweets, list) else []
    )


def _sync_usage(rt: Runtime, client: tweepy.Client) -> None:
    """At most hourly, X's own count of the cycle's reads (it also sees pushed Posts)."""
    if twitter_reads.usage_is_fresh(rt.redis):
        return
    from adapters.twitter.manage import XApiError, usage  # the poll's one management call

    try:
        counted = usage(client)
    except XApiError as exc:
        log.warning("twitter usage unavailable: %s", exc.status or "unreachable")
        return
    if counted is not None:
        twitter_reads.note_usage(rt.redis, counted[0])


def _check_webhook(rt: Runtime, client: tweepy.Client) -> None:
    """At most hourly: is our webhook still valid at X? If X marked it invalid (a failed
    CRC re-check stops delivery), ask for a new check (``PUT /2/webhooks/:id``) and keep
    the result for the channel's health. A webhook never registered is no error: the
    deployment may poll only."""
    if not rt.redis.set(WEBHOOK_CHECK_KEY, "1", nx=True, ex=WEBHOOK_CHECK_SECONDS):
        return
    from adapters.twitter.manage import XApiError, revalidate

    try:
        valid = revalidate(client, rt.settings)
    except XApiError as exc:
        log.warning("twitter webhook check unavailable: %s", exc.status or "unreachable")
        return
    if valid is None:
        rt.redis.delete(WEBHOOK_STATE_KEY)
    else:
        rt.redis.set(WEBHOOK_STATE_KEY, "valid" if valid else "invalid")
        if not valid:
            log.error(
                "X marks the twitter webhook invalid: run `satupintu twitter webhook register`"
            )


def count_ignored(connection: redis.Redis, ignored: Counter[str]) -> None:
    """Add passed-over tweets and events to the operators' counts; never fails the caller."""
    if not ignored:
        return
    try:
        with connection.pipeline(transaction=False) as pipe:
            for kind, n in ignored.items():
                pipe.hincrby(IGNORED_KEY, kind[:60], n)
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("could not count ignored twitter events: %s", type(exc).__name__)


def _event_keys(provider: str, event_ids: tuple[str, ...]) -> list[str]:
    return [f"{EVENT_KEY_PREFIX}{provider}:{event_id[:80]}" for event_id in event_ids]


def first_delivery(connection: redis.Redis, provider: str, event_ids: tuple[str, ...]) -> bool:
    """Claim a delivery's event ids; False when every one was claimed before (a re-delivery).

    Redis unreachable: True. The body is then spooled like any other, and the tweet id
    still makes a second copy one complaint.
    """
    if not event_ids:
        return True
    try:
        with connection.pipeline(transaction=False) as pipe:
            for key in _event_keys(provider, event_ids):
                pipe.set(key, "1", nx=True, ex=EVENT_SECONDS)
            claimed = pipe.execute()
    except redis.RedisError as exc:
        log.warning("could not check %s event ids: %s", provider, type(exc).__name__)
        return True
    return any(claimed)


def forget_delivery(connection: redis.Redis, provider: str, event_ids: tuple[str, ...]) -> None:
    """Free a delivery's claimed ids after it failed, so that X's retry is taken."""
    if event_ids:
        with contextlib.suppress(redis.RedisError):
            connection.delete(*_event_keys(provider, event_ids))


def _newest_id(page: dict[str, Any]) -> str | None:
    """The page's newest tweet id (meta.newest_id, or the largest id on it)."""
    ids = [(page.get("meta") or {}).get("newest_id")]
    ids += [tweet.get("id") for tweet in page.get("data") or [] if isinstance(tweet, dict)]
    numeric = [str(i) for i in ids if isinstance(i, str | int) and str(i).isdigit()]
    return max(numeric, key=int) if numeric else None


def _failure(rt: Runtime, exc: Exception) -> tuple[str, str] | None:
    """Record what went wrong for operators and hold the next polls; None: not X's doing."""
    status = exc.response.status_code if isinstance(exc, tweepy.HTTPException) else None
    if isinstance(exc, tweepy.TooManyRequests):
        now = time.time()
        reset = exc.reset_time if exc.reset_time and exc.reset_time > now else None
        seconds = (reset - now) if reset else DEFAULT_RATE_LIMIT_SECONDS
        reason = "X membatasi permintaan / rate limited by X (429)"
        _set_hold(rt, reason, min(max(seconds, 1.0), MAX_RATE_LIMIT_SECONDS))
        _note(rt, reason, healthy=True)
        return "rate_limited", reason
    if status is not None and status < 500:
        # 401/403: credentials revoked or the app suspended; 400/404: a wrong setting such as
        # the user id. Polling again cannot help until an operator acts.
        said = "; ".join(str(m) for m in exc.api_messages)[:300] or exc.response.reason
        reason = f"X menolak permintaan / X refused the request ({status}): {said}"
        _back_off(rt, reason)
        _note(rt, reason, healthy=False)
        log.error("twitter poll refused (%s): check the SATUPINTU_TWITTER_* settings", status)
        return "refused", reason
    if isinstance(exc, tweepy.HTTPException | requests.RequestException | twitter.TooManyPages):
        detail = f"{type(exc).__name__}" + (f" {status}" if status else "")
        reason = f"X tidak dapat dihubungi / X unreachable ({detail})"
        _back_off(rt, reason)
        _note(rt, reason, healthy=True)
        log.warning("twitter poll: X unreachable (%s)", detail)
        return "unreachable", reason
    return None


def _note(rt: Runtime, reason: str, *, healthy: bool) -> None:
    with rt.sessions.begin() as session:
        if healthy:
            channels.note_error(session, CHANNEL, reason)
        else:
            channels.mark_unhealthy(session, CHANNEL, reason)


def _back_off(rt: Runtime, reason: str) -> None:
    """Wait one interval after a failure, then two, four... up to 15 minutes."""
    failures = int(rt.redis.incr(FAILURES_KEY))
    rt.redis.expire(FAILURES_KEY, 3600)
    seconds = rt.settings.twitter_poll_seconds * 2 ** min(failures - 1, 10)
    _set_hold(rt, reason, min(seconds, MAX_BACKOFF_SECONDS))


def _set_hold(rt: Runtime, reason: str, seconds: float) -> None:
    until = datetime.fromtimestamp(time.time() + seconds, UTC).isoformat(timespec="seconds")
    hold = json.dumps({"reason": reason, "until": until})
    rt.redis.set(HOLD_KEY, hold, ex=max(1, round(seconds)))


def _hold(rt: Runtime) -> dict[str, str] | None:
    raw = rt.redis.get(HOLD_KEY)
    return json.loads(raw) if raw else None


@dataclass(frozen=True)
class ChannelStatus:
    """What operators see about the channel (the console and `satupintu twitter status`)."""

    state: str  # off | ok | waiting | unhealthy
    polling: bool
    webhook: bool
    replies: bool
    cursor: str | None = None
    last_error: str | None = None
    last_received_at: datetime | None = None
    waiting_until: str | None = None
    ignored: dict[str, int] = field(default_factory=dict)
    reads: str | None = None  # reads left of SATUPINTU_TWITTER_MONTHLY_READ_CAP, when set
    webhook_valid: bool | None = None  # X's flag for our webhook (None: not known)

    @property
    def notes(self) -> tuple[str, ...]:
        """Short lines for the console's channel health beside the poll's error."""
        invalid = (WEBHOOK_INVALID,) if self.webhook_valid is False else ()
        return invalid + ((self.reads,) if self.reads else ())


def channel_status(rt: Runtime) -> ChannelStatus:
    """The channel's state; "off" without credentials, and then nothing is read."""
    s = rt.settings
    parts = {
        "polling": s.twitter_polling,
        "webhook": s.twitter_webhook,
        "replies": s.twitter_replies,
    }
    if not any(parts.values()):
        return ChannelStatus("off", **parts)
    with rt.sessions() as session:
        state = channels.known_state(session, CHANNEL)
        cursor = state.cursor if state else None
        healthy = state.healthy if state else True
        last_error = state.last_error if state else None
        last_received_at = state.last_received_at if state else None
    hold = _hold(rt) if s.twitter_polling else None
    ignored = {k.decode(): int(v) for k, v in rt.redis.hgetall(IGNORED_KEY).items()}
    reads = twitter_reads.budget(rt.redis, s.twitter_monthly_read_cap)
    webhook = rt.redis.get(WEBHOOK_STATE_KEY)
    return ChannelStatus(
        "unhealthy" if not healthy else "waiting" if hold else "ok",
        **parts,
        cursor=cursor,
        last_error=last_error,
        last_received_at=last_received_at,
        waiting_until=hold["until"] if hold else None,
        ignored=ignored,
        reads=reads.note() if reads else None,
        webhook_valid=None if webhook is None else webhook == b"valid",
    )
