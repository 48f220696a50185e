"""Operators hear of their unit's work by email (issue 18), through a real SMTP server and a
real rq worker: at once or in a morning digest on working days, each kind switchable, and
nothing of the citizen in the email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from email_support import act, file_typed
from sqlalchemy import select

from casestore import alerts, operators
from casestore.lifecycle import Action
from casestore.models import OperatorAlert
from dispatcher.operator_alerts import scan_alerts, send_digests
from normalizer.tracking import format_tracking_id

LATER = datetime(2030, 1, 1, tzinfo=UTC)  # every event has settled by then
CITIZEN = "mailto:rahasia.warga@contoh.id"
NAME = "Siti Aminah"
NOTE = "Catatan internal: cek ke lapangan bersama camat"


@pytest.fixture
def settings(settings, smtp):
    return settings.replace(
        smtp_url=smtp.url, mail_from="lapor@acehtengahkab.go.id", public_url="https://lapor.test"
    )


def operator(runtime, username, role="unit", unit="dinas-pupr", **wanted):
    with runtime.sessions.begin() as session:
        account = operators.create_operator(
            session,
            username=username,
            password="kata-sandi-panjang-1",
            role=role,
            unit_code=unit if role == "unit" else None,
        )
        alerts.set_preferences(session, account, **wanted)
        return account.id


def dispatched_case(runtime, privacy="public"):
    tracking_id = file_typed(runtime, CITIZEN, privacy=privacy, name=NAME)
    act(runtime, tracking_id, Action.VERIFY)
    act(runtime, tracking_id, Action.DISPATCH, unit="dinas-pupr", note=NOTE)
    return tracking_id


def alert_rows(runtime):
    with runtime.sessions() as session:
        return list(session.scalars(select(OperatorAlert).order_by(OperatorAlert.id)))


def test_a_case_dispatched_to_my_unit_is_one_email_with_nothing_of_the_citizen(runtime, work, smtp):
    operator(runtime, "pupr.admin", email="admin.pupr@acehtengahkab.go.id")
    scan_alerts(now=LATER)  # the cursor starts at the newest event: nothing old floods in
    tracking_id = dispatched_case(runtime, privacy="anonymous")
    assert scan_alerts(now=LATER) == 1
    assert scan_alerts(now=LATER) == 0  # a second scan writes nothing
    work()
    citizen_mails = [m for m in smtp.received if m["To"] == "rahasia.warga@contoh.id"]
    (mail,) = [m for m in smtp.received if m["To"] == "admin.pupr@acehtengahkab.go.id"]
    assert len(citizen_mails) == 3  # acknowledged, verified, dispatched: their own updates
    assert mail["Subject"] == "SatuPintu: Aduan baru untuk unit Anda / New case for your unit"
    assert "List-Unsubscribe" not in mail
    for part in ("plain", "html"):
        body = mail.get_body((part,)).get_content()
        assert format_tracking_id(tracking_id) in body
        assert f"https://lapor.test/console/cases/{tracking_id}" in body
        for private in ("rahasia.warga", NAME, "Lampu jalan", "Catatan internal", "bersama camat"):
            assert private not in body
    (row,) = alert_rows(runtime)
    assert (row.kind, row.status, row.external_id) == ("routed", "sent", mail["Message-ID"])


def test_kinds_switched_off_are_not_sent_and_other_units_hear_nothing(runtime, work, smtp):
    operator(runtime, "pupr.quiet", email="quiet@contoh.id", kinds=["citizen", "deadline"])
    operator(runtime, "rsud.admin", unit="rsud", email="rsud@contoh.id")
    scan_alerts(now=LATER)
    dispatched_case(runtime)
    assert scan_alerts(now=LATER) == 0
    work()
    assert {m["To"] for m in smtp.received} == {"rahasia.warga@contoh.id"}


def test_a_bounce_reaches_the_coordinator(runtime, work, smtp):
    operator(runtime, "koord", role="coordinator", email="koordinator@contoh.id")
    scan_alerts(now=LATER)
    tracking_id = dispatched_case(runtime)
    act(runtime, tracking_id, Action.BOUNCE, reason="not_authority", note="bukan wewenang")
    scan_alerts(now=LATER)
    work()
    subjects = [m["Subject"] for m in smtp.received if m["To"] == "koordinator@contoh.id"]
    assert "SatuPintu: Aduan dikembalikan ke koordinator / Case sent back to the coordinator" in (
        subjects
    )


def test_the_morning_digest_comes_on_working_days_after_the_digest_hour(runtime, work, smtp):
    operator(runtime, "pupr.pagi", email="pagi@contoh.id", delivery="digest")
    scan_alerts(now=LATER)
    first, second = dispatched_case(runtime), dispatched_case(runtime)
    assert scan_alerts(now=LATER) == 2
    work()
    assert "pagi@contoh.id" not in {m["To"] for m in smtp.received}  # waiting for the digest
    created = alert_rows(runtime)[0].created_at
    # 08:00 WIB (01:00 UTC) on a Saturday, on Christmas (a Friday), then on a Monday.
    saturday = datetime(2030, 1, 5, 1, 0, tzinfo=UTC)
    christmas = datetime(2026, 12, 25, 1, 0, tzinfo=UTC)
    monday = datetime(2030, 1, 7, 1, 0, tzinfo=UTC)  # 08:00 WIB
    assert created < monday
    assert send_digests(now=saturday) == 0
    if christmas > created:
        assert send_digests(now=christmas) == 0
    assert send_digests(now=monday) == 1
    assert send_digests(now=monday + timedelta(minutes=10)) == 0  # enqueued once
    work()
    (digest,) = [m for m in smtp.received if m["To"] == "pagi@contoh.id"]
    assert digest["Subject"] == "SatuPintu: ringkasan pagi / morning digest (2)"
    body = digest.get_body(("plain",)).get_content()
    assert format_tracking_id(first) in body and format_tracking_id(second) in body
    assert "rahasia.warga" not in body and NAME not in body
    assert {row.status for row in alert_rows(runtime)} == {"sent"}


def test_before_the_digest_hour_nothing_is_sent(runtime):
    operator(runtime, "pupr.subuh", email="subuh@contoh.id", delivery="digest")
    scan_alerts(now=LATER)
    dispatched_case(runtime)
    scan_alerts(now=LATER)
    dawn = datetime(2030, 1, 7, 22, 0, tzinfo=UTC)  # Tuesday 05:00 WIB
    assert send_digests(now=dawn) == 0


def test_a_refused_operator_address_is_recorded(runtime, work, smtp):
    smtp.handler.refuse.add("pindah@contoh.id")
    operator(runtime, "pupr.lama", email="pindah@contoh.id")
    scan_alerts(now=LATER)
    dispatched_case(runtime)
    scan_alerts(now=LATER)
    work()
    (row,) = alert_rows(runtime)
    assert (row.status, row.error_code) == ("failed", "smtp_550")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"email": "bukan-email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"delivery": "weekly"}, "delivery"),
        ({"kinds": ["routed", "gossip"]}, "gossip"),
    ],
)
def test_bad_preferences_name_the_field(runtime, change, says):
    with runtime.sessions.begin() as session:
        account = operators.create_operator(
            session, username="pupr.salah", password="kata-sandi-panjang-1", role="unit",
            unit_code="dinas-pupr",
        )  # fmt: skip
        with pytest.raises(ValueError, match=says):
            alerts.set_preferences(session, account, **change)
