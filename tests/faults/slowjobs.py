"""A store job that takes its time inside its transaction, for killing a worker mid-job.

It does what ``dispatcher.jobs.store`` does, but sleeps after writing and before the commit,
so a signal or a kill lands while the transaction is open. Workers started by the fault
tests import it from tests/faults (on their PYTHONPATH).
"""

from __future__ import annotations

import time
from typing import Any

from dispatcher import runtime as runtime_module
from dispatcher.intake import store_record
from dispatcher.outbox import enqueue_notifications
from normalizer.records import ComplaintRecord


def store_slowly(record: dict[str, Any], seconds: float) -> dict[str, Any]:
    rt = runtime_module.current()
    with rt.sessions.begin() as session:
        outcome = store_record(session, ComplaintRecord.from_dict(record), rt)
        session.flush()
        time.sleep(seconds)
    enqueue_notifications(rt.redis, outcome.outbound_ids)
    return {"tracking_id": outcome.tracking_id, "created": outcome.created}
