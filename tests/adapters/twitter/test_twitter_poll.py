"""The mentions poll against the fake X API with the real tweepy client.

Pagination with next_token, the since_id cursor in the case store (and a crash mid-page that
neither skips nor doubles a tweet), the empty poll, 429 with a text/plain body, 401/403,
network errors, one poll at a time, the scheduler and `satupintu twitter poll`.
"""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import func, select

from casestore.models import ChannelState, Complaint
from dispatcher import schedule
from dispatcher.inbox import waiting_records
from dispatcher.queues import MAINTENANCE, queue
from dispatcher.submit import submit
from dispatcher.twitter_poll import HOLD_KEY, LOCK_KEY, channel_status, run_poll

CITIZEN_MENTIONS = (
    "mention_plain",  # 1864211093657829377
    "mention_photo",  # 1864215530149261312
    "mention_video",  # 1864220784609427457
    "mention_quote",  # 1864230011223344557
    "mention_entities_emoji",  # 1864233870092066817
)
PASSED_OVER = ("mention_retweet", "mention_own_tweet")


def serve(x_api, tw, *fixtures: str) -> None:
    for name in fixtures:
        x_api.add_mentions(tw.load(name))


def queued_ids(runtime) -> list[str]:
    """Tweet ids of the records waiting in the inbox to be stored."""
    return sorted((record["external_id"] for record in waiting_records(runtime.redis)), key=int)


def submitting(runtime, order: list[str], crash_after: int | None = None):
    """The real submit, noting the order of the tweets, dying after ``crash_after`` of them."""

    def submit_record(record):
        if crash_after is not None and len(order) == crash_after:
            raise SystemExit("worker killed")  # the process dies between two submits
        order.append(record.external_id)
        return submit(record, runtime.redis, runtime.spool)

    return submit_record


def cursor(runtime) -> str | None:
    with runtime.sessions() as session:
        state = session.get(ChannelState, "twitter")
        return state.cursor if state else None


def complaints(runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Complaint))


def test_a_poll_follows_next_token_and_submits_the_oldest_first(runtime, x_api, tw):
    x_api.page_size = 2
    serve(x_api, tw, *CITIZEN_MENTIONS, *PASSED_OVER)
    order: list[str] = []
    outcome = run_poll(runtime, submit_record=submitting(runtime, order))
    assert outcome.status == "done"
    assert outcome.pages == 4  # 7 tweets, 2 a page
    assert outcome.submitted == {"queued": 5}
    assert outcome.ignored == {"retweet": 1, "own_tweet": 1}
    assert order == sorted(order, key=int) == queued_ids(runtime)
    assert len(order) == 5
    assert cursor(runtime) == "1864233870092066817" == outcome.cursor
    first, *others = x_api.mention_requests()
    assert "pagination_token" not in first.params and "since_id" not in first.params
    assert all(r.params["pagination_token"].startswith("7140dibdnow9") for r in others)
    assert first.params["expansions"] == "author_id,attachments.media_keys,referenced_tweets.id"
    asked = set(first.params["tweet.fields"].split(","))
    assert {"created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets"} <= asked
    assert {"entities", "author_id"} <= asked
    assert first.params["user.fields"] == "username,name"
    assert set(first.params["media.fields"].split(",")) >= {"url", "type", "preview_image_url"}
    assert first.headers["Authorization"] == f"Bearer {runtime.settings.twitter_bearer_token}"


def test_the_next_poll_asks_since_the_cursor_and_an_empty_poll_changes_nothing(runtime, x_api, tw):
    serve(x_api, tw, "mention_plain", "mention_photo")
    run_poll(runtime)
    before = cursor(runtime)
    outcome = run_poll(runtime)
    assert (outcome.status, outcome.pages, outcome.submitted) == ("done", 1, {})
    assert x_api.mention_requests()[-1].params["since_id"] == before
    assert cursor(runtime) == before
    serve(x_api, tw, "mention_video")
    assert run_poll(runtime).submitted == {"queued": 1}
    assert queued_ids(runtime)[-1] == "1864220784609427457" == cursor(runtime)


def test_a_crash_mid_page_neither_skips_nor_doubles_a_tweet(runtime, x_api, tw, work):
    x_api.page_size = 2
    serve(x_api, tw, *CITIZEN_MENTIONS)
    # Pages come newest first: [emoji, quote] [video, photo] [plain]; they are submitted
    # oldest first, and the process dies after the photo, in the middle of the second page.
    order: list[str] = []
    with pytest.raises(SystemExit):
        run_poll(runtime, submit_record=submitting(runtime, order, crash_after=2))
    assert order == ["1864211093657829377", "1864215530149261312"]
    assert cursor(runtime) == "1864211093657829377"  # past the first page, not a tweet further
    outcome = run_poll(runtime)  # the next poll; the lock did not outlive the crash
    assert outcome.status == "done"
    assert outcome.submitted == {"duplicate": 1, "queued": 3}  # the photo was in already
    assert cursor(runtime) == "1864233870092066817"
    work()
    assert complaints(runtime) == 5


def test_429_waits_until_x_rate_limit_reset(runtime, x_api, tw):
    serve(x_api, tw, "mention_plain")
    reset = x_api.rate_limit_next(reset_in=600)
    outcome = run_poll(runtime)
    assert outcome.status == "rate_limited"
    assert 590 <= runtime.redis.ttl(HOLD_KEY) <= 600
    status = channel_status(runtime)
    assert status.state == "waiting" and "429" in status.last_error
    asked = len(x_api.mention_requests())
    assert run_poll(runtime).status == "waiting"
    assert len(x_api.mention_requests()) == asked  # X is not asked before the reset
    assert status.waiting_until is not None and reset > 0
    runtime.redis.delete(HOLD_KEY)  # the window passed
    assert run_poll(runtime).submitted == {"queued": 1}
    assert channel_status(runtime).state == "ok"
    assert channel_status(runtime).last_error is None


def test_429_after_the_first_page_submits_it_but_keeps_the_cursor(runtime, x_api, tw):
    x_api.page_size = 2
    serve(x_api, tw, *CITIZEN_MENTIONS)
    original = x_api._mentions

    def first_page_then_429(handler, request, user):
        if request.params.get("pagination_token"):
            x_api.rate_limit_next(reset_in=60)
            return x_api._handle(handler)
        return original(handler, request, user)

    x_api._mentions = first_page_then_429
    outcome = run_poll(runtime)
    assert (outcome.status, outcome.pages, outcome.submitted) == ("rate_limited", 1, {"queued": 2})
    assert cursor(runtime) is None  # older mentions were not fetched yet: nothing is skipped
    x_api._mentions = original
    runtime.redis.delete(HOLD_KEY)
    outcome = run_poll(runtime)
    assert outcome.submitted == {"duplicate": 2, "queued": 3}
    assert cursor(runtime) == "1864233870092066817"


def test_a_wrong_bearer_token_marks_the_channel_unhealthy_with_the_reason(runtime, x_api, tw):
    serve(x_api, tw, "mention_plain")
    good = runtime.settings
    runtime.settings = good.replace(twitter_bearer_token="revoked-token")
    outcome = run_poll(runtime)
    assert outcome.status == "refused"
    status = channel_status(runtime)
    assert status.state == "unhealthy"
    assert "401" in status.last_error and "Unauthorized" in status.last_error
    assert runtime.redis.ttl(HOLD_KEY) > 0  # refused again and again would get us locked out
    runtime.settings = good  # an operator fixed it
    runtime.redis.delete(HOLD_KEY)
    assert run_poll(runtime).status == "done"
    assert channel_status(runtime).state == "ok"


def test_403_is_unhealthy_too(runtime, x_api):
    x_api.fail_next(403, detail="This app is suspended")
    assert run_poll(runtime).status == "refused"
    status = channel_status(runtime)
    assert status.state == "unhealthy" and "suspended" in status.last_error


@pytest.mark.parametrize("failure", ["503", "connection refused"])
def test_network_and_server_errors_back_off(runtime, x_api, failure):
    if failure == "503":
        x_api.fail_next(503)
        x_api.fail_next(503)
    else:
        runtime.settings = runtime.settings.replace(twitter_api_url="http://127.0.0.1:9")
    interval = runtime.settings.twitter_poll_seconds
    assert run_poll(runtime).status == "unreachable"
    assert interval - 2 <= runtime.redis.ttl(HOLD_KEY) <= interval
    runtime.redis.delete(HOLD_KEY)
    assert run_poll(runtime).status == "unreachable"
    assert 2 * interval - 2 <= runtime.redis.ttl(HOLD_KEY) <= 2 * interval  # backing off
    status = channel_status(runtime)
    assert status.state == "waiting" and "unreachable" in status.last_error


def test_one_poll_at_a_time(runtime, x_api, tw):
    serve(x_api, tw, "mention_plain")
    lock = runtime.redis.lock(LOCK_KEY, timeout=30)
    assert lock.acquire(blocking=False)
    assert run_poll(runtime).status == "busy"
    assert x_api.mention_requests() == []
    lock.release()
    assert run_poll(runtime).status == "done"


def test_without_credentials_the_channel_is_off(runtime, x_api):
    runtime.settings = runtime.settings.replace(twitter_bearer_token="")
    assert run_poll(runtime).status == "off"
    assert x_api.mention_requests() == []
    assert "twitter-poll" not in schedule.enqueue_due(runtime.redis, runtime.settings)


def test_the_scheduler_runs_the_poll_on_a_real_worker(runtime, x_api, tw, work):
    serve(x_api, tw, "mention_plain", "mention_photo")
    settings = runtime.settings.replace(twitter_poll_seconds=120)
    now = 1_800_000_030.0
    assert "twitter-poll" in schedule.enqueue_due(runtime.redis, settings, now)
    assert "twitter-poll" not in schedule.enqueue_due(runtime.redis, settings, now + 60)
    ids = queue(MAINTENANCE, runtime.redis).job_ids
    assert [i for i in ids if "twitter" in i] == [f"periodic-twitter-poll-{int(now // 120)}"]
    work()
    assert complaints(runtime) == 2
    assert cursor(runtime) == "1864215530149261312"


def test_satupintu_twitter_poll_runs_one_poll_now(runtime, x_api, tw, monkeypatch):
    from gateway.cli import main

    serve(x_api, tw, "mention_plain", "mention_retweet")
    s = runtime.settings
    for name in (
        "env",
        "data_dir",
        "database_url",
        "redis_url",
        "secret_key",
        "twitter_user_id",
        "twitter_bearer_token",
        "twitter_api_url",
    ):
        monkeypatch.setenv(f"SATUPINTU_{name.upper()}", str(getattr(s, name)))
    result = CliRunner().invoke(main, ["twitter", "poll"])
    assert result.exit_code == 0, result.output
    assert "done" in result.output and "queued" in result.output and "retweet" in result.output
    assert queued_ids(runtime) == ["1864211093657829377"]
    status = CliRunner().invoke(main, ["twitter", "status"])
    # The cursor passes the retweet too: passed over is also done with.
    assert "1864225012347015169" in status.output and "replies" in status.output
    x_api.fail_next(401)
    assert CliRunner().invoke(main, ["twitter", "poll"]).exit_code == 1


def test_the_fake_429_is_the_one_x_sends(x_api, tw):
    """The fake's rate-limit answer matches X's captured one (text/plain, x-rate-limit-*)."""
    captured = tw.load("error_429_rate_limit")
    headers = {h["key"]: h["value"] for h in captured["headers"]}
    x_api.rate_limit_next()
    answer = requests.get(f"{x_api.url}/2/users/{tw.our_id}/mentions", timeout=5)
    assert answer.status_code == captured["status"]
    assert answer.text == captured["body_raw"]
    assert answer.headers["content-type"] == headers["content-type"]
    for name in ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"):
        assert answer.headers[name].isdigit()
