"""The intake inbox: acknowledged records waiting in Redis lists until a worker stores them.

Why not one rq job per message: an rq job costs dozens of Redis commands to enqueue and run,
and a transaction per message costs a commit; under a flood both are the ceiling. Instead:

- ``push`` (called by submit) is one atomic script: claim the message's "seen" key, append
  the record to its shard's list, and raise the shard's ``active`` flag. Claim and append
  happen together, so a web process killed in between can lose nothing. The contact decides
  the shard, so one citizen's messages stay in the order the gateway received them.
- Only the push that raised the flag enqueues an rq ``drain_inbox`` job for the shard; while
  the flag stands, the shard has a drain job queued or running, and later pushes just append.
- ``Drain`` (used by that job) holds the shard's lock, moves up to ``BATCH_SIZE`` records into
  the shard's ``taken`` list, lets the caller store them in one transaction, and deletes the
  taken list after the commit. A drainer that dies leaves the taken list behind; the next one
  stores it first (storing is idempotent, so nothing doubles). When the shard is empty, the
  flag and the lock go in one script, so a record pushed a moment later raises the flag anew.
- The flag names the shard's drain job. ``shards_unattended`` finds shards that hold records
  while their flag is down or names a job that is gone or over (a web process died between
  its push and its enqueue; a drain job gave up); every worker's maintenance enqueues a
  drain job for them (dispatcher/drain.py ``sweep_inbox``).
- Two lanes. The push also counts the sender's messages in the per-sender limit's window
  (SATUPINTU_SMS_RATE_LIMIT, one counter per contact, in the same script): a sender over it
  (a prank or spam flood, whose messages the store holds in quarantine anyway) goes to the
  slow lane, ``LOW_SHARDS`` shards after the normal ones, whose drain jobs wait on the
  ``intake_low`` queue that workers take last, in small batches and short slices. A new
  real complaint is then never behind a flood: its shard's drain job is on ``intake``, which
  every worker takes first. The counter's window slides while the sender stays over, so a
  flooder stays in the slow lane (in its order) until quiet for a whole window.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from rq.job import Job

from dispatcher.queues import INTAKE, INTAKE_LOW

INBOX_SHARDS = 16  # more than the workers of any one deployment, so all of them can drain
LOW_SHARDS = 4  # the slow lane: shards INBOX_SHARDS .. INBOX_SHARDS + LOW_SHARDS - 1
ALL_SHARDS = INBOX_SHARDS + LOW_SHARDS
BATCH_SIZE = 50  # records per transaction
SLICE_SECONDS = 1.0  # a drainer hands its shard back after this, so no shard waits long
# The slow lane gives its worker back sooner, so a real complaint waits for one small batch.
LOW_BATCH_SIZE = 10
LOW_SLICE_SECONDS = 0.2
# The flag names its drain job; the sweep replaces it when that job is gone or over, and the
# TTL only clears flags nobody looks at any more.
ACTIVE_TTL = 3600
LOCK_TTL = 30  # a batch takes milliseconds; a dead drainer's lock lapses after this
PREFIX = "satupintu:inbox"

# KEYS: seen, inbox, active. ARGV: record, seen ttl, active ttl, the drain job id to enqueue.
# Returns 0 duplicate, 1 queued, 2 queued and the caller enqueues that drain job.
PUSH = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
    return 0
end
redis.call('RPUSH', KEYS[2], ARGV[1])
if redis.call('SET', KEYS[3], ARGV[4], 'NX', 'EX', ARGV[3]) then
    return 2
end
return 1
"""

# KEYS: seen, inbox, active, slow inbox, slow active, the sender's counter. ARGV: record,
# seen ttl, active ttl, the drain job id to enqueue, the slow lane's, the limit (0: off), its
# window in seconds. Returns PUSH's answers, plus 10 when the record went to the slow lane.
PUSH_LANED = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
    return 0
end
local lane = 0
local limit = tonumber(ARGV[6])
if limit > 0 then
    local sent = redis.call('INCR', KEYS[6])
    if sent == 1 or sent > limit then
        redis.call('EXPIRE', KEYS[6], ARGV[7])
    end
    if sent > limit then
        lane = 10
    end
end
local inbox, active, job = KEYS[2], KEYS[3], ARGV[4]
if lane > 0 then
    inbox, active, job = KEYS[4], KEYS[5], ARGV[5]
end
redis.call('RPUSH', inbox, ARGV[1])
if redis.call('SET', active, job, 'NX', 'EX', ARGV[3]) then
    return lane + 2
end
return lane + 1
"""

# KEYS: inbox, taken, active, lock. ARGV: token, batch size, lock ttl, active ttl.
# The taken list left by a dead drainer first, else the next batch; nil once the lock is lost.
TAKE = """
if redis.call('GET', KEYS[4]) ~= ARGV[1] then
    return false
end
redis.call('EXPIRE', KEYS[4], ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[4])
local taken = redis.call('LRANGE', KEYS[2], 0, -1)
if #taken > 0 then
    return taken
end
local batch = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #batch > 0 then
    redis.call('LTRIM', KEYS[1], #batch, -1)
    redis.call('RPUSH', KEYS[2], unpack(batch))
end
return batch
"""

# KEYS: inbox, taken, active, lock. ARGV: token. The batch is stored: forget it; and when
# nothing else waits, lower the flag and the lock in the same step (1). 0: more waits, go on.
# -1: the lock is no longer ours (the next drainer stores the taken batch again).
DONE = """
if redis.call('GET', KEYS[4]) ~= ARGV[1] then
    return -1
end
redis.call('DEL', KEYS[2])
if redis.call('LLEN', KEYS[1]) > 0 then
    return 0
end
redis.call('DEL', KEYS[3], KEYS[4])
return 1
"""

# KEYS: inbox, taken, active, lock. ARGV: token. Lower the flag and the lock when the shard is
# empty (1), else 0 (more came in: go on), -1 when the lock is no longer ours.
RELEASE = """
if redis.call('GET', KEYS[4]) ~= ARGV[1] then
    return -1
end
if redis.call('LLEN', KEYS[1]) > 0 or redis.call('LLEN', KEYS[2]) > 0 then
    return 0
end
redis.call('DEL', KEYS[3], KEYS[4])
return 1
"""

# KEYS: lock. ARGV: token.
UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class ShardKeys:
    inbox: str
    taken: str
    active: str
    lock: str


def shard_keys(shard: int) -> ShardKeys:
    base = f"{PREFIX}:{shard}"
    return ShardKeys(
        inbox=base, taken=f"{base}:taken", active=f"{base}:active", lock=f"{base}:lock"
    )


def shard_of(contact_urn: str, idempotency_key: str) -> int:
    """The shard of a record: its contact's, so one citizen's messages keep their order."""
    digest = hashlib.sha256((contact_urn or idempotency_key).encode()).digest()
    return int.from_bytes(digest[:4], "big") % INBOX_SHARDS


def low_shard_of(shard: int) -> int:
    """The slow-lane shard a normal shard's over-the-limit senders go to."""
    return INBOX_SHARDS + shard % LOW_SHARDS


def is_low(shard: int) -> bool:
    return shard >= INBOX_SHARDS


def queue_of(shard: int) -> str:
    """The rq queue a shard's drain jobs wait on."""
    return INTAKE_LOW if is_low(shard) else INTAKE


def sender_counter_key(contact_urn: str) -> str:
    digest = hashlib.sha256(contact_urn.encode()).hexdigest()[:24]
    return f"{PREFIX}:sent:{digest}"


class Pushed:
    DUPLICATE = 0
    QUEUED = 1
    NEEDS_DRAINER = 2


_SCRIPTS: dict[str, Any] = {}  # source -> redis-py Script (it knows its SHA)


def _script(connection: redis.Redis, source: str) -> Callable[..., Any]:
    """The script, run on ``connection`` by EVALSHA (loaded again if Redis restarted)."""
    script = _SCRIPTS.get(source)
    if script is None:
        script = _SCRIPTS[source] = connection.register_script(source)
    return functools.partial(script, client=connection)


def push(
    connection: redis.Redis,
    shard: int,
    seen_key: str,
    record: dict[str, Any],
    *,
    seen_ttl: int,
    drain_job_id: str,
) -> int:
    """Append the record to its shard once; a ``Pushed`` value. Raises RedisError.

    ``NEEDS_DRAINER``: the shard's flag now names ``drain_job_id``, which the caller enqueues.
    """
    keys = shard_keys(shard)
    payload = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    return int(
        _script(connection, PUSH)(
            keys=[seen_key, keys.inbox, keys.active],
            args=[payload, seen_ttl, ACTIVE_TTL, drain_job_id],
        )
    )


@dataclass(frozen=True)
class LanedPush:
    pushed: int  # a ``Pushed`` value
    shard: int  # where the record went (a slow-lane shard for a sender over the limit)
    drain_job_id: str  # the job the caller enqueues when ``pushed`` is NEEDS_DRAINER


def push_laned(
    connection: redis.Redis,
    contact_urn: str,
    idempotency_key: str,
    seen_key: str,
    record: dict[str, Any],
    *,
    seen_ttl: int,
    drain_job_id: Callable[[int], str],
    limit: tuple[int, int] | None,
) -> LanedPush:
    """Append the record once, to its shard, or to the slow lane when its sender is over
    ``limit`` (messages, seconds) in the window; one round trip. Raises RedisError."""
    shard = shard_of(contact_urn, idempotency_key)
    low = low_shard_of(shard)
    keys, slow = shard_keys(shard), shard_keys(low)
    jobs = (drain_job_id(shard), drain_job_id(low))
    count, window = limit if (limit and contact_urn) else (0, 0)
    payload = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    answer = int(
        _script(connection, PUSH_LANED)(
            keys=[
                seen_key,
                keys.inbox,
                keys.active,
                slow.inbox,
                slow.active,
                sender_counter_key(contact_urn or idempotency_key),
            ],
            args=[payload, seen_ttl, ACTIVE_TTL, jobs[0], jobs[1], count, window],
        )
    )
    lane = 1 if answer >= 10 else 0
    return LanedPush(pushed=answer % 10, shard=(shard, low)[lane], drain_job_id=jobs[lane])


class Drain:
    """One drainer's hold on a shard: ``with Drain(conn, shard) as drain: for batch in ...``."""

    def __init__(self, connection: redis.Redis, shard: int) -> None:
        self.connection = connection
        self.shard = shard
        self.keys = shard_keys(shard)
        self.token = secrets.token_hex(8)
        self.locked = False
        self.batch_size = LOW_BATCH_SIZE if is_low(shard) else BATCH_SIZE
        self.slice_seconds = LOW_SLICE_SECONDS if is_low(shard) else SLICE_SECONDS

    def __enter__(self) -> Drain:
        self.locked = bool(self.connection.set(self.keys.lock, self.token, nx=True, ex=LOCK_TTL))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.locked:
            with contextlib.suppress(redis.RedisError):  # else it lapses after LOCK_TTL
                _script(self.connection, UNLOCK)(keys=[self.keys.lock], args=[self.token])
            self.locked = False

    def take(self, size: int | None = None) -> list[Any] | None:
        """The next batch of records (decoded), [] when the shard looks empty, None when the
        lock was lost (another drainer owns the shard now)."""
        batch = _script(self.connection, TAKE)(
            keys=[self.keys.inbox, self.keys.taken, self.keys.active, self.keys.lock],
            args=[self.token, size or self.batch_size, LOCK_TTL, ACTIVE_TTL],
        )
        if batch is None:
            self.locked = False
            return None
        return [_decode(item) for item in batch]

    def done(self) -> int:
        """Forget the stored batch: 1 the shard is empty and released, 0 more waits, -1 the
        lock was lost (the next drainer stores the batch again, which changes nothing)."""
        keys = self.keys
        result = int(
            _script(self.connection, DONE)(
                keys=[keys.inbox, keys.taken, keys.active, keys.lock], args=[self.token]
            )
        )
        if result != 0:
            self.locked = False
        return result

    def release(self) -> int:
        """1: the shard is empty and released; 0: more came in; -1: the lock was lost."""
        result = int(
            _script(self.connection, RELEASE)(
                keys=[self.keys.inbox, self.keys.taken, self.keys.active, self.keys.lock],
                args=[self.token],
            )
        )
        if result != 0:
            self.locked = False
        return result

    def batches(
        self, size: int | None = None, slice_seconds: float | None = None
    ) -> Iterator[list[Any]]:
        """Batches until the shard is empty (then released), the slice is over (the shard stays
        flagged and locked: the caller unlocks it and enqueues the next drain job), or the lock
        is lost. The caller stores each batch and calls ``done()`` before the next."""
        slice_seconds = self.slice_seconds if slice_seconds is None else slice_seconds
        deadline = time.monotonic() + slice_seconds
        while self.locked:
            batch = self.take(size or self.batch_size)
            if batch is None:
                return
            if not batch:
                self.release()  # unless one came in meanwhile: then take it
                continue
            yield batch  # the caller stores it and calls done(), which may release the shard
            if self.locked and time.monotonic() >= deadline:
                return

    @property
    def finished(self) -> bool:
        """Whether the shard was released (empty) or handed on; False: more to do."""
        return not self.locked


def _decode(item: bytes | str) -> Any:
    """A record as pushed; what cannot be decoded is passed on as text, for a dead letter."""
    try:
        return json.loads(item)
    except ValueError:
        return item.decode("utf-8", "replace") if isinstance(item, bytes) else item


@dataclass(frozen=True)
class InboxDepth:
    records: int  # waiting in the shards, and taken by drainers but not yet stored
    oldest_received_at: datetime | None


def depth(connection: redis.Redis) -> InboxDepth:
    """How many records wait in the inbox and when the oldest of them arrived (2 round trips)."""
    with connection.pipeline(transaction=False) as pipe:
        for shard in range(ALL_SHARDS):
            keys = shard_keys(shard)
            pipe.llen(keys.inbox)
            pipe.llen(keys.taken)
        lengths = pipe.execute()
    with connection.pipeline(transaction=False) as pipe:
        for shard in range(ALL_SHARDS):
            keys = shard_keys(shard)
            pipe.lindex(keys.taken, 0)
            pipe.lindex(keys.inbox, 0)
        heads = pipe.execute()
    oldest = None
    for head in heads:
        if head is None:
            continue
        record = _decode(head)
        stamp = record.get("received_at") if isinstance(record, dict) else None
        try:
            received = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
        except ValueError:
            received = None
        if received is not None and received.tzinfo is not None:
            oldest = received if oldest is None else min(oldest, received)
    return InboxDepth(records=sum(lengths), oldest_received_at=oldest)


# rq job statuses after which a job will not run again by itself.
OVER = frozenset({b"finished", b"failed", b"stopped", b"canceled"})


def shards_unattended(connection: redis.Redis) -> list[int]:
    """Shards holding records whose flag is down, or names a drain job that is gone or over
    (a web process died between its push and its enqueue; a drainer gave up)."""
    with connection.pipeline(transaction=False) as pipe:
        for shard in range(ALL_SHARDS):
            keys = shard_keys(shard)
            pipe.llen(keys.inbox)
            pipe.llen(keys.taken)
            pipe.get(keys.active)
        rows = pipe.execute()
    holding = {}
    for shard in range(ALL_SHARDS):
        queued, taken, active = rows[3 * shard : 3 * shard + 3]
        if queued or taken:
            holding[shard] = active
    flagged = [shard for shard, active in holding.items() if active]
    with connection.pipeline(transaction=False) as pipe:
        for shard in flagged:
            pipe.hget(Job.key_for(holding[shard].decode()), "status")
        statuses = dict(zip(flagged, pipe.execute(), strict=True))
    return [
        shard
        for shard, active in holding.items()
        if not active or statuses.get(shard) is None or statuses[shard] in OVER
    ]


def set_flag(connection: redis.Redis, shard: int, drain_job_id: str) -> None:
    """The shard is claimed by ``drain_job_id``, which the caller enqueues next."""
    connection.set(shard_keys(shard).active, drain_job_id, ex=ACTIVE_TTL)


def waiting_records(connection: redis.Redis) -> list[Any]:
    """Every record in the inbox not yet stored, shard by shard, each shard in its order.

    For tests and diagnosis: it reads every payload, so it is no operator's hot path.
    """
    with connection.pipeline(transaction=False) as pipe:
        for shard in range(ALL_SHARDS):
            keys = shard_keys(shard)
            pipe.lrange(keys.taken, 0, -1)
            pipe.lrange(keys.inbox, 0, -1)
        lists = pipe.execute()
    return [_decode(item) for items in lists for item in items]
