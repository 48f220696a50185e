"""submit() -> rq -> store job -> case store, with a real Redis, database and rq worker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from casestore.models import Complaint, Message, StatusEvent
from dispatcher.inbox import waiting_records
from dispatcher.queues import INTAKE, queue
from dispatcher.spool import Spool
from dispatcher.submit import Submitted, drain_spool, submit
from normalizer import normalize
from normalizer.records import Channel, InboundMessage


def web_message(
    key: str, text: str = "Lampu jalan mati di Kampung Bale, Kec. Lut Tawar"
) -> InboundMessage:
    return InboundMessage(
        channel=Channel.WEB,
        provider="webform",
        external_id=key,
        sender="tel:+6281234567890",
        text=text,
        received_at=datetime(2026, 11, 28, 3, 0, tzinfo=UTC),
        declared={"privacy": "public"},
    )


def count(runtime, model, *where):
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_submitted_record_is_stored_once(runtime, work):
    record = normalize(web_message("key-aaaaaaaaaaaaaaaa"), runtime.rules)
    assert submit(record, runtime.redis, runtime.spool) is Submitted.QUEUED
    work()
    with runtime.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.tracking_id == record.tracking_id
        assert complaint.status == "received"
        assert complaint.owner_unit  # never unowned
        kinds = [e.kind for e in session.scalars(select(StatusEvent))]
        assert kinds == ["received", "routed"]


def test_provider_retries_are_answered_without_a_second_job(runtime, work):
    record = normalize(web_message("key-bbbbbbbbbbbbbbbb"), runtime.rules)
    assert submit(record, runtime.redis, runtime.spool) is Submitted.QUEUED
    assert submit(record, runtime.redis, runtime.spool) is Submitted.DUPLICATE
    assert len(waiting_records(runtime.redis)) == 1
    work()
    assert count(runtime, Complaint) == 1


def test_a_job_run_twice_stores_once(runtime, work):
    record = normalize(web_message("key-cccccccccccccccc"), runtime.rules)
    submit(record, runtime.redis, runtime.spool)
    work()
    # The seen key expired and the job result is gone: the store itself must hold the line.
    runtime.redis.flushdb()
    assert submit(record, runtime.redis, runtime.spool) is Submitted.QUEUED
    work()
    assert count(runtime, Complaint) == 1
    assert count(runtime, Message, Message.direction == "in") == 1


def test_records_spool_when_redis_is_down_and_drain_later(runtime, work, tmp_path):
    dead = redis.Redis(unix_socket_path=str(tmp_path / "nobody.sock"), socket_timeout=0.2)
    spool = Spool(tmp_path / "spool")
    records = [normalize(web_message(f"key-spool-{n:010d}"), runtime.rules) for n in range(3)]
    for record in records:
        assert submit(record, dead, spool) is Submitted.SPOOLED
    assert spool.stats().records == 3
    assert drain_spool(runtime.redis, spool) == 3
    assert spool.stats().records == 0
    work()
    assert count(runtime, Complaint) == 3


def test_a_malformed_record_goes_to_the_failed_registry_with_a_reason(runtime, work):
    intake = queue(INTAKE, runtime.redis)
    job = intake.enqueue("dispatcher.jobs.store", {"intent": "new", "text": "x"})
    worker = work()
    assert worker.get_state() is not None  # the worker survived and stopped on its own
    failed = FailedJobRegistry(queue=intake)
    assert job.id in failed.get_job_ids()
    job.refresh()
    assert "malformed record" in job.latest_result().exc_string
    assert job.retries_left in (None, 0)
    assert count(runtime, Complaint) == 0


@pytest.mark.parametrize("text", ["   ", "\u200b\u200b", ""])
def test_blank_text_still_makes_a_case_for_operators_not_a_crash(runtime, work, text):
    # Channels other than the web form cannot refuse a citizen; the record is kept.
    record = normalize(web_message("key-blank-" + str(len(text)).zfill(8), text), runtime.rules)
    submit(record, runtime.redis, runtime.spool)
    work()
    assert count(runtime, Complaint) == 1
