"""SMS end to end: signed webhook -> queue -> store -> reply through the fake Twilio API.

The last test runs `satupintu up` as a process and talks to it over real sockets only.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from fakes.twilio_api import FakeTwilioApi
from sqlalchemy import func, select

from adapters.twilio_sms import EMPTY_TWIML
from casestore.db import make_engine
from casestore.models import Complaint, Message
from dispatcher.submit import seen_key

SHOWN_ID = re.compile(r"\b([0-9A-Z]{5})-([0-9A-Z]{5})\b")
STRANGER = "+6281399998888"


def sms(twilio, n: int, body: str, sender: str = "+6281234567890"):
    sid = f"SM{n:032x}"
    values = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "Body": body, "From": sender}
    return [(k, values.get(k, v)) for k, v in twilio.params("sms_basic")]


def complaints(runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Complaint))


def shown_id(body: str) -> str:
    return "-".join(SHOWN_ID.search(body).groups())


def test_the_same_message_sid_twice_gives_one_case_and_one_ack(twilio, runtime, work, fake_twilio):
    params = twilio.params("sms_basic")
    for _ in range(2):
        response = twilio.post(params)
        assert response.status_code == 200
        assert response.get_data(as_text=True) == EMPTY_TWIML
    work()
    # Past the two-day "seen" key, a late retry reaches the store, which holds the line.
    runtime.redis.delete(seen_key("sms:" + dict(params)["MessageSid"]))
    assert twilio.post(params).status_code == 200
    work()
    assert complaints(runtime) == 1
    (ack,) = fake_twilio.sent()
    with runtime.sessions() as session:
        tracking_id = session.scalars(select(Complaint.tracking_id)).one()
    assert shown_id(ack["body"]).replace("-", "") == tracking_id
    assert ack["to"] == "+6281234567890"


def test_cek_answers_the_status_and_reveals_nothing_to_others(twilio, runtime, work, fake_twilio):
    twilio.post(sms(twilio, 1, "Jalan rusak parah di Kampung Bale, Kec. Lut Tawar"))
    work()
    tracking = shown_id(fake_twilio.sent()[0]["body"])

    twilio.post(sms(twilio, 2, f"cek {tracking.lower()}"))
    work()
    status = fake_twilio.sent()[1]
    assert status["to"] == "+6281234567890"
    assert f"Status aduan {tracking}: Belum Terverifikasi" in status["body"]

    twilio.post(sms(twilio, 3, f"CEK {tracking}", sender=STRANGER))
    twilio.post(sms(twilio, 4, "CEK 7K3MQ-X9A2B", sender=STRANGER))  # an id nobody holds
    work()
    others, unknown = fake_twilio.sent()[2:]
    assert others["to"] == unknown["to"] == STRANGER
    assert others["body"] == unknown["body"]  # the same words whether or not the id exists
    assert "tidak ditemukan" in others["body"] and tracking not in others["body"]


# --- `satupintu up` over real sockets ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def post_signed(twilio, base: str, params) -> tuple[int, str, str]:
    url = base + twilio.sms_path
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={
            "X-Twilio-Signature": twilio.signature(params, url),
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": "c1a2b3c4-0000-4000-8000-000000000001",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers["Content-Type"], response.read().decode()


def outbound_statuses(database: Path) -> list[str]:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Message.status).where(Message.direction == "out").order_by(Message.id)
            )
            return [row[0] for row in rows]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_up_answers_a_signed_sms_through_the_twilio_api(tmp_path, twilio):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with FakeTwilioApi(twilio.account_sid, twilio.auth_token) as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")} | {
            "SATUPINTU_DATA_DIR": str(tmp_path / "var"),
            "SATUPINTU_PORT": str(port),
            "SATUPINTU_PUBLIC_URL": base,
            "SATUPINTU_TWILIO_ACCOUNT_SID": twilio.account_sid,
            "SATUPINTU_TWILIO_AUTH_TOKEN": twilio.auth_token,
            "SATUPINTU_TWILIO_FROM": "1708",
            "SATUPINTU_TWILIO_API_URL": api.url,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "up"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for(base + "/healthz", timeout=60)
            status, content_type, body = post_signed(twilio, base, twilio.params("sms_basic"))
            assert (status, body) == (200, EMPTY_TWIML)
            assert content_type.startswith("text/xml")

            (ack,) = api.wait_for_messages(1, timeout=30)
            assert ack["to"] == "+6281234567890" and ack["from"] == "1708"
            assert ack["status_callback"] == base + twilio.status_path
            tracking = shown_id(ack["body"])
            track = urllib.request.urlopen(f"{base}/track/{tracking}", timeout=5)
            assert track.status == 200

            assert api.send_status_callback(ack, "delivered") == 204
            status, _, _ = post_signed(twilio, base, sms(twilio, 2, f"CEK {tracking}"))
            assert status == 200
            answers = api.wait_for_messages(2, timeout=30)
            assert f"Status aduan {tracking}" in answers[1]["body"]

            database = tmp_path / "var" / "satupintu.db"
            deadline = time.monotonic() + 20
            while outbound_statuses(database)[:1] != ["delivered"]:
                assert time.monotonic() < deadline, outbound_statuses(database)
                time.sleep(0.2)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=90)
        assert process.returncode == 0, output
        for private in ("6281234567890", "Jalan rusak"):
            assert private not in output  # logs carry no numbers or message bodies
