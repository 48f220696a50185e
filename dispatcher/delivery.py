"""Delivery receipts: queued by the status webhook, applied by a job on the notify queue.

A receipt is a write to the case store, and webhooks never block on the database, so the
webhook only enqueues (one job per message and status: Twilio's repeats collapse) and a
worker applies it in one short transaction. The job also covers a race: a receipt can beat
the notify job's commit of the provider's message id, so "not found yet" is retried while a
send is waiting for its id. A receipt for a message we never sent (another application on
the account, or long gone) is logged once and dropped: no traceback, no retries.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import redis
from rq import Retry, get_current_job
from rq.exceptions import DuplicateJobError

from casestore.contacts import opt_out_contact
from casestore.delivery import record_delivery, sends_awaiting_their_id
from casestore.models import utcnow
from dispatcher import runtime as runtime_module
from dispatcher.queues import NOTIFY, job_id, queue
from dispatcher.reply_policy import means_unsubscribed

log = logging.getLogger(__name__)

RECEIPT_RETRY = Retry(max=4, interval=[5, 30, 120, 600])
# A send whose provider id is not stored after this long is a crashed notify job (the
# outbox sweep re-queues it), not a commit a receipt could still be racing.
IN_FLIGHT = timedelta(minutes=15)


class ReceiptTooEarly(LookupError):
    """No outbound message has this provider id yet; the notify job may still be committing."""


def submit_delivery(report: Mapping[str, Any], connection: redis.Redis) -> bool:
    """Queue one receipt; False when its status is one we do not track (nothing to apply)."""
    if not report.get("status"):
        return False
    key = f"{report['external_id']}:{report['status']}:{report.get('error_code') or ''}"
    # A repeat of a receipt already waiting raises DuplicateJobError: one is enough.
    with contextlib.suppress(DuplicateJobError):
        queue(NOTIFY, connection).enqueue(
            "dispatcher.delivery.apply_delivery",
            dict(report),
            job_id=job_id("delivery", key),
            unique=True,
            retry=RECEIPT_RETRY,
            result_ttl=600,
            failure_ttl=7 * 24 * 3600,
            description="delivery receipt",
        )
    return True


def apply_delivery(report: dict[str, Any]) -> dict[str, Any]:
    """Move the outbound message's status forward; an "unsubscribed" code opts the contact
    out (Twilio's 21610: the channel's spec says which codes)."""
    rt = runtime_module.current()
    error_code = report.get("error_code") or None
    with rt.sessions.begin() as session:
        change = record_delivery(
            session,
            external_id=report["external_id"],
            status=report["status"],
            error_code=error_code,
        )
        if change is None:
            job = get_current_job()
            if (
                job is not None
                and job.retries_left
                and sends_awaiting_their_id(session, within=IN_FLIGHT)
            ):
                raise ReceiptTooEarly("no outbound message with this provider id yet")
            # Not ours (another application on the account) or long gone: nothing to do.
            log.info("receipt for an unknown outbound message ignored")
            return {"found": False}
        contact = change.message.contact
        if means_unsubscribed(change.message.channel, error_code) and contact is not None:
            opt_out_contact(contact, utcnow())
        return {"found": True, "changed": change.changed, "status": change.message.status}
