"""The connectors against a GeoReport v2 server answering with the spec's own examples."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler

import pytest
from fakes.local_server import LocalServer
from fakes.open311_server import TOKEN, FakeOpen311Server

from adapters.federation import (
    Handover,
    RemoteCase,
    RemoteRefused,
    RemoteUnavailable,
    connector_for,
)
from adapters.federation import base as remote
from adapters.federation.open311 import parse_answer

HANDOVER = Handover(
    token="sp-3DFSB3H8C3-atr-bpn-aceh-tengah",
    tracking_id="3DFSB3H8C3",
    description="Sertifikat tanah kami tumpang tindih dengan tanah tetangga di Kampung Bale.",
    service_code="pertanahan",
    category="perizinan",
    kecamatan_code="11.04.17",
    latitude=4.62,
    longitude=96.85,
)


@pytest.fixture
def server():
    with FakeOpen311Server() as fake:
        yield fake


def open311(server: FakeOpen311Server, key: str | None = None):
    return connector_for("open311", server.url, server.api_key if key is None else key)


def test_a_new_request_gets_the_servers_id_and_carries_our_token(server):
    answer = open311(server).send(HANDOVER)
    assert answer.remote_id == "293944" and answer.token is None
    (post,) = server.posts()
    assert post.path == "/requests.json"
    assert post.headers["Idempotency-Key"] == HANDOVER.token
    assert post.form["attribute[satupintu_token]"] == [HANDOVER.token]
    assert post.form["service_code"] == ["pertanahan"]
    assert post.form["lat"] == ["4.62"] and post.form["address_id"] == ["11.04.17"]
    assert "first_name" not in post.form and "email" not in post.form  # none was given


def test_a_server_that_queues_answers_a_token_and_the_id_comes_later(server):
    server.mode = "token"
    sent = open311(server).send(HANDOVER)
    assert sent == RemoteCase(remote_id=None, token=TOKEN)
    followed = open311(server).fetch(sent)
    # The spec's example: closed, "Duplicate request.", with "service_code":006 in it.
    assert followed.remote_id == "638344" and followed.token == TOKEN
    assert followed.state == remote.RESOLVED and followed.notes == "Duplicate request."
    assert [r.path for r in server.requests] == [
        "/requests.json",
        f"/tokens/{TOKEN}.json",
        "/requests/638344.json",
    ]


def test_the_spec_examples_leading_zero_numbers_are_read_as_text():
    assert parse_answer(b'[{"service_code":006, "id": 7}]') == [{"service_code": "006", "id": 7}]


def test_a_wrong_key_is_refused_with_the_servers_words(server):
    with pytest.raises(RemoteRefused, match="Invalid api_key received"):
        open311(server, key="not-our-key").send(HANDOVER)


def test_a_server_error_is_worth_retrying(server):
    server.fail_next(503)
    with pytest.raises(RemoteUnavailable, match="HTTP 503"):
        open311(server).send(HANDOVER)
    assert open311(server).send(HANDOVER).remote_id == "293944"


def test_a_closed_port_is_worth_retrying():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RemoteUnavailable, match="URLError"):
        connector_for("open311", f"http://127.0.0.1:{port}", "k").send(HANDOVER)


class Redirector(LocalServer):
    """A remote that sends every request elsewhere."""

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        handler.send_header("Content-Length", "0")
        handler.end_headers()


def test_a_redirect_is_never_followed():
    with Redirector() as redirector, pytest.raises(RemoteUnavailable, match="HTTP 302"):
        connector_for("open311", redirector.url, "k").send(HANDOVER)


def test_only_http_endpoints_are_called():
    with pytest.raises(RemoteRefused, match="only http"):
        connector_for("satupintu", "file:///etc", "k").send(HANDOVER)


def test_an_unknown_connector_is_a_key_error():
    with pytest.raises(KeyError):
        connector_for("lapor-national", "https://example.go.id", "k")
