"""A case a peer forwarded to us, in one process: its origin on the case page, and each of
its status changes pushed back signed to a local origin (a real HTTP server that checks the
signature as a SatuPintu origin does), retried while the origin is down."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from adapters.federation.push import CALLBACK_PATH, BadPush, read_push, verify
from casestore import api_keys
from casestore import complaints as store
from casestore.lifecycle import Action
from casestore.models import OriginPush
from dispatcher.casework import act_on_case, lifecycle_action
from dispatcher.federation import origin as origin_jobs

TOKEN = "sp-7Q2MX4KA9B-pupr-aceh"


class FakeOrigin:
    """An origin's webhook: verifies each push with the key hash and keeps the good ones."""

    def __init__(self, key_hash: str) -> None:
        self.key_hash, self.received, self.refused = key_hash, [], []
        self.down = False
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if origin.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                try:
                    verify(origin.key_hash, self.headers, body, time.time())
                    origin.received.append(read_push(json.loads(body)))
                    self.send_response(202)
                except BadPush as exc:
                    origin.refused.append(exc.field)
                    self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"accepted": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{CALLBACK_PATH}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def peer_key(runtime) -> str:
    with runtime.sessions.begin() as session:
        return api_keys.create_key(session, "Kabupaten Aceh Tengah").key


@pytest.fixture
def origin(peer_key):
    with FakeOrigin(hashlib.sha256(peer_key.encode()).hexdigest()) as fake:
        yield fake


def forwarded_case(client, work, peer_key, callback: str) -> str:
    answer = client.post(
        "/api/v1/complaints",
        json={"description": "Jalan provinsi berlubang di Kampung Bale, Kecamatan Lut Tawar"},
        headers={
            "Authorization": f"Bearer {peer_key}",
            "Idempotency-Key": TOKEN,
            "SatuPintu-Origin-Case": TOKEN,
            "SatuPintu-Callback": callback,
        },
    )
    assert answer.status_code == 201, answer.get_json()
    work()
    return answer.get_json()["tracking_id"]


def act(runtime, tracking_id: str, action: Action, **fields):
    def find(session):
        return store.complaint_by_tracking_id(session, tracking_id)

    return act_on_case(
        runtime, find, lifecycle_action(action, runtime, actor="koordinator", **fields)
    )


def push_rows(runtime) -> list[OriginPush]:
    with runtime.sessions() as session:
        return list(session.scalars(select(OriginPush).order_by(OriginPush.id)))


def test_the_case_page_says_where_it_came_from(client, coordinator, work, peer_key, origin):
    tracking_id = forwarded_case(client, work, peer_key, origin.url)
    page = coordinator.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert f"Diteruskan dari Kabupaten Aceh Tengah (nomor di sana: {TOKEN})" in page


def test_each_change_goes_back_signed_once_and_waits_for_an_origin_that_is_down(
    client, runtime, work, peer_key, origin
):
    tracking_id = forwarded_case(client, work, peer_key, origin.url)
    act(runtime, tracking_id, Action.VERIFY)
    work()
    (pushed,) = origin.received
    assert (pushed.origin_case_id, pushed.remote_id, pushed.status) == (
        TOKEN,
        tracking_id,
        "verified",
    )
    assert origin.refused == []

    origin.down = True
    act(runtime, tracking_id, Action.DISPATCH, unit="dinas-pupr")
    work()  # the push fails (503) and is scheduled for a retry, not lost
    rows = push_rows(runtime)
    assert [r.state for r in rows] == ["sent", "queued"]
    assert "HTTP 503" in rows[1].last_error and rows[1].attempts == 1

    origin.down = False
    origin_jobs.push(rows[1].id)  # the retry (rq's, or the sweep's once the retries ran out)
    assert [r.state for r in push_rows(runtime)] == ["sent", "sent"]
    assert [p.status for p in origin.received] == ["verified", "dispatched"]
    origin_jobs.push(rows[1].id)  # a job run twice sends nothing twice
    assert len(origin.received) == 2


def test_an_origin_that_refuses_is_recorded_not_retried(client, runtime, work, peer_key):
    with FakeOrigin("another key's hash") as wrong:
        tracking_id = forwarded_case(client, work, peer_key, wrong.url)
        act(runtime, tracking_id, Action.VERIFY)
        work()
        assert wrong.refused == ["SatuPintu-Signature"]
    (row,) = push_rows(runtime)
    assert row.state == "refused" and "HTTP 401" in row.last_error
