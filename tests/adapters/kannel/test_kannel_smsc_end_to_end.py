"""The real thing: Debian's bearerbox and smsbox, configured by `satupintu kannel config
--fake-smsc`, with kannel-extras' fakesmsc playing the operator's SMSC, in front of
`satupintu up` (the gateway, its embedded Redis and a real rq worker).

A citizen's SMS goes fakesmsc -> bearerbox -> smsbox -> our webhook; the acknowledgement
goes worker -> sendsms -> bearerbox -> fakesmsc, and the fake SMSC's delivery report comes
back to the dlr-url. Between smsbox and us sits a small relay that can lose our answer (so
smsbox asks again with the same id) or take smsbox down just before we reply.
"""

from __future__ import annotations

import http.server
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote_to_bytes, urlsplit

import pytest
from sqlalchemy import func, select

from casestore.db import make_engine
from casestore.models import Complaint, Message

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"  # kannel-extras (`dpkg -L kannel-extras`)
ROOT = Path(__file__).resolve().parents[3]
SECRET = "e2e-kannel-secret-41d2"
CITIZEN = "+6281234567890"
SHOWN_ID = re.compile(r"\b([0-9A-Z]{5})-([0-9A-Z]{5})\b")
GOT = re.compile(r"Got message \d+: <(\S+) (\S+) (\S+) (.*)>")

pytestmark = pytest.mark.slow


def _binaries_or_skip() -> None:
    missing = [path for path in (BEARERBOX, SMSBOX, FAKESMSC) if not os.access(path, os.X_OK)]
    if not missing:
        return
    reason = (
        f"Kannel is not installed ({', '.join(missing)} missing): "
        "apt-get install kannel kannel-extras"
    )
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI must run this test)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def healthy(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except (urllib.error.URLError, OSError):
        return False


class Process:
    """A child process with its output in a log file (shown when the test fails)."""

    def __init__(self, name: str, argv: list[str], log: Path, **options) -> None:
        self.name, self.argv, self.log, self.options = name, argv, log, options
        self.process: subprocess.Popen | None = None

    def start(self) -> Process:
        out = self.log.open("ab")
        self.process = subprocess.Popen(
            self.argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **self.options
        )
        out.close()
        return self

    def kill(self) -> None:
        """SIGKILL: a crash, nothing finished or acknowledged."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


class FakeSmsc:
    """kannel-extras' fakesmsc in interactive mode: a line on stdin is one citizen's SMS;
    every message bearerbox sends it is printed, and collected here."""

    def __init__(self, port: int, log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [FAKESMSC, "-H", "127.0.0.1", "-r", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.received: list[tuple[str, str, str]] = []
        self._parts: dict[tuple[str, int], dict[int, str]] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.log.open("ab") as out:
            for line in self.process.stdout:
                out.write(line)
                out.flush()
                match = GOT.search(line.decode("utf-8", "replace"))
                if match:
                    self._got(*match.groups())

    def _got(self, sender: str, receiver: str, kind: str, data: str) -> None:
        """One message bearerbox sent; the parts of a concatenated one are joined."""
        udh = b""
        if kind == "udh":
            udh_text, _, rest = data.partition(" ")
            udh = unquote_to_bytes(udh_text)
            kind, _, data = rest.partition(" ")
        payload = data.encode() if kind == "text" else unquote_to_bytes(data.replace("+", " "))
        text = payload.decode("utf-16-be" if kind == "ucs-2" else "utf-8")
        # A concatenation header: 05 00 03 <ref> <parts> <this part>.
        if len(udh) >= 6 and udh[1] == 0x00:
            ref, total, number = udh[3], udh[4], udh[5]
            parts = self._parts.setdefault((receiver, ref), {})
            parts[number] = text
            if len(parts) < total:
                return
            text = "".join(parts[n] for n in sorted(parts))
            del self._parts[(receiver, ref)]
        self.received.append((sender, receiver, text))

    def send(self, sender: str, receiver: str, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{sender} {receiver} text {text}\n".encode())
        self.process.stdin.flush()

    def answers_to(self, citizen: str) -> list[str]:
        return [text for sender, receiver, text in self.received if receiver == citizen]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class Relay:
    """Between smsbox and the gateway: forwards every sms-service call; for a message whose
    text has LOSE_ANSWER it answers smsbox 500 the first time (our answer lost on the way);
    for one with TAKE_DOWN it first runs ``take_down`` (smsbox stops before we reply)."""

    LOSE_ANSWER = "ULANG"
    TAKE_DOWN = "PADAM"

    def __init__(self, target: str) -> None:
        self.target = target
        self.calls: list[str] = []  # the %I of every call
        self.take_down: Callable[[], None] = lambda: None
        self._seen: set[str] = set()
        relay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                relay.handle(self)

            def log_message(self, *_args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def handle(self, handler) -> None:
        query = parse_qs(urlsplit(handler.path).query)
        message_id, text = query.get("id", [""])[0], query.get("text", [""])[0]
        self.calls.append(message_id)
        first = message_id not in self._seen
        self._seen.add(message_id)
        if first and self.TAKE_DOWN in text:
            self.take_down()
        try:
            with urllib.request.urlopen(self.target + handler.path, timeout=10) as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        if first and self.LOSE_ANSWER in text:
            status, body = 500, b"relay lost the answer\n"
        try:
            handler.send_response(status)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            pass  # smsbox is gone (TAKE_DOWN)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Store:
    """Read-only looks at the gateway's SQLite case store."""

    def __init__(self, path: Path) -> None:
        self.engine = make_engine(f"sqlite:///{path}")

    def complaints(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Complaint)).scalar_one()

    def tracking_ids(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(Complaint.tracking_id)).scalars())

    def replies(self) -> list[tuple[str, str, int]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(Message.status, Message.provider, Message.attempts)
                .where(Message.direction == "out")
                .order_by(Message.id)
            )
            return [tuple(row) for row in rows]


@pytest.fixture
def kannel_stack(tmp_path: Path) -> Iterator[dict]:
    _binaries_or_skip()
    gateway_port, admin, smsbox_port, sendsms, smsc = (free_port() for _ in range(5))
    base = f"http://127.0.0.1:{gateway_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")} | {
        "SATUPINTU_DATA_DIR": str(tmp_path / "var"),
        "SATUPINTU_PORT": str(gateway_port),
        "SATUPINTU_PUBLIC_URL": base,
        "SATUPINTU_KANNEL_SECRET": SECRET,
        "SATUPINTU_KANNEL_SENDSMS_URL": f"http://127.0.0.1:{sendsms}/cgi-bin/sendsms",
        "SATUPINTU_KANNEL_SENDSMS_USERNAME": "satupintu",
        "SATUPINTU_KANNEL_SENDSMS_PASSWORD": "e2e-sendsms-password",
        "SATUPINTU_KANNEL_FROM": "1708",
    }
    started: list = []
    relay = Relay(base)
    started.append(relay)
    kannel_dir = tmp_path / "kannel"
    (kannel_dir / "spool").mkdir(parents=True)
    conf = subprocess.run(
        [
            *(sys.executable, "-m", "gateway.cli", "kannel", "config", "--fake-smsc", str(smsc)),
            *("--admin-port", str(admin), "--smsbox-port", str(smsbox_port)),
            *("--log-dir", str(kannel_dir), "--spool-dir", str(kannel_dir / "spool")),
            *("--gateway-url", relay.url),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    conf_path = kannel_dir / "kannel.conf"
    conf_path.write_text(conf)
    conf_path.chmod(0o600)

    def smsbox() -> Process:
        return Process("smsbox", [SMSBOX, "-v", "1", str(conf_path)], kannel_dir / "smsbox.out")

    try:
        gateway = Process(
            "up",
            [sys.executable, "-m", "gateway.cli", "up"],
            tmp_path / "up.log",
            env=env,
            cwd=ROOT,
        ).start()
        started.append(gateway)
        wait_until(lambda: healthy(base + "/healthz"), 90, "the gateway")
        bearerbox = Process(
            "bearerbox", [BEARERBOX, "-v", "1", str(conf_path)], kannel_dir / "bb.out"
        )
        started.append(bearerbox.start())
        wait_until(lambda: listening(smsc) and listening(smsbox_port), 30, "bearerbox")
        boxes = {"smsbox": smsbox().start()}
        started.append(boxes)
        wait_until(lambda: listening(sendsms), 30, "smsbox")
        fake = FakeSmsc(smsc, kannel_dir / "fakesmsc.out")
        started.append(fake)
        yield {
            "base": base,
            "fake": fake,
            "relay": relay,
            "store": Store(tmp_path / "var" / "satupintu.db"),
            "boxes": boxes,
            "smsbox": smsbox,
            "sendsms_port": sendsms,
            "tmp": tmp_path,
        }
    finally:
        for part in reversed(started):
            if isinstance(part, dict):
                for box in part.values():
                    box.stop()
            else:
                part.stop()
        for log in sorted(tmp_path.rglob("*.out")) + sorted(tmp_path.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-2500:]}")


def test_citizen_sms_through_real_kannel(kannel_stack):
    fake, store, relay = kannel_stack["fake"], kannel_stack["store"], kannel_stack["relay"]

    # A citizen's SMS: stored, acknowledged with its tracking id at the SMSC, DLR delivered.
    fake.send(CITIZEN, "1708", "Jalan rusak parah di Kampung Bale, Kec. Lut Tawar")
    (ack,) = wait_until(lambda: fake.answers_to(CITIZEN), 90, "the acknowledgement")
    assert store.complaints() == 1
    shown = "".join(SHOWN_ID.search(ack).groups())
    assert store.tracking_ids() == [shown]
    assert [(s, r) for s, r, _ in fake.received] == [("1708", CITIZEN)]
    wait_until(lambda: store.replies()[0][:2] == ("delivered", "kannel"), 60, "the DLR")

    # Our answer to smsbox lost: smsbox asks again with the same id, no second case.
    fake.send(CITIZEN, "1708", "ULANG lampu jalan mati di depan Masjid Raya Ruhama Takengon")
    wait_until(lambda: len(fake.answers_to(CITIZEN)) == 2, 90, "the second acknowledgement")
    wait_until(lambda: len(relay.calls) >= 3, 60, "smsbox's retry")
    assert relay.calls[1] == relay.calls[2]  # one message id, asked twice
    time.sleep(2)  # room for a wrong second case or reply to show up
    assert store.complaints() == 2
    assert len(fake.answers_to(CITIZEN)) == 2

    # A wrong secret is refused, on both webhooks.
    wrong = kannel_stack["base"] + "/webhooks/kannel/sms?secret=wrong&id=x1&from=%2B6281234567890"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(wrong, timeout=10)
    assert refused.value.code == 403
    forged = (
        kannel_stack["base"]
        + "/webhooks/kannel/dlr?ref=k"
        + "0" * 32
        + "&sig="
        + "0" * 32
        + "&type=1"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=10)
    assert refused.value.code == 403

    # Kannel down while we reply: the send fails, is retried, and arrives once it is back.
    boxes = kannel_stack["boxes"]
    relay.take_down = lambda: boxes["smsbox"].kill()
    fake.send(CITIZEN, "1708", "PADAM air PDAM tidak mengalir di Desa Kute Lintang sejak Senin")
    wait_until(lambda: store.complaints() == 3, 60, "the third case")
    wait_until(
        lambda: len(store.replies()) == 3 and store.replies()[2][2] >= 1, 60, "a send attempt"
    )
    assert store.replies()[2][0] == "sending"  # it failed: smsbox is down
    assert not listening(kannel_stack["sendsms_port"])
    boxes["smsbox"] = kannel_stack["smsbox"]().start()
    wait_until(lambda: len(fake.answers_to(CITIZEN)) == 3, 120, "the retried acknowledgement")
    wait_until(lambda: store.replies()[2][0] == "delivered", 60, "its DLR")
    assert store.complaints() == 3  # bearerbox's redelivery to the new smsbox made no case
    assert store.replies()[2][2] >= 2  # tried while down, then again

    # Nothing private in the gateway's log.
    log = (kannel_stack["tmp"] / "up.log").read_text(errors="replace")
    for private in ("6281234567890", "Jalan rusak", SECRET):
        assert private not in log
