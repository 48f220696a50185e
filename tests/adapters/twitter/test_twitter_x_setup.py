"""`satupintu twitter webhook register|list|delete` against the fake X API and our running app.

Our Flask app serves on a real socket; the fake X API sends its CRC GETs and pushes its
signed events there, as X does to SATUPINTU_PUBLIC_URL. So registration really passes (or
fails) X's challenge, an hourly re-check with a wrong answer really stops delivery, and a
pushed mention or DM really becomes a queued record. Replies to DMs go back by DM.
"""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner
from fakes.live_gateway import serve

from adapters.base import PermanentSendError
from adapters.registry import sender_for
from adapters.twitter.xaa import SUBSCRIBED
from dispatcher.inbox import waiting_records
from normalizer.records import Channel, OutboundMessage

WEBHOOK_URL = "https://lapor.acehtengahkab.go.id/webhooks/twitter"


@pytest.fixture
def live(app, x_api):
    """Our app on a socket, where the fake X API finds our public webhook URL."""
    with serve(app) as url:
        x_api.webhook_origin = url
        yield url


@pytest.fixture
def shell(runtime, monkeypatch):
    """An operator's shell: SATUPINTU_* for the test's stores and every Twitter/X setting."""
    s = runtime.settings
    for name in (
        "env",
        "data_dir",
        "database_url",
        "redis_url",
        "secret_key",
        "public_url",
        "twitter_user_id",
        "twitter_bearer_token",
        "twitter_consumer_key",
        "twitter_consumer_secret",
        "twitter_access_token",
        "twitter_access_token_secret",
        "twitter_api_url",
    ):
        monkeypatch.setenv(f"SATUPINTU_{name.upper()}", str(getattr(s, name)))


def webhook(*args: str):
    from gateway.cli import main

    return CliRunner().invoke(main, ["twitter", "webhook", *args])


def queued_ids(runtime) -> list[str]:
    return [record["external_id"] for record in waiting_records(runtime.redis)]


def test_register_passes_the_crc_and_x_then_pushes_mentions_and_dms(
    runtime, x_api, live, shell, tw
):
    result = webhook("register")
    assert result.exit_code == 0, result.output
    [hook] = x_api.webhooks.values()
    assert hook["url"] == WEBHOOK_URL and hook["valid"] is True
    subs = list(x_api.subscriptions.values())
    assert sorted(s["event_type"] for s in subs) == sorted(SUBSCRIBED)
    assert {(s["filter"]["user_id"], s["webhook_id"], s["tag"]) for s in subs} == {
        (tw.our_id, hook["id"], "satupintu")
    }
    # Twice is the same: kept, not made again.
    again = webhook("register")
    assert again.exit_code == 0 and again.output.count("kept") == 3
    assert len(x_api.subscriptions) == 3

    [mention] = x_api.deliver(tw.load("xaa_post_mention_create"))
    assert mention.status_code == 200 and mention.json()["accepted"] == 1
    first, second = x_api.deliver(tw.load("xaa_dm_received"), times=2)
    assert first.json()["accepted"] == 1
    assert second.json() == {"accepted": 0, "duplicate": True}  # X's second delivery
    assert queued_ids(runtime) == ["1864211093657829377", "2080765901528535096"]
    listed = webhook("list")
    assert listed.exit_code == 0 and hook["id"] in listed.output
    assert "dm.received" in listed.output


def test_a_failed_hourly_crc_stops_delivery_until_register_revalidates(
    runtime, x_api, live, shell, tw
):
    assert webhook("register").exit_code == 0
    right = runtime.settings
    runtime.settings = right.replace(twitter_consumer_secret="rotated-but-not-at-x")
    x_api.recheck()  # X's periodic check gets a wrong response_token
    [hook] = x_api.webhooks.values()
    assert hook["valid"] is False
    assert x_api.deliver(tw.load("xaa_post_mention_create")) == []  # X stops delivering
    listed = webhook("list")
    assert listed.exit_code == 1 and "TIDAK / NO" in listed.output
    runtime.settings = right
    fixed = webhook("register")
    assert fixed.exit_code == 0 and "re-validated: valid=True" in fixed.output
    assert [a.status_code for a in x_api.deliver(tw.load("xaa_post_mention_create"))] == [200]


def test_register_fails_clearly_when_our_webhook_cannot_answer_the_crc(runtime, x_api, live, shell):
    runtime.settings = runtime.settings.replace(twitter_consumer_secret="not-the-apps-secret")
    result = webhook("register")
    assert result.exit_code == 1
    assert "CRC" in result.output
    assert x_api.webhooks == {} and x_api.subscriptions == {}


def test_private_events_need_the_handles_own_authorization(x_api, tw):
    answer = requests.post(
        f"{x_api.url}/2/activity/subscriptions",
        json={"event_type": "dm.received", "filter": {"user_id": tw.our_id}},
        headers={"Authorization": f"Bearer {x_api.bearer_token}"},
        timeout=5,
    )
    assert answer.status_code == 403


def test_a_stream_rule_is_added_linked_and_delivered(runtime, x_api, live, shell, tw):
    result = webhook("register", "--stream-rule", "@lapor1708")
    assert result.exit_code == 0, result.output
    assert [r["value"] for r in x_api.rules.values()] == ["@lapor1708"]
    [answer] = x_api.deliver_post(tw.load("stream_post_mention"))
    assert answer.json()["accepted"] == 1
    assert queued_ids(runtime) == ["1864280000000000004"]
    deleted = webhook("delete")
    assert deleted.exit_code == 0, deleted.output
    assert x_api.rules == {} and x_api.stream_links == set()


def test_delete_removes_ours_and_leaves_other_apps_subscriptions(runtime, x_api, live, shell, tw):
    assert webhook("register").exit_code == 0
    [hook] = x_api.webhooks.values()
    x_api.subscriptions["1"] = {
        "subscription_id": "1",
        "event_type": "follow.follow",
        "filter": {"user_id": "2244994945"},
        "tag": "someone-else",
        "webhook_id": "99",
    }
    result = webhook("delete")
    assert result.exit_code == 0, result.output
    assert x_api.webhooks == {}
    assert list(x_api.subscriptions) == ["1"]
    assert webhook("delete").exit_code == 1  # nothing of ours is left: said so
    assert hook["id"] in result.output


def test_webhook_commands_say_what_is_missing(runtime, x_api, shell, monkeypatch):
    monkeypatch.setenv("SATUPINTU_TWITTER_BEARER_TOKEN", "")
    result = webhook("list")
    assert result.exit_code == 1 and "SATUPINTU_TWITTER_BEARER_TOKEN" in result.output


def test_a_dm_complaint_is_answered_by_dm_never_by_a_public_tweet(runtime, x_api):
    sender = sender_for(Channel.TWITTER, runtime.settings)
    sent = sender.send(
        OutboundMessage(
            message_id=1,
            channel=Channel.TWITTER,
            to="twitter:1212333444555666777",
            text="Laporan Anda kami terima: SP-7K2M-9QX4",
            reply_to="dm:1212333444555666777",
        )
    )
    assert x_api.dms() == [
        {
            "to": "1212333444555666777",
            "text": "Laporan Anda kami terima: SP-7K2M-9QX4",
            "id": sent.external_id,
        }
    ]
    assert x_api.replies() == []
    with pytest.raises(PermanentSendError):
        sender.send(
            OutboundMessage(
                message_id=2, channel=Channel.TWITTER, to="twitter:1", text="x", reply_to="dm:me"
            )
        )
    assert x_api.replies() == []


def test_pushed_mention_and_dm_are_stored_and_answered_each_its_own_way(
    runtime, x_api, live, shell, tw, work
):
    assert webhook("register").exit_code == 0
    x_api.deliver(tw.load("xaa_post_mention_create"))
    x_api.deliver(tw.load("xaa_dm_received"))
    work()  # a real rq worker stores both and sends the acknowledgements
    [reply] = x_api.replies()
    assert reply["in_reply_to_tweet_id"] == "1864211093657829377"  # the mention: in thread
    [dm] = x_api.dms()  # the DM: privately, to its sender, never as a tweet
    assert dm["to"] == "1212333444555666777"
    assert dm["text"] != reply["text"]


def test_the_poll_notices_an_invalid_webhook_and_asks_x_to_check_again(
    runtime, x_api, live, shell, tw
):
    from dispatcher.twitter_poll import WEBHOOK_CHECK_KEY, channel_status, run_poll

    assert webhook("register").exit_code == 0
    right = runtime.settings
    runtime.settings = right.replace(twitter_consumer_secret="rotated-on-one-machine-only")
    x_api.recheck()
    assert run_poll(runtime).status == "done"  # polling goes on: it is the fallback
    status = channel_status(runtime)
    assert status.webhook_valid is False
    assert any("webhook register" in note for note in status.notes)
    puts = [r for r in x_api.requests if r.method == "PUT"]
    assert len(puts) == 1  # it asked X for a new check, which failed again
    runtime.settings = right
    runtime.redis.delete(WEBHOOK_CHECK_KEY)  # an hour later
    run_poll(runtime)
    assert channel_status(runtime).webhook_valid is True
    assert [a.status_code for a in x_api.deliver(tw.load("xaa_post_mention_create"))] == [200]
