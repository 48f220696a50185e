"""Replies committed together go out in one notify job, each still once, keyed, with its own
retries (dispatcher/outbox.py, dispatcher.jobs.notify_batch), through the real twilio client
against the local fake API and a real rq worker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from casestore.complaints import queue_reply
from casestore.contacts import get_or_create_contact
from casestore.models import Message
from dispatcher.outbox import claim_key, enqueue_notifications, notify_job_id, sweep_outbox
from dispatcher.queues import NOTIFY, queue


def queued_replies(runtime, count: int) -> list[int]:
    """``count`` acknowledgements to different citizens, committed in one transaction."""
    ids = []
    with runtime.sessions.begin() as session:
        for n in range(count):
            contact = get_or_create_contact(session, f"tel:+62812345600{n:02d}")
            session.flush()
            reply = queue_reply(
                session,
                dedupe_key=f"batch-test:{n}",
                channel="sms",
                contact=contact,
                complaint=None,
                body=f"Terima kasih {n}",
            )
            session.flush()
            ids.append(reply.id)
    return ids


def statuses(runtime, ids: list[int]) -> list[str]:
    with runtime.sessions() as session:
        return [session.get(Message, i).status for i in ids]


def test_a_batch_of_replies_is_one_job_and_each_reply_is_sent_once(runtime, work, fake_twilio):
    ids = queued_replies(runtime, 5)
    assert enqueue_notifications(runtime.redis, ids) == 5
    notify_queue = queue(NOTIFY, runtime.redis)
    assert notify_queue.count == 1  # one job for the five
    (job,) = notify_queue.get_jobs()
    assert job.func_name == "dispatcher.jobs.notify_batch"
    # Each reply is claimed for that job: a second enqueue (or the sweep) leaves it alone.
    assert all(runtime.redis.get(claim_key(i)) == job.id.encode() for i in ids)
    assert enqueue_notifications(runtime.redis, ids) == 0
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert sweep_outbox(now=later) == 0
    work()
    assert sorted(m["to"] for m in fake_twilio.sent()) == [f"+62812345600{n:02d}" for n in range(5)]
    assert statuses(runtime, ids) == ["sent"] * 5
    # Run again (rq's Retry after a lost answer): nothing is sent twice.
    notify_queue.enqueue_job(notify_queue.fetch_job(job.id))
    work()
    assert len(fake_twilio.sent()) == 5
    assert enqueue_notifications(runtime.redis, ids) == 0


def test_a_reply_that_fails_in_a_batch_is_retried_alone(runtime, work, fake_twilio):
    ids = queued_replies(runtime, 3)
    fake_twilio.fail_next(500)  # the first send of the batch: Twilio had a bad moment
    enqueue_notifications(runtime.redis, ids)
    work()
    assert len(fake_twilio.sent()) == 2  # the others went on
    failed_id = next(i for i, s in zip(ids, statuses(runtime, ids), strict=True) if s != "sent")
    # Alone, as its own notify job, waiting its first back-off with the rest of its retries.
    scheduled = ScheduledJobRegistry(queue=queue(NOTIFY, runtime.redis))
    assert scheduled.get_job_ids() == [notify_job_id(failed_id)]
    alone = queue(NOTIFY, runtime.redis).fetch_job(notify_job_id(failed_id))
    assert alone.args == [failed_id] and alone.retries_left == 5
    # Its time comes: it is sent, once; the batch's others are not sent again.
    queue(NOTIFY, runtime.redis).enqueue_job(alone)
    scheduled.remove(alone)
    work()
    assert statuses(runtime, ids) == ["sent"] * 3
    assert len(fake_twilio.sent()) == 3
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert sweep_outbox(now=later) == 0


def test_a_reply_that_cannot_be_sent_fails_alone_with_its_reason(runtime, work, fake_twilio):
    ids = queued_replies(runtime, 2)
    missing = max(ids) + 1000  # no such message: a bug, not a provider's bad moment
    enqueue_notifications(runtime.redis, [ids[0], missing, ids[1]])
    work()
    assert statuses(runtime, ids) == ["sent", "sent"]
    failed = FailedJobRegistry(queue=queue(NOTIFY, runtime.redis))
    assert failed.get_job_ids() == [notify_job_id(missing)]


def test_a_lost_batch_job_is_found_by_the_sweep(runtime, work, fake_twilio):
    ids = queued_replies(runtime, 3)
    enqueue_notifications(runtime.redis, ids)
    (job,) = queue(NOTIFY, runtime.redis).get_jobs()
    job.delete()  # Redis lost it (a restart without persistence)
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert sweep_outbox(now=later) == 3
    work()
    assert statuses(runtime, ids) == ["sent"] * 3
    assert len(fake_twilio.sent()) == 3
