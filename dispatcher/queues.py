"""The rq queues and the Redis connection they share. Only the dispatcher knows rq.

SATUPINTU_REDIS_URL is ``redis://``, ``rediss://``, ``unix://``, or, for Redis watched by
Sentinels, ``redis+sentinel://[[user]:password@]host:port[,host:port...]/service[/db]``
(``?sentinel_password=...`` when the Sentinels have their own password): every connection
then asks the Sentinels which server is the service's master when it connects, and drops
itself when that server turns out to be a demoted replica.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.sentinel import Sentinel
from rq import Queue
from rq.serializers import JSONSerializer

INTAKE = "intake"
NOTIFY = "notify"
MAINTENANCE = "maintenance"  # periodic sweeps, clocks and polls (dispatcher/schedule.py)
# The slow lane: drain jobs of the inbox shards that hold senders over the per-sender limit
# (a flood), taken only when nothing else waits (dispatcher/inbox.py).
INTAKE_LOW = "intake_low"
QUEUE_NAMES = (INTAKE, NOTIFY, MAINTENANCE, INTAKE_LOW)  # the order a worker takes them in


SENTINEL_SCHEME = "redis+sentinel"


def redis_connection(url: str, timeout: float = 5.0) -> redis.Redis:
    """A client that fails fast, so a webhook can spool instead of hanging past its deadline."""
    options = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": 30,
    }
    if url.startswith(SENTINEL_SCHEME + "://"):
        address = parse_sentinel_url(url)
        pool = redis.ConnectionPool(
            connection_class=SentinelMasterConnection,
            sentinels=address.sentinels,
            service_name=address.service_name,
            sentinel_password=address.sentinel_password,
            username=address.username,
            password=address.password,
            db=address.db,
            **options,
        )
        return redis.Redis(connection_pool=pool)
    return redis.Redis.from_url(url, **options)


@dataclass(frozen=True)
class SentinelAddress:
    sentinels: tuple[tuple[str, int], ...]
    service_name: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None


def parse_sentinel_url(url: str) -> SentinelAddress:
    """``redis+sentinel://:pw@s1:26379,s2:26379/satupintu/0``; ValueError when malformed."""
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    sentinels = []
    for host in filter(None, hosts.split(",")):
        name, _, port = host.rpartition(":")
        if not name or not port.isdigit():
            raise ValueError(f"a Sentinel must be host:port, not {host!r}")
        sentinels.append((name.strip("[]"), int(port)))
    path = [unquote(p) for p in parts.path.split("/") if p]
    if not sentinels or not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError("expected redis+sentinel://[password@]host:port[,host:port]/service[/db]")
    username, _, password = userinfo.partition(":")
    query = parse_qs(parts.query)
    return SentinelAddress(
        sentinels=tuple(sentinels),
        service_name=path[0],
        db=int(path[1]) if len(path) == 2 else 0,
        username=unquote(username) or None,
        password=unquote(password) or None,
        sentinel_password=(query.get("sentinel_password") or [None])[0],
    )


class SentinelMasterConnection(redis.Connection):
    """A connection to whichever server the Sentinels name as the service's master now.

    Plain keyword arguments (``sentinels``, ``service_name``, ``sentinel_password``) on top of
    redis.Connection's: rq rebuilds connections in its forked scheduler from a pool's
    arguments, which redis-py's own SentinelManagedConnection (bound to its pool object)
    does not survive.
    """

    def __init__(
        self,
        *,
        sentinels: tuple[tuple[str, int], ...] = (),
        service_name: str = "",
        sentinel_password: str | None = None,
        **kwargs,
    ) -> None:
        self.sentinels = tuple((host, int(port)) for host, port in sentinels)
        self.service_name = service_name
        self.sentinel_password = sentinel_password
        super().__init__(**kwargs)

    def _connect(self):
        sentinel = Sentinel(
            self.sentinels,
            sentinel_kwargs={
                "password": self.sentinel_password,
                "socket_timeout": self.socket_connect_timeout,
            },
            socket_timeout=self.socket_connect_timeout,
        )
        self.host, self.port = sentinel.discover_master(self.service_name)
        return super()._connect()

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except redis.ReadOnlyError:
            # The server we knew was demoted in a failover: reconnect, asking the Sentinels.
            self.disconnect()
            raise redis.ConnectionError(
                f"{self.host}:{self.port} is no longer the master of {self.service_name}"
            ) from None


def queue(name: str, connection: redis.Redis) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def job_id(prefix: str, key: str) -> str:
    """A deterministic job id: the same message always maps to the same job."""
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:32]}"
