"""Polling under SATUPINTU_TWITTER_MONTHLY_READ_CAP: reads spread over the month, what is left.

The poll counts every Post X returns, asks X's own count (``GET /2/usage/tweets``, which
also sees pushed Posts) at most hourly, and waits while the month's reads are ahead of an
even spread. The spread is checked at fixed moments; the poll itself at the real time.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from dispatcher import twitter_reads
from dispatcher.twitter_poll import channel_status, run_poll


@pytest.mark.parametrize(
    ("now", "used", "allowed", "may_poll"),
    [
        # December has 31 days: 3 100 reads are 100 a day, about 4 an hour.
        (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), 0, 4, True),  # an hour's share at the start
        (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), 4, 4, False),
        (datetime(2026, 12, 16, 12, 0, tzinfo=UTC), 1500, 1554, True),  # mid-month, under
        (datetime(2026, 12, 16, 12, 0, tzinfo=UTC), 1600, 1554, False),  # ahead: wait
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), 3099, 3100, True),
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), 3100, 3100, False),  # the cap is the cap
    ],
)
def test_the_spread_over_the_month(runtime, now, used, allowed, may_poll):
    twitter_reads.count_reads(runtime.redis, used, now)
    budget = twitter_reads.budget(runtime.redis, 3100, now)
    assert (budget.allowed_now, budget.may_poll, budget.left) == (allowed, may_poll, 3100 - used)


def test_no_cap_no_budget(runtime):
    assert twitter_reads.budget(runtime.redis, 0) is None
    assert channel_status(runtime).reads is None


def test_polls_count_their_reads_and_wait_when_ahead(runtime, x_api, tw):
    runtime.settings = runtime.settings.replace(twitter_monthly_read_cap=50_000)
    x_api.add_mentions(tw.load("mention_plain"))
    x_api.add_mentions(tw.load("mention_quote"))  # it includes the quoted Post: 3 billed
    assert run_poll(runtime).status == "done"
    budget = twitter_reads.budget(runtime.redis, 50_000)
    assert budget.used == 3
    assert channel_status(runtime).reads == "sisa baca / reads left 49,997/50,000"
    # X's own count is higher (it saw Posts pushed to the webhook): it wins.
    runtime.redis.delete(twitter_reads.USAGE_KEY)
    x_api.reads = 49_000
    runtime.redis.delete("satupintu:twitter:hold")
    run_poll(runtime)
    assert twitter_reads.budget(runtime.redis, 50_000).used == 49_000
    before = len(x_api.mention_requests())
    waited = run_poll(runtime)
    assert waited.status == "budget" and "reads left 1,000/50,000" in waited.detail
    assert len(x_api.mention_requests()) == before  # nothing was read while waiting


def test_status_shows_the_reads_left(runtime, x_api, tw, monkeypatch):
    from gateway.cli import main

    s = runtime.settings
    for name in ("env", "data_dir", "database_url", "redis_url", "secret_key"):
        monkeypatch.setenv(f"SATUPINTU_{name.upper()}", str(getattr(s, name)))
    monkeypatch.setenv("SATUPINTU_TWITTER_USER_ID", tw.our_id)
    monkeypatch.setenv("SATUPINTU_TWITTER_BEARER_TOKEN", s.twitter_bearer_token)
    monkeypatch.setenv("SATUPINTU_TWITTER_MONTHLY_READ_CAP", "15000")
    twitter_reads.count_reads(runtime.redis, 2500)
    result = CliRunner().invoke(main, ["twitter", "status"])
    assert result.exit_code == 0, result.output
    assert "12,500/15,000" in result.output
