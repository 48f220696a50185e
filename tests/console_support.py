"""Shared steps for the console tests: accounts, logging in, CSRF tokens, stored complaints."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy import select

from casestore import operators as accounts
from casestore.models import Complaint, StatusEvent
from casestore.quarantine import quarantine_record
from dispatcher.queues import INTAKE, queue
from dispatcher.submit import submit
from normalizer import normalize
from normalizer.records import Channel, InboundMessage

PASSWORD = "kata-sandi-uji-123"
UNIT = "kec-11.04.17"  # Kantor Camat Laut Tawar
OTHER_UNIT = "kec-11.04.01"  # Kantor Camat Linge


@pytest.fixture
def fast_hashing(monkeypatch):
    """argon2's cheapest parameters: the same code path, a millisecond per hash, not 100."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher.from_parameters(CHEAPEST))


def add_operator(runtime, username, role="coordinator", unit=None, **extra):
    with runtime.sessions.begin() as db:
        accounts.create_operator(
            db, username=username, password=PASSWORD, role=role, unit_code=unit, **extra
        )


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def csrf(client, path="/console/login") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def login(client, username, password=PASSWORD, **headers):
    token = csrf(client)
    return client.post(
        "/console/login",
        data={"csrf_token": token, "username": username, "password": password},
        headers=headers,
    )


def web_complaint(
    runtime,
    key: str,
    text: str = "Jalan berlubang di Kampung Bale, Kecamatan Laut Tawar, sudah sebulan.",
    *,
    privacy: str = "public",
    kecamatan: str | None = "11.04.17",
    sender: str = "tel:+6281234567890",
    name: str = "Siti Aminah",
    received_at: datetime | None = None,
):
    declared = {"privacy": privacy}
    if kecamatan:
        declared["kecamatan_code"] = kecamatan
    inbound = InboundMessage(
        channel=Channel.WEB,
        provider="webform",
        external_id=key,
        sender=sender,
        sender_name=name,
        text=text,
        received_at=received_at or datetime.now(UTC),
        declared=declared,
    )
    record = normalize(inbound, runtime.rules)
    submit(record, runtime.redis, runtime.spool)
    return record.tracking_id


def sms_complaint(
    runtime,
    sid: str,
    text: str = "Jalan berlubang di Kampung Bale, Kecamatan Laut Tawar, sudah sebulan.",
    *,
    sender: str = "tel:+6281234567890",
    received_at: datetime | None = None,
):
    """An SMS as the Twilio adapter hands it over, submitted to the intake queue."""
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="twilio",
        external_id=sid,
        sender=sender,
        recipient="1708",
        text=text,
        received_at=received_at or datetime.now(UTC),
    )
    record = normalize(inbound, runtime.rules)
    submit(record, runtime.redis, runtime.spool)
    return record.tracking_id


def failed_store_job(runtime, phone: str = "+6281234567890") -> str:
    """A store job whose record this version cannot read: a dead letter with a reason."""
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="twilio",
        external_id="SM" + "3" * 32,
        sender=f"tel:{phone}",
        sender_name="Rahmat Hidayat",
        text="Pungutan liar di kantor desa oleh Pak Budi",
        received_at=datetime.now(UTC),
    )
    record = normalize(inbound, runtime.rules).to_dict()
    record["intent"] = "launch_rockets"  # unreadable: a permanent failure
    job = queue(INTAKE, runtime.redis).enqueue("dispatcher.jobs.store", record)
    return job.id


def hold(runtime, key: str = "sms:SM" + "4" * 32, phone: str = "+6281234567890") -> int:
    """An SMS held in quarantine (its sender past the rate limit); its quarantine id."""
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="twilio",
        external_id=key.partition(":")[2],
        sender=f"tel:{phone}",
        text="Lampu jalan mati di depan masjid Kampung Bale",
        received_at=datetime.now(UTC),
    )
    record = normalize(inbound, runtime.rules)
    with runtime.sessions.begin() as db:
        return quarantine_record(db, record, "rate_limited").id


# --- cases and their actions (test_console_cases.py, test_console_actions.py) -------------


def case(runtime, tracking_id) -> Complaint:
    with runtime.sessions() as db:
        return db.scalars(select(Complaint).where(Complaint.tracking_id == tracking_id)).one()


def set_owner(runtime, tracking_id, unit, **changes):
    with runtime.sessions.begin() as db:
        complaint = db.scalars(select(Complaint).where(Complaint.tracking_id == tracking_id)).one()
        complaint.owner_unit = unit
        for name, value in changes.items():
            setattr(complaint, name, value)


def act(client, tracking_id, action, **fields):
    token = csrf(client, f"/console/cases/{tracking_id}")
    data = {"csrf_token": token, "action": action, **fields}
    return client.post(f"/console/cases/{tracking_id}/actions", data=data)


def events(runtime, tracking_id) -> list[StatusEvent]:
    with runtime.sessions() as db:
        complaint = db.scalars(select(Complaint).where(Complaint.tracking_id == tracking_id)).one()
        return list(db.scalars(select(StatusEvent).where(StatusEvent.complaint_id == complaint.id)))
