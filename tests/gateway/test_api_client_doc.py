"""docs/api-client.md's Python client, run as written against a live server (issue 23), so
the example a partner copies cannot rot: file with an Idempotency-Key (a retry is the same
complaint), show the secret code, follow the status, add information."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from casestore.models import Complaint, Message

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-client.md"


def python_example() -> str:
    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    return code


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1"
    server.shutdown()
    thread.join()


@pytest.fixture
def client_module(live_server) -> dict:
    namespace: dict = {"__name__": "api_client_example"}
    exec(compile(python_example(), str(DOC), "exec"), namespace)  # noqa: S102 (our own doc)
    namespace["BASE"] = live_server
    return namespace


def test_the_documented_client_works_end_to_end(client_module, runtime, work):
    example = client_module
    receipt = example["file_complaint"](
        "Lampu jalan mati di depan masjid sejak seminggu.", "Laut Tawar", "lampu_jalan", key=None
    )
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", receipt["citizen_secret"])
    work()  # what a running worker does within a second
    case = example["follow"](receipt["tracking_id"], tries=1)
    assert case["status"] == "received" and case["kecamatan_code"] == "11.04.17"
    assert case["category"] == "lampu_jalan"
    example["add_information"](receipt["tracking_id"], receipt["citizen_secret"], "Dua tiang.")
    work()
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Complaint)) == 1
        inbound = db.scalar(select(func.count()).where(Message.direction == "in"))
    assert inbound == 2  # the complaint and the added information, on one case


def test_a_retry_with_the_same_key_is_the_same_complaint(client_module, work):
    file_complaint = client_module["file_complaint"]
    key = "3f0e7d1c-9a2b-4c5d-8e6f-7a8b9c0d1e2f"
    first = file_complaint("Sampah menumpuk di pasar.", "11.04.17", key=key)
    again = file_complaint("Sampah menumpuk di pasar.", "11.04.17", key=key)
    assert again["tracking_id"] == first["tracking_id"]
    assert again["citizen_secret"] == first["citizen_secret"]


def test_a_refusal_is_reported_with_its_errors(client_module):
    with pytest.raises(RuntimeError, match="GET /api/v1/places"):
        client_module["file_complaint"]("Jalan rusak.", "Takengon Raya")


def test_the_curl_examples_use_real_paths(app):
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    for path in re.findall(r"curl -s(?: -X POST)? http://127\.0\.0\.1:8000(\S+)", DOC.read_text()):
        path = re.sub(r"/complaints/[0-9A-Z]{10}", "/complaints/<tracking_id>", path)
        assert path in routes, path
