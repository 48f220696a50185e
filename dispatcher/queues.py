"""The rq queues and the Redis connection they share. Only the dispatcher knows rq."""

from __future__ import annotations

import hashlib

import redis
from rq import Queue
from rq.serializers import JSONSerializer

INTAKE = "intake"
NOTIFY = "notify"
MAINTENANCE = "maintenance"  # periodic sweeps, clocks and polls (dispatcher/schedule.py)
QUEUE_NAMES = (INTAKE, NOTIFY, MAINTENANCE)


def redis_connection(url: str, timeout: float = 5.0) -> redis.Redis:
    """A client that fails fast, so a webhook can spool instead of hanging past its deadline."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
    )


def queue(name: str, connection: redis.Redis) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def job_id(prefix: str, key: str) -> str:
    """A deterministic job id: the same message always maps to the same job."""
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:32]}"
