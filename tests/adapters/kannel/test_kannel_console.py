"""The monitor's channel health shows each SMS provider on its own row: Kannel's last
message, its failed replies and the share of its delivery reports that failed."""

from __future__ import annotations

import re

import pytest
from console_support import add_operator, fast_hashing, login  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")


def kannel_row(html: str) -> str:
    match = re.search(
        r'<small class="provider-health" data-provider="kannel"[^>]*>.*?</small>', html, re.S
    )
    assert match, "no Kannel health line"
    return match.group(0)


def test_the_kannel_row_shows_its_failures_and_dlr_failure_rate(
    app, runtime, kannel, load_request, client, work, fake_sendsms, dlr_call
):
    add_operator(runtime, "koord")
    coordinator = app.test_client()
    login(coordinator, "koord")

    def panel() -> str:
        response = coordinator.get("/console/monitor/panel", headers={"X-Requested-With": "fetch"})
        assert response.status_code == 200
        return response.get_data(as_text=True)

    before = kannel_row(panel())
    assert 'data-failed="0"' in before and "—" in before  # no report yet

    kannel.send(load_request("sms_get_gsm"))
    work()
    (ack,) = fake_sendsms.sent
    assert client.get(dlr_call(ack.dlr_url, 16, "NACK/0x0000000b")).status_code == 200
    work()

    html = panel()
    row = kannel_row(html)
    assert 'data-failed="1"' in row and "100%" in row
    assert "belum pernah" not in row  # its last message is shown
    twilio = re.search(r'data-provider="twilio"[^>]*data-failed="(\d+)"', html)
    assert twilio and twilio.group(1) == "0"  # Twilio's row counts only Twilio's
