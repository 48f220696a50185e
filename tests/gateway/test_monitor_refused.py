"""Issue 23, the monitor's blind spots: refused submissions per channel and reason (in Redis,
shared by every web process, and on /metrics), every channel listed on or off, and the last
6 hours in 5-minute steps with the charts' numbers as a table."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from console_support import fast_hashing  # noqa: F401 (a fixture)
from flask import Response

from casestore.models import Message
from gateway.ops.refusals import record_refusal, refusal_of, refused_series

pytestmark = pytest.mark.usefixtures("fast_hashing")

KEY = "0b6f2c1e-5a0d-4d4e-9a57-3f2f7c9d1a11"


@pytest.fixture
def settings(settings):
    """Twilio on (signatures enforced), Twitter/X off."""
    return settings.replace(
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="t" * 32,
        twilio_from="1708",
        public_url="https://lapor.example.go.id",
    )


def panel(client) -> str:
    response = client.get("/console/monitor/panel")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def row_of(fragment: str, channel: str) -> str:
    return re.search(rf'data-channel="{channel}">(.*?)</tr>', fragment, re.S).group(1)


def refused_metric(client, channel: str, reason: str) -> float:
    """satupintu_refused_total for one channel and reason (counters outlive a test)."""
    text = client.get("/metrics").get_data(as_text=True)
    series = f'satupintu_refused_total{{channel="{channel}",reason="{reason}"}} '
    found = [line for line in text.splitlines() if line.startswith(series)]
    return float(found[0].split()[-1]) if found else 0.0


def test_refused_submissions_are_counted_per_channel_and_reason(client, coordinator, runtime):
    before = {
        (channel, reason): refused_metric(client, channel, reason)
        for channel, reason in (("api", "invalid"), ("sms", "bad_signature"))
    }
    body = {"description": "Jalan rusak di Kampung Bale.", "kecamatan": "11.04.17"}
    assert client.post("/api/v1/complaints", json=body).status_code == 400  # no key
    bad = dict(body, privacy="sangat rahasia")
    answer = client.post("/api/v1/complaints", json=bad, headers={"Idempotency-Key": KEY})
    assert answer.status_code == 422
    unsigned = {"MessageSid": "SM" + "1" * 32, "From": "+6281234567890", "Body": "halo"}
    assert client.post("/webhooks/twilio/sms", data=unsigned).status_code == 403
    whatsapp = dict(unsigned, From="whatsapp:+6281234567890", MessageSid="SM" + "2" * 32)
    assert client.post("/webhooks/twilio/sms", data=whatsapp).status_code == 403
    # Reading is no submission, and a console login is no intake.
    assert client.get("/api/v1/complaints/0000000000").status_code == 404

    fragment = panel(coordinator)
    api = row_of(fragment, "api")
    assert 'data-refused-hour="2"' in api and 'data-refused-day="2"' in api
    assert 'data-reason="malformed"' in api and 'data-reason="invalid"' in api
    assert 'data-reason="bad_signature"' in row_of(fragment, "sms")
    assert 'data-refused-day="1"' in row_of(fragment, "whatsapp")
    assert 'data-refused-day="0"' in row_of(fragment, "web")

    for (channel, reason), count in before.items():
        assert refused_metric(client, channel, reason) == count + 1, (channel, reason)


@pytest.mark.parametrize(
    "method, path, status, expected",
    [
        ("POST", "/", 429, ("web", "rate_limited")),
        ("POST", "/track/ABCDE12345", 403, ("web", "forbidden")),
        ("POST", "/api/v1/complaints", 413, ("api", "too_large")),
        ("POST", "/api/v1/complaints/ABCDE12345/messages", 429, ("api", "rate_limited")),
        ("POST", "/open311/v2/requests.json", 403, ("open311", "forbidden")),
        ("POST", "/webhooks/twitter", 403, ("twitter", "bad_signature")),
        ("POST", "/webhooks/twilio/sms", 400, ("sms", "malformed")),
        ("POST", "/api/v1/cases/ABCDE12345/actions", 422, None),  # a partner's action
        ("POST", "/console/login", 429, None),
        ("GET", "/open311/v2/requests.json", 400, None),
        ("POST", "/api/v1/complaints", 404, None),
        ("POST", "/api/v1/complaints", 503, None),
    ],
)
def test_which_answers_count_as_refused(app, method, path, status, expected):
    with app.test_request_context(path, method=method):
        from flask import request

        assert refusal_of(request, Response(status=status)) == expected


def test_refusals_from_any_process_add_up_in_their_buckets(runtime):
    now = datetime(2026, 12, 3, 10, 7, tzinfo=UTC)
    for minutes in (0, 1, 10, 70):
        record_refusal(runtime.redis, "sms", "rate_limited", now - timedelta(minutes=minutes))
    recent = refused_series(runtime.redis, now, step_seconds=300, steps=72)
    assert recent.counts["sms"][-1] == 2  # 10:05-10:10
    assert recent.counts["sms"][-3] == 1  # 09:55-10:00
    assert recent.total("sms") == 4
    hourly = refused_series(runtime.redis, now, step_seconds=3600, steps=48)
    assert hourly.counts["sms"][-3:] == (1, 1, 2)  # 08:57, 09:57, then 10:06 and 10:07
    assert hourly.by_reason == {"sms": {"rate_limited": 4}}


def test_every_channel_is_listed_and_an_off_one_says_what_turns_it_on(coordinator):
    fragment = panel(coordinator)
    for channel in ("sms", "whatsapp", "twitter", "web", "api", "open311"):
        assert f'data-channel="{channel}"' in fragment, channel
    twitter = row_of(fragment, "twitter")
    assert "badge off" in twitter and "Twitter/X" in twitter
    hint = re.search(r'data-turn-on="twitter">(.*?)</tr>', fragment, re.S).group(1)
    assert "SATUPINTU_TWITTER_BEARER_TOKEN" in hint
    assert "badge on" in row_of(fragment, "sms")
    assert 'data-turn-on="sms"' not in fragment
    assert "badge on" in row_of(fragment, "whatsapp")


def test_the_last_6_hours_in_5_minute_steps_with_the_numbers_as_a_table(coordinator, runtime):
    now = datetime.now(UTC)
    with runtime.sessions.begin() as db:
        for n, at in enumerate([now - timedelta(seconds=20)] * 3 + [now - timedelta(hours=2)]):
            db.add(
                Message(
                    direction="in",
                    channel="web",
                    external_id=f"recent-{n}",
                    status="received",
                    received_at=at,
                )
            )
    record_refusal(runtime.redis, "web", "rate_limited", now)
    fragment = panel(coordinator)
    recent = re.search(r'id="chart-recent">(.*?)</figure>', fragment, re.S).group(1)
    svg = re.search(r"<svg viewBox=.*?</svg>", recent, re.S).group(0)
    assert svg.count("<rect ") == 2  # two non-empty 5-minute steps
    assert "Laporan masuk per 5 menit, 6 jam terakhir" in recent
    table = re.search(r"<table class=\"compact chart-table\">(.*?)</table>", recent, re.S).group(1)
    rows = re.findall(r"<tr><th scope=\"row\"[^>]*>([^<]+)</th>(.*?)</tr>", table, re.S)
    assert len(rows) == 72
    headers = re.findall(r'<th scope="col">([^<]+)</th>', table)
    assert headers[-1] == "Ditolak"
    cells = [[int(n) for n in re.findall(r"<td>(\d+)</td>", row)] for _, row in rows]
    web = [row[headers.index("web") - 1] for row in cells]
    # Newest first; which row is newest moves with the clock, so count, don't place.
    assert sorted(n for n in web if n) == [1, 3] and web.index(3) < web.index(1)
    assert sum(row[-1] for row in cells) == 1
    hourly = re.search(r'id="chart-hourly">(.*?)</figure>', fragment, re.S).group(1)
    assert len(re.findall(r'<th scope="row"', hourly)) == 48
