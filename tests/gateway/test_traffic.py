"""The traffic module, the open-loop load generator and `satupintu simulate`, against our app
on a real socket: every channel's requests are accepted as providers' would be, retries make
no second case, and a stall is charged to every request queued behind it."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from fakes.live_gateway import serve
from sqlalchemy import func, select

from casestore.models import Message, Quarantine
from dispatcher import runtime as runtime_module
from dispatcher.queues import INTAKE
from dispatcher.runtime import Runtime
from dispatcher.worker import make_worker
from gateway.cli import main
from tools import loadgen
from tools.traffic import load_texts, parse_mix, plan_traffic
from tools.wire import Target, fetch_form_session

ACCOUNT_SID = "AC" + "7a1c" * 8
AUTH_TOKEN = "traffic-test-token-7a1c7a1c"
PUBLIC_URL = "https://lapor.acehtengahkab.go.id"
X_USER_ID = "1460581227883581442"
X_SECRET = "x-consumer-secret-for-tests"


@pytest.fixture
def gateway(runtime, settings):
    """Our app with SMS and the X webhook on, served on a real socket."""
    from gateway.app import create_app

    configured = settings.replace(
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from="1708",
        twilio_api_url="http://127.0.0.1:9",  # nothing leaves the machine
        twitter_user_id=X_USER_ID,
        twitter_consumer_secret=X_SECRET,
        public_url=PUBLIC_URL,
        submit_rate_limit=0,
    )
    rt = Runtime(configured)
    app = create_app(runtime=rt)
    runtime_module.install(rt)  # for the jobs the test's worker runs
    with serve(app) as url:
        yield url, rt
    runtime_module.install(runtime)


def target(url: str) -> Target:
    return Target(
        url=url,
        public_url=PUBLIC_URL,
        twilio_auth_token=AUTH_TOKEN,
        twilio_account_sid=ACCOUNT_SID,
        twitter_consumer_secret=X_SECRET,
        twitter_user_id=X_USER_ID,
    )


def stored(rt: Runtime) -> list[tuple[str, str]]:
    with rt.sessions() as session:
        inbound = session.execute(
            select(Message.channel, Message.external_id).where(Message.direction == "in")
        ).all()
        held = session.scalars(select(Quarantine.idempotency_key)).all()
    return [tuple(row) for row in inbound] + [tuple(key.split(":", 1)) for key in held]


def test_every_channel_is_accepted_and_retries_make_no_second_message(gateway):
    url, rt = gateway
    t = target(url)
    plan = plan_traffic(
        t,
        24,
        {"sms": 1, "api": 1, "web": 1, "twitter": 1},
        retries=0.3,
        commands=0.2,
        form_session=fetch_form_session(t),
        seed=7,
    )
    assert set(plan.unique) == {"sms", "api", "web", "twitter"} and plan.retries > 0

    result = loadgen.run(url, plan.requests, rate=100, connections=4)
    summary = loadgen.summarize(result)
    assert summary.errors == {}
    assert summary.ok == len(plan.requests)
    assert summary.p50_ms > 0 and summary.p99_ms >= summary.p50_ms

    make_worker(rt, queues=[INTAKE]).work(burst=True, with_scheduler=False)
    keys = stored(rt)
    assert len(keys) == sum(plan.unique.values())  # each message once, retries dropped
    assert len(set(keys)) == len(keys)


def test_mix_and_corpus_input_are_checked(tmp_path):
    assert parse_mix("sms=80, api=20") == {"sms": 80.0, "api": 20.0}
    for bad in ("sms", "fax=3", "sms=-1", "sms=0,api=0"):
        with pytest.raises(ValueError):
            parse_mix(bad)
    corpus = tmp_path / "texts.csv"
    corpus.write_text('text,category\n"jalan rusak, tolong",jalan\n,\n')
    assert load_texts(corpus) == ("jalan rusak, tolong",)
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(ValueError):
        load_texts(tmp_path / "empty.txt")
    with pytest.raises(ValueError):  # web form traffic needs the form's cookie and token
        plan_traffic(Target(url="http://127.0.0.1:1"), 5, {"web": 1}, places=())


class _Stalling(BaseHTTPRequestHandler):
    """Answers at once, except the first request, which takes half a second."""

    protocol_version = "HTTP/1.1"
    first = threading.Event()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        if not self.first.is_set():
            self.first.set()
            time.sleep(0.5)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_args) -> None:
        pass


def test_a_stall_is_charged_to_every_request_queued_behind_it():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stalling)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        plan = plan_traffic(
            Target(url=url, twilio_auth_token="t"), 20, {"sms": 1}, retries=0, places=()
        )
        result = loadgen.run(url, plan.requests, rate=100, connections=1)
    finally:
        server.shutdown()
    latencies = [o.latency for o in result.outcomes]
    assert all(o.ok for o in result.outcomes)
    # Request 10 was due 0.1 s in and waited for the stalled first one: about 0.4 s, not the
    # millisecond the server took for it (what a closed loop would have measured).
    assert latencies[10] > 0.3
    assert result.outcomes[10].due - result.outcomes[0].due == pytest.approx(0.1, abs=0.01)


def test_refused_connections_are_errors_not_hangs():
    plan = plan_traffic(Target(url="http://127.0.0.1:9", twilio_auth_token="t"), 3, {"sms": 1},
                        retries=0, places=())  # fmt: skip
    summary = loadgen.summarize(loadgen.run("http://127.0.0.1:9", plan.requests, rate=50))
    assert summary.ok == 0 and summary.errors == {"refused": 3}


def _env(url: str, settings) -> dict[str, str]:
    return {
        "SATUPINTU_DATA_DIR": str(settings.data_dir),
        "SATUPINTU_DATABASE_URL": settings.database_url,
        "SATUPINTU_SECRET_KEY": settings.secret_key,
        "SATUPINTU_PUBLIC_URL": PUBLIC_URL,
        "SATUPINTU_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "SATUPINTU_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "SATUPINTU_TWILIO_FROM": "1708",
        "SATUPINTU_TWITTER_USER_ID": X_USER_ID,
        "SATUPINTU_TWITTER_CONSUMER_SECRET": X_SECRET,
    }


def test_simulate_sends_every_channel_and_summarizes(gateway, settings):
    url, rt = gateway
    result = CliRunner().invoke(
        main,
        ["simulate", "--url", url, "--count", "12", "--rate", "50", "--seed", "3"],
        env=_env(url, settings),
    )
    assert result.exit_code == 0, result.output
    assert "sending 12 messages" in result.output
    assert "acknowledged" in result.output and "errors" in result.output
    assert "none" in result.output  # no errors
    make_worker(rt, queues=[INTAKE]).work(burst=True, with_scheduler=False)
    assert len(stored(rt)) == 12


def test_simulate_leaves_out_channels_without_secrets(gateway, settings):
    url, _ = gateway
    env = _env(url, settings) | {
        "SATUPINTU_TWITTER_USER_ID": "",
        "SATUPINTU_TWITTER_CONSUMER_SECRET": "",
    }
    result = CliRunner().invoke(main, ["simulate", "--url", url, "--mix", "twitter=1"], env=env)
    assert result.exit_code != 0
    assert "left out: twitter" in result.output
    assert "no channel of the mix is configured" in result.output


def test_simulate_counts_refusals_and_fails(gateway, settings):
    url, rt = gateway
    env = _env(url, settings) | {"SATUPINTU_TWILIO_AUTH_TOKEN": "not-the-gateway-token"}
    result = CliRunner().invoke(
        main,
        ["simulate", "--url", url, "--mix", "sms=1", "--count", "3", "--retries", "0"],
        env=env,
    )
    assert result.exit_code == 1
    assert "http_403 3" in result.output  # no random provider retry adds a fourth
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
