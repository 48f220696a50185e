"""Which job failures are worth retrying, and the reason an operator reads for the others.

Transient: the database or Redis unreachable, a lock or deadlock, a serialization failure, a
concurrent insert that lost the race to an identical one (its retry finds the row and is a
no-op), a provider that timed out or answered 5xx, a job that ran past its timeout. rq's
Retry runs those again with backoff. Anything else cannot get better by waiting (a record
this version cannot read, a bug, a bad data file): the job spends no more retries and goes
straight to rq's failed registry with a one-line reason, its arguments (the record) kept for
`satupintu replay` after the fix.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from rq import get_current_job
from rq.job import Job
from rq.timeouts import JobTimeoutException

from adapters.base import TransientSendError
from casestore.db import TRANSIENT_DATABASE_ERRORS, is_disconnect

REASON_KEY = "failure_reason"
REASON_CHARS = 300

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    *TRANSIENT_DATABASE_ERRORS,  # unreachable, locked, deadlocked, a lost insert race
    redis.RedisError,
    TransientSendError,
    JobTimeoutException,
    ConnectionError,
    TimeoutError,
)


class PermanentJobError(Exception):
    """Retrying this job cannot help; an operator must look at it."""


def is_transient(exc: BaseException) -> bool:
    if is_disconnect(exc):
        return True
    return isinstance(exc, TRANSIENT_ERRORS) and not isinstance(exc, PermanentJobError)


def reason_of(exc: BaseException) -> str:
    """One readable line: the error's type and the first line of its message."""
    if isinstance(exc, PermanentJobError):
        text = str(exc)
    else:
        first = (str(exc).strip().splitlines() or [""])[0]
        text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return text[:REASON_CHARS]


def give_up(reason: str) -> None:
    """Spend no more retries on the current job and keep the reason on it for operators."""
    job = get_current_job()
    if job is None:
        return
    job.retries_left = 0
    job.meta[REASON_KEY] = reason[:REASON_CHARS]
    with contextlib.suppress(redis.RedisError):  # the reason is also the exception's last line
        job.save_meta()


F = TypeVar("F", bound=Callable[..., Any])


def retry_transient_only(func: F) -> F:
    """Let transient failures go to rq's Retry; turn every other one into a dead letter."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            if is_transient(exc):
                raise
            reason = reason_of(exc)
            give_up(reason)
            if isinstance(exc, PermanentJobError):
                raise
            raise PermanentJobError(reason) from exc

    return run  # type: ignore[return-value]


def failure_reason(job: Job) -> str:
    """Why a failed job failed, in one line: the kept reason, else its exception's last line."""
    reason = job.meta.get(REASON_KEY) if job.meta else None
    if reason:
        return str(reason)
    result = job.latest_result()
    text = (result.exc_string if result is not None else "") or ""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        # SQLAlchemy ends its messages with the statement and a link; the error is above.
        if line and not line.startswith(("(Background on this error", "[SQL:", "[parameters:")):
            return line[:REASON_CHARS]
    return "unknown"
