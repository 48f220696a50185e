"""What the email tests share: a web complaint whose citizen typed an address, acting on a
case as the console does, and a worker that also runs rq's due retries."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from casestore import complaints as store
from dispatcher.casework import act_on_case, lifecycle_action
from dispatcher.intake import store_record
from dispatcher.outbox import enqueue_notifications
from dispatcher.worker import make_worker
from normalizer import normalize
from normalizer.records import Channel, InboundMessage

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB
_ids = itertools.count(1)
TEXT_ID = "Lampu jalan mati di Kampung Bale, Kecamatan Lut Tawar, sudah seminggu gelap"
TEXT_EN = "The street lights in Kampung Bale, Lut Tawar have been off for a week, it is dark"


def file_typed(
    runtime, address, text=TEXT_ID, privacy="public", channel=Channel.WEB, name="", at=T0
):
    """A web (API, Open311) complaint whose citizen typed ``address``; its tracking id. The
    messages intake queued (an email's acknowledgement, a phone's code) are enqueued, as
    the drain job does."""
    inbound = InboundMessage(
        channel=channel,
        provider="webform",
        external_id=f"form-key-{next(_ids):020d}",
        sender=address,
        sender_name=name,
        text=text,
        received_at=at,
        declared={"privacy": privacy},
    )
    with runtime.sessions.begin() as session:
        outcome = store_record(session, normalize(inbound, runtime.rules), runtime)
    enqueue_notifications(runtime.redis, outcome.outbound_ids)
    return outcome.tracking_id


def act(runtime, tracking_id, action, **fields):
    """Act on the case as the console does (act_on_case), notify jobs enqueued."""
    return act_on_case(
        runtime,
        lambda session: store.complaint_by_tracking_id(session, tracking_id),
        lifecycle_action(action, runtime, actor="koordinator", **fields),
    )


def work_with_scheduler(runtime):
    """A real rq worker in burst mode that first enqueues the retries that are due."""
    worker = make_worker(runtime)
    worker.work(burst=True, with_scheduler=True)
    return worker
