"""Federation between two live SatuPintu processes: a kabupaten hands a case to the province.

Each instance is `satupintu up` on its own data dir (its own embedded Redis and SQLite),
talking over real HTTP. The kabupaten's SMS citizen writes in (a signed Twilio webhook; the
fake Twilio API plays Twilio's servers), its coordinator dispatches the case to the province's
public works (an external unit with the `satupintu` connector), the province verifies,
dispatches and resolves it through its own API, and the kabupaten's case follows: resolved
with the province's answer, which reaches the citizen by SMS.
"""

from __future__ import annotations

import hashlib
import json
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
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from adapters.federation.push import CALLBACK_PATH, sign
from casestore.db import make_engine
from casestore.models import (
    CaseOrigin,
    Complaint,
    Forward,
    ForwardedInfo,
    Message,
    OriginPush,
    PushReceipt,
    StatusEvent,
)
from config.reference import UNITS_FILE

pytestmark = pytest.mark.slow

ACCOUNT_SID = "AC" + "f3d1" * 8
AUTH_TOKEN = "federation-test-auth-token-f3d1"
CITIZEN = "+6281277775555"
SHOWN_ID = re.compile(r"\b([0-9A-Z]{5})-([0-9A-Z]{5})\b")
ANSWER = "Lubang di jalan provinsi Takengon-Bireuen sudah ditambal tim UPTD pada 4 Desember."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Instance:
    """One `satupintu up` with its own data dir, port and settings."""

    def __init__(self, root: Path, name: str, **settings: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = root / name / "var"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")} | {
            "SATUPINTU_DATA_DIR": str(self.data_dir),
            "SATUPINTU_PORT": str(self.port),
            "SATUPINTU_PUBLIC_URL": self.base,
            **settings,
        }
        self.start()

    def start(self, **changes: str) -> None:
        """(Again) on the same port and data dir, with ``changes`` to its settings."""
        self.env |= changes
        self.log = self.data_dir.parent / "output.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", "up"],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(self.base + "/readyz", timeout=2).read()
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                assert self.process.poll() is None, self.log.read_text()
                assert time.monotonic() < deadline, "instance never became ready"
                time.sleep(0.3)

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "gateway.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.data_dir.parent,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def api_key(self, name: str, unit: str | None = None) -> str:
        out = self.cli("apikey", "create", name, *(["--unit", unit] if unit else []))
        return next(line for line in out.splitlines() if line.startswith("sp_"))

    def call(self, method: str, path: str, key: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def rows(self, model, *where):
        engine = make_engine(f"sqlite:///{self.data_dir / 'satupintu.db'}")
        try:
            with engine.connect() as connection:
                return connection.execute(select(model).where(*where)).all()
        finally:
            engine.dispose()

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=90)
        return self.log.read_text()


def until(what, timeout: float = 60, every: float = 0.3):
    """Wait until ``what()`` is truthy and return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


def work_case(instance: Instance, tracking_id: str, to_unit: str) -> None:
    """Whoever owns the case there moves it to ``to_unit`` through the API, as its staff
    would: a unit bounces what is not its matter, the coordinator verifies and dispatches."""
    keys: dict[str, str] = {}
    for _ in range(5):
        (case,) = until(lambda: instance.rows(Complaint, Complaint.tracking_id == tracking_id))
        if case.owner_unit == to_unit and case.status != "received":
            return  # an auto-routed case still "received" needs the coordinator's verify
        if case.owner_unit not in keys:
            keys[case.owner_unit] = instance.api_key(f"staf {case.owner_unit}", case.owner_unit)
        if case.owner_unit != "diskominfo":
            action = {"action": "bounce", "reason": "provincial_authority", "note": "Provinsi"}
        elif case.status == "received":
            action = {"action": "verify"}
        else:
            action = {"action": "dispatch", "unit": to_unit}
        path = f"/api/v1/cases/{tracking_id}/actions"
        status, body = instance.call("POST", path, keys[case.owner_unit], action)
        assert status == 200, body
    raise AssertionError(f"{tracking_id} never reached {to_unit}")


def signed_sms(base: str, sid: str, text: str) -> int:
    url = base + "/webhooks/twilio/sms"
    params = {
        "ToCountry": "ID",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": text,
        "To": "1708",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": CITIZEN,
        "ApiVersion": "2010-04-01",
    }
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(params).encode(), headers={"X-Twilio-Signature": signature}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status


def test_a_case_handed_to_the_province_follows_it_to_the_end(tmp_path):
    province = Instance(tmp_path, "provinsi")
    kabupaten = None
    try:
        kabupaten_key = province.api_key("Kabupaten Aceh Tengah")
        units = UNITS_FILE.read_text().replace(
            'connector = "satupintu"\nendpoint = ""',
            f'connector = "satupintu"\nendpoint = "{province.base}"',
        )
        units_file = tmp_path / "units.toml"
        units_file.write_text(units)
        with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as twilio:
            kabupaten = Instance(
                tmp_path,
                "kabupaten",
                SATUPINTU_UNITS_FILE=str(units_file),
                SATUPINTU_CONNECTOR_KEY_PUPR_ACEH=kabupaten_key,
                SATUPINTU_FEDERATION_POLL_SECONDS="2",
                SATUPINTU_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                SATUPINTU_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                SATUPINTU_TWILIO_FROM="1708",
                SATUPINTU_TWILIO_API_URL=twilio.url,
            )
            assert (
                signed_sms(
                    kabupaten.base,
                    "SM" + "a1" * 16,
                    "Jalan provinsi Takengon-Bireuen di Kampung Bale, Kec. Lut Tawar berlubang",
                )
                == 200
            )
            (ack,) = twilio.wait_for_messages(1, timeout=60)
            tracking_id = "".join(SHOWN_ID.search(ack["body"]).groups())

            work_case(kabupaten, tracking_id, "pupr-aceh")
            (forward,) = until(lambda: kabupaten.rows(Forward, Forward.state == "sent"))
            assert forward.unit_code == "pupr-aceh" and forward.remote_id
            remote_id = forward.remote_id

            # The province holds one case for it, and nothing of the citizen's identity.
            (remote,) = until(lambda: province.rows(Complaint))
            assert remote.tracking_id == remote_id
            assert CITIZEN.lstrip("+") not in (remote.update_address + remote.reporter_name)
            assert "berlubang" in remote.description

            work_case(province, remote_id, "dinas-pupr")
            key = province.api_key("pupr provinsi", "dinas-pupr")
            for action in (
                {"action": "start"},
                {"action": "resolve", "message_to_reporter": ANSWER},
            ):
                status, body = province.call(
                    "POST", f"/api/v1/cases/{remote_id}/actions", key, action
                )
                assert status == 200, body

            def resolved():
                (case,) = kabupaten.rows(Complaint, Complaint.tracking_id == tracking_id)
                return case.status == "resolved"

            until(resolved, timeout=60)
            told = until(lambda: [m for m in twilio.sent() if ANSWER[:40] in m["body"]], timeout=60)
            assert told[0]["to"] == CITIZEN
            print("the citizen's SMS:", told[0]["body"])
            (done,) = kabupaten.rows(Forward)
            assert done.state == "done"
            assert len(province.rows(Complaint)) == 1  # polled many times, filed once
            output = kabupaten.stop()
            kabupaten = None
            assert CITIZEN.lstrip("+") not in output
    finally:
        if kabupaten is not None:
            kabupaten.stop()
        province.stop()


FOLLOW_UP = "Lubangnya makin besar, kemarin ada motor jatuh di situ"


def push_to(instance: Instance, body: dict, key_hash: str, *, stamp: int | None = None):
    """POST a status push to ``instance``'s webhook, signed with ``key_hash``."""
    raw = json.dumps(body).encode()
    stamp = int(time.time()) if stamp is None else stamp
    request = urllib.request.Request(
        instance.base + CALLBACK_PATH,
        data=raw,
        headers={
            "Content-Type": "application/json",
            "SatuPintu-Timestamp": str(stamp),
            "SatuPintu-Signature": sign(key_hash, stamp, raw),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def case_of(instance: Instance, tracking_id: str):
    (case,) = instance.rows(Complaint, Complaint.tracking_id == tracking_id)
    return case


def kinds(instance: Instance, tracking_id: str) -> list[str]:
    case = case_of(instance, tracking_id)
    return [e.kind for e in instance.rows(StatusEvent, StatusEvent.complaint_id == case.id)]


def to_citizen(twilio) -> list[str]:
    return [m["body"] for m in twilio.sent() if m["to"] == CITIZEN]


@pytest.mark.timeout(900)  # four starts of an instance, and an origin down for a while
def test_the_province_pushes_back_and_the_citizen_adds_information(tmp_path):
    """Push (no polling), bad pushes refused, the citizen's follow-up forwarded once, the
    kabupaten down while the province resolves (retried, then delivered), told once each."""
    province = Instance(tmp_path, "provinsi", SATUPINTU_FEDERATION_POLL_SECONDS="2")
    kabupaten = None
    try:
        kabupaten_key = province.api_key("Kabupaten Aceh Tengah")
        units = UNITS_FILE.read_text().replace(
            'connector = "satupintu"\nendpoint = ""',
            f'connector = "satupintu"\nendpoint = "{province.base}"',
        )
        units_file = tmp_path / "units.toml"
        units_file.write_text(units)
        with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as twilio:
            kabupaten = Instance(
                tmp_path,
                "kabupaten",
                SATUPINTU_UNITS_FILE=str(units_file),
                SATUPINTU_CONNECTOR_KEY_PUPR_ACEH=kabupaten_key,
                # An hour: nothing but the province's push can move the case in this phase.
                SATUPINTU_FEDERATION_POLL_SECONDS="3600",
                SATUPINTU_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                SATUPINTU_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                SATUPINTU_TWILIO_FROM="1708",
                SATUPINTU_TWILIO_API_URL=twilio.url,
            )
            text = "Jalan provinsi Takengon-Bireuen di Kampung Bale, Kec. Lut Tawar berlubang"
            assert signed_sms(kabupaten.base, "SM" + "b2" * 16, text) == 200
            (ack,) = twilio.wait_for_messages(1, timeout=60)
            shown = SHOWN_ID.search(ack["body"])
            tracking_id = "".join(shown.groups())
            work_case(kabupaten, tracking_id, "pupr-aceh")
            (forward,) = until(lambda: kabupaten.rows(Forward, Forward.state == "sent"))
            remote_id = forward.remote_id

            # The province remembers where the case came from, and shows it.
            (origin,) = until(lambda: province.rows(CaseOrigin))
            assert origin.tracking_id == remote_id and origin.peer == "Kabupaten Aceh Tengah"
            assert origin.origin_case_id == f"sp-{tracking_id}-pupr-aceh"
            assert origin.callback_url == kabupaten.base + CALLBACK_PATH

            # The province starts on it: its push alone moves the kabupaten's case.
            work_case(province, remote_id, "dinas-pupr")
            staff = province.api_key("pupr provinsi", "dinas-pupr")
            path = f"/api/v1/cases/{remote_id}/actions"
            before = len(to_citizen(twilio))
            assert province.call("POST", path, staff, {"action": "start"})[0] == 200
            until(lambda: case_of(kabupaten, tracking_id).status == "in_progress")
            until(lambda: len(to_citizen(twilio)) == before + 1)
            assert kabupaten.rows(PushReceipt, PushReceipt.remote_status == "in_progress")

            # Pushes that are not the province's are refused, naming why; nothing changes.
            right = hashlib.sha256(kabupaten_key.encode()).hexdigest()
            resolved = {
                "origin_case_id": origin.origin_case_id,
                "remote_id": remote_id,
                "event_id": "forged-1",
                "status": "resolved",
                "message": "Sudah selesai (palsu)",
            }
            status, body = push_to(kabupaten, resolved, "0" * 64)
            assert status == 401 and body["errors"][0]["field"] == "SatuPintu-Signature", body
            status, body = push_to(kabupaten, resolved, right, stamp=int(time.time()) - 3600)
            assert status == 401 and body["errors"][0]["field"] == "SatuPintu-Timestamp", body
            assert "3600 s old" in body["detail"] or "s old" in body["detail"]
            # A replayed (right) push of a change already known: accepted, applied once.
            again = {**resolved, "event_id": "replay-1", "status": "in_progress", "message": ""}
            assert push_to(kabupaten, again, right)[0] == 202
            assert push_to(kabupaten, again, right)[0] == 202
            until(lambda: kabupaten.rows(PushReceipt, PushReceipt.event_id == "replay-1"))
            time.sleep(3)
            assert len(kabupaten.rows(PushReceipt, PushReceipt.event_id == "replay-1")) == 1
            assert not kabupaten.rows(PushReceipt, PushReceipt.event_id == "forged-1")
            assert case_of(kabupaten, tracking_id).status == "in_progress"
            assert kinds(kabupaten, tracking_id).count("start") == 1
            assert len(to_citizen(twilio)) == before + 1

            # Polling on again; the citizen adds information by SMS: it reaches the province
            # once, as a message on its case.
            kabupaten.stop()
            kabupaten.start(SATUPINTU_FEDERATION_POLL_SECONDS="2")
            display = "-".join(shown.groups())
            assert (
                signed_sms(kabupaten.base, "SM" + "c3" * 16, f"INFO {display} {FOLLOW_UP}") == 200
            )

            def remote_follow_ups():
                case = case_of(province, remote_id)
                return [
                    m
                    for m in province.rows(Message, Message.complaint_id == case.id)
                    if m.direction == "in" and m.intent == "follow_up" and "motor" in m.body
                ]

            until(remote_follow_ups, timeout=60)
            time.sleep(5)  # more sweeps: still once
            assert len(remote_follow_ups()) == 1
            (info,) = kabupaten.rows(ForwardedInfo)
            assert info.state == "sent"

            # The kabupaten is down when the province resolves: the push waits and retries.
            kabupaten.stop()
            status, body = province.call(
                "POST", path, staff, {"action": "resolve", "message_to_reporter": ANSWER}
            )
            assert status == 200, body

            def failing():
                return [p for p in province.rows(OriginPush) if p.last_error]

            (waiting,) = until(failing, timeout=60)
            assert waiting.state == "queued"
            assert "Pushed to origins" in province.cli("status")
            kabupaten.start()
            until(lambda: case_of(kabupaten, tracking_id).status == "resolved", timeout=90)
            told = until(lambda: [b for b in to_citizen(twilio) if ANSWER[:40] in b], timeout=60)
            until(lambda: all(p.state == "sent" for p in province.rows(OriginPush)), timeout=90)
            time.sleep(5)  # the poll and the push both saw it: one message still
            assert len([b for b in to_citizen(twilio) if ANSWER[:40] in b]) == len(told) == 1
            assert kinds(kabupaten, tracking_id).count("resolve") == 1
            assert len(province.rows(Complaint)) == 1
            output = kabupaten.stop()
            kabupaten = None
            assert CITIZEN.lstrip("+") not in output
            assert FOLLOW_UP not in output
    finally:
        if kabupaten is not None:
            kabupaten.stop()
        province.stop()
