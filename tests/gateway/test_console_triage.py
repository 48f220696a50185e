"""The coordinator's triage queue on the console: the verdict beside the reason, and release,
reject and "Ini spam" one click each (a POST with the CSRF token, as the page sends it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from console_support import csrf, fast_hashing  # noqa: F401 (fast_hashing is a fixture)
from sqlalchemy import select

from casestore.models import Complaint, Quarantine
from dispatcher.intake import store_record
from normalizer import normalize
from normalizer.records import Channel, InboundMessage

pytestmark = pytest.mark.usefixtures("fast_hashing")

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
FRAUD = "mama lg di kantor polisi, tlg kirim pulsa 100rb ke nomor ini dulu, hub 0852-3377-1855"


def held(runtime, n: int, text: str = FRAUD) -> int:
    inbound = InboundMessage(
        channel=Channel.SMS, provider="twilio", external_id=f"SM{n:032d}",
        sender=f"tel:+62812000000{n:02d}", text=text, received_at=T0,
    )  # fmt: skip
    with runtime.sessions.begin() as session:
        store_record(session, normalize(inbound, runtime.rules), runtime)
    with runtime.sessions() as session:
        return session.scalars(select(Quarantine.id).order_by(Quarantine.id.desc())).first()


def test_the_queue_shows_the_verdict_and_three_buttons(runtime, coordinator):
    held(runtime, 1)
    page = coordinator.get("/console/").get_data(as_text=True)
    assert "penipuan" in page and "phone" in page  # the verdict and the signal found
    assert "Ini spam" in page and "Loloskan" in page and "Tolak" in page


def test_this_is_spam_closes_the_message_as_a_label(runtime, coordinator):
    quarantine_id = held(runtime, 2)
    token = csrf(coordinator, "/console/")
    answer = coordinator.post(f"/console/triage/{quarantine_id}/spam", data={"csrf_token": token})
    assert answer.status_code == 303
    with runtime.sessions() as session:
        row = session.get(Quarantine, quarantine_id)
        assert row.resolution == "spam" and row.resolved_by
    again = coordinator.post(f"/console/triage/{quarantine_id}/spam", data={"csrf_token": token})
    assert again.status_code == 303  # already decided: told so, nothing changes


def test_release_makes_the_held_message_a_case(runtime, coordinator):
    quarantine_id = held(runtime, 3)
    token = csrf(coordinator, "/console/")
    coordinator.post(
        f"/console/monitor/quarantine/{quarantine_id}/release", data={"csrf_token": token}
    )
    with runtime.sessions() as session:
        assert session.scalars(select(Complaint)).one().description.startswith("mama")


def test_the_case_page_says_why_the_case_went_where_it_went(runtime, coordinator):
    text = "Lampu jalan di Kampung Kenawat Kec. Lut Tawar mati semua sejak seminggu, gelap"
    held(runtime, 4, text)
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint)).one()
    page = coordinator.get(f"/console/cases/{case.tracking_id}").get_data(as_text=True)
    assert "Triase: complaint" in page  # the verdict and its confidence
    assert "kategori yakin" in page and "lampu_jalan" in page  # the category and why
    assert "Dinas Perumahan" in page  # the unit routing.toml named
