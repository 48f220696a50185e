"""The periodic media sweep: photos that waited for their sender's words in vain.

Each becomes a case through the whole intake path (``store_record``) and its sender is asked
what it shows; ``media`` holds the parts intake itself calls (joining, holding a photo).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from casestore.models import utcnow
from casestore.quarantine import overdue_media, take_pending
from dispatcher import runtime as runtime_module
from dispatcher.intake.store import store_record
from dispatcher.outbox import enqueue_notifications
from dispatcher.runtime import Runtime
from normalizer.records import ComplaintRecord

log = logging.getLogger(__name__)


def settle_waiting_media(runtime: Runtime, now: datetime) -> list[int]:
    """Photos that waited longer than the wait with no words: each becomes a case and its
    sender is asked what it shows. Returns the outbound message ids to enqueue."""
    before = now - timedelta(seconds=runtime.settings.triage_media_wait)
    outbound: list[int] = []
    with runtime.sessions() as reader:
        overdue = overdue_media(reader, before)
    for quarantine_id in overdue:
        with runtime.sessions.begin() as session:
            payload = take_pending(session, quarantine_id, "system")
            if payload is None:
                continue
            record = ComplaintRecord.from_dict(payload)
            outcome = store_record(
                session, record, runtime, check_rate_limit=False, template="ack_photo"
            )
            outbound.extend(outcome.outbound_ids)
    if overdue:
        log.info("%d photo(s) waited for words in vain and became cases", len(overdue))
    return outbound


def sweep_waiting_media() -> int:
    """The periodic job: settle the photos that waited in vain, then queue the questions."""
    rt = runtime_module.current()
    outbound = settle_waiting_media(rt, utcnow())
    enqueue_notifications(rt.redis, outbound)
    return len(outbound)
