"""Operators' alerts as short texts to their phone (issue 18): the kinds they switched on,
at once, through the SMS channel that is on (the local Twilio API speaking its wire format)
and a real rq worker, with rq's Retry; only the tracking id, kind, unit and deadline."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from email_support import TEXT_ID, act, file_typed, work_with_scheduler
from fakes.twilio_api import FakeTwilioApi, twilio_settings
from rq import Retry
from sqlalchemy import select

from casestore import alerts, operators
from casestore.lifecycle import Action
from casestore.models import OperatorAlert
from dispatcher import operator_alerts
from dispatcher.operator_alerts import scan_alerts
from normalizer.segments import count_segments
from normalizer.tracking import format_tracking_id

LATER = datetime(2030, 1, 1, tzinfo=UTC)  # every event has settled by then
NAME = "Siti Aminah"
NOTE = "Catatan internal: cek ke lapangan bersama camat"
CITIZEN = "mailto:rahasia.warga@contoh.id"
ADMIN_PHONE = "+6281260000077"


@pytest.fixture
def twilio():
    with FakeTwilioApi("AC" + "7" * 32, "token-" + "8" * 26) as api:
        yield api


@pytest.fixture
def settings(settings, twilio):
    return twilio_settings(settings, twilio, "https://lapor.test")  # no SMTP: email is off


def admin(runtime, **wanted):
    with runtime.sessions.begin() as session:
        account = operators.create_operator(
            session,
            username="pupr.admin",
            password="kata-sandi-panjang-1",
            role="unit",
            unit_code="dinas-pupr",
        )
        alerts.set_preferences(session, account, **wanted)


def dispatched_case(runtime):
    tracking_id = file_typed(runtime, CITIZEN, privacy="anonymous", name=NAME)
    act(runtime, tracking_id, Action.VERIFY)
    act(runtime, tracking_id, Action.DISPATCH, unit="dinas-pupr", note=NOTE)
    return tracking_id


def texts(twilio):
    return [m["body"] for m in twilio.sent() if m["to"] == ADMIN_PHONE]


def test_a_dispatch_is_one_short_text_with_nothing_of_the_citizen(runtime, work, twilio):
    admin(runtime, phone="0812-6000-0077", phone_alerts="sms")
    scan_alerts(now=LATER)
    tracking_id = dispatched_case(runtime)
    assert scan_alerts(now=LATER) == 1  # email is off: the text alone
    assert scan_alerts(now=LATER) == 0  # a second scan writes nothing
    work()
    (text,) = texts(twilio)
    shown = format_tracking_id(tracking_id)
    assert text.startswith(f"SatuPintu: Aduan baru untuk unit Anda. Aduan {shown}, unit ")
    assert "batas waktu " in text and count_segments(text).segments <= 2
    for private in ("rahasia.warga", NAME, TEXT_ID[:20], "Catatan internal"):
        assert private not in text
    with runtime.sessions() as session:
        (row,) = session.scalars(select(OperatorAlert))
    assert (row.kind, row.delivery, row.status) == ("routed", "sms", "sent")
    assert row.external_id.startswith("SM")
    assert operator_alerts.send_alert(row.id) == {"skipped": True}  # a retry sends nothing
    assert len(texts(twilio)) == 1


def test_kinds_switched_off_and_texts_off_send_nothing(runtime, work, twilio):
    admin(runtime, phone="0812-6000-0077", phone_alerts="sms", kinds=["deadline"])
    scan_alerts(now=LATER)
    dispatched_case(runtime)
    assert scan_alerts(now=LATER) == 0
    with runtime.sessions.begin() as session:
        account = operators.operator_by_username(session, "pupr.admin")
        alerts.set_preferences(session, account, kinds=["routed"], phone_alerts="off")
    dispatched_case(runtime)
    assert scan_alerts(now=LATER) == 0
    work()
    assert texts(twilio) == []


def test_a_provider_outage_is_retried_and_sent_once(runtime, work, twilio, monkeypatch):
    monkeypatch.setattr(operator_alerts, "ALERT_RETRY", Retry(max=3, interval=1))
    admin(runtime, phone="0812-6000-0077", phone_alerts="sms")
    scan_alerts(now=LATER)
    dispatched_case(runtime)
    twilio.fail_next(500, times=1)
    scan_alerts(now=LATER)
    work()
    assert texts(twilio) == []
    time.sleep(1.2)
    work_with_scheduler(runtime)
    assert len(texts(twilio)) == 1
    with runtime.sessions() as session:
        (row,) = session.scalars(select(OperatorAlert))
    assert row.status == "sent"


def test_without_an_sms_channel_no_text_is_written(runtime, work):
    runtime.settings = runtime.settings.replace(twilio_account_sid="", twilio_auth_token="")
    admin(runtime, phone="0812-6000-0077", phone_alerts="sms")
    scan_alerts(now=LATER)
    dispatched_case(runtime)
    assert scan_alerts(now=LATER) == 0


def test_texts_need_a_phone(runtime):
    with pytest.raises(ValueError, match="phone_alerts"):
        admin(runtime, phone_alerts="sms")
