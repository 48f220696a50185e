"""The push path after the Account Activity API: XAA and filtered-stream bodies on the webhook.

One table of POST cases over Flask's test client, like the Account Activity one: a body (a
fixture in X's published shape, or bytes), how it is signed, the HTTP answer, what is
queued. Bad input is rows of the same table: a clear 4xx naming the field, nothing queued.
Then: a second delivery of the same event_uuid, the arrival time, and the end of AAA by the
adapter's clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import hostile
import pytest

from adapters.twitter import handler
from dispatcher.inbox import waiting_records
from dispatcher.twitter_poll import channel_status

SITI = "twitter:1212333444555666777"
MENTION_ID = "1864211093657829377"


def queued(runtime) -> list[dict[str, Any]]:
    return waiting_records(runtime.redis)


def changed(fixture: str, change: Callable[[dict[str, Any]], Any]) -> Callable[[Any], Any]:
    """A fixture with one part changed (``change`` edits ``data`` in place)."""

    def build(tw) -> dict[str, Any]:
        body = tw.load(fixture)
        change(body["data"])
        return body

    return build


@dataclass(frozen=True)
class Case:
    label: str
    body: str | bytes | Callable[[Any], Any]
    sign: str = "valid"
    status: int = 200
    accepted: int = 0
    ignored: dict[str, int] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)
    error: str = ""


CASES = [
    Case(
        "an @mention (post.mention.create)",
        "xaa_post_mention_create",
        accepted=1,
        record={
            "channel": "twitter",
            "external_id": MENTION_ID,
            "idempotency_key": f"twitter:{MENTION_ID}",
            "contact_urn": SITI,
            "contact_name": "Siti Aminah (@sitiaminah_tkn)",
            "reply_to": MENTION_ID,
            "privacy": "public",
            "intent": "new",
        },
    ),
    Case(
        "a reply to our post (post.reply.create)",
        "xaa_post_reply_create",
        accepted=1,
        record={"thread_ids": ["1864240000000000002"], "reply_to": "1864260000000000001"},
    ),
    Case(
        "a direct message (dm.received) is a confidential case answered privately",
        "xaa_dm_received",
        accepted=1,
        record={
            "external_id": "2080765901528535096",
            "contact_urn": SITI,
            "reply_to": "dm:1212333444555666777",
            "privacy": "confidential",
        },
    ),
    Case(
        "a filtered-stream post (rule @lapor1708)",
        "stream_post_mention",
        accepted=1,
        record={"external_id": "1864280000000000004", "contact_urn": SITI},
    ),
    Case("a follow", "xaa_follow_follow", ignored={"follow.follow": 1}),
    Case("an app revoke (empty filter)", "xaa_oauth_revoke", ignored={"oauth.revoke": 1}),
    Case("our own post", "xaa_post_create_own", ignored={"post.create": 1}),
    Case(
        "our own reply in a thread",
        changed(
            "xaa_post_reply_create", lambda d: d["payload"].update(author_id=d["filter"]["user_id"])
        ),
        ignored={"own_tweet": 1},
    ),
    Case(
        "our own direct message",
        changed(
            "xaa_dm_received",
            lambda d: d["payload"]["direct_message_events"][0]["message_create"].update(
                sender_id=d["filter"]["user_id"]
            ),
        ),
        ignored={"own_dm": 1},
    ),
    Case(
        "another account's subscription",
        changed("xaa_post_mention_create", lambda d: d["filter"].update(user_id="2244994945")),
        ignored={"other_account": 1},
    ),
    Case(
        "hostile text is text",
        changed(
            "xaa_post_mention_create",
            lambda d: d["payload"].update(
                text="@lapor1708 <script>x</script> \x00'; DROP TABLE x;--"
            ),
        ),
        accepted=1,
        record={"text": "<script>x</script> '; DROP TABLE x;--"},
    ),
    Case(
        "fields X may add are kept, not refused",
        changed("xaa_post_mention_create", lambda d: d.update(new_field={"a": [1]})),
        accepted=1,
    ),
    # --- bad input: refused clearly, nothing queued
    Case("unsigned", "xaa_post_mention_create", sign="none", status=403, error="signature"),
    Case(
        "signed with another app's secret",
        "xaa_dm_received",
        sign="wrong_secret",
        status=403,
        error="signature",
    ),
    Case(
        "no event_uuid",
        changed("xaa_post_mention_create", lambda d: d.pop("event_uuid")),
        status=400,
        error="data.event_uuid",
    ),
    Case(
        "an event_uuid that is no id",
        changed("xaa_post_mention_create", lambda d: d.update(event_uuid="../../etc/passwd")),
        status=400,
        error="data.event_uuid",
    ),
    Case(
        "an event_uuid that is a number, not text",
        changed("xaa_post_mention_create", lambda d: d.update(event_uuid=2080765813578191303)),
        status=400,
        error="data.event_uuid",
    ),
    Case(
        "no event_type",
        changed("xaa_post_mention_create", lambda d: d.pop("event_type")),
        status=400,
        error="data.event_type",
    ),
    Case(
        "an event_type X does not document",
        changed("xaa_post_mention_create", lambda d: d.update(event_type="post.teleport")),
        status=400,
        error="not an X Activity API event type",
    ),
    Case(
        "payload not an object",
        changed("xaa_post_mention_create", lambda d: d.update(payload=["1864"])),
        status=400,
        error="data.payload must be an object",
    ),
    Case(
        "filter not an object",
        changed("xaa_post_mention_create", lambda d: d.update(filter="1460581227883581442")),
        status=400,
        error="data.filter",
    ),
    Case(
        "a post without its id",
        changed("xaa_post_mention_create", lambda d: d["payload"].pop("id")),
        status=400,
        error="data.payload.id",
    ),
    Case(
        "a post without its author",
        changed("xaa_post_reply_create", lambda d: d["payload"].pop("author_id")),
        status=400,
        error="author_id",
    ),
    Case(
        "a DM without its sender",
        changed(
            "xaa_dm_received",
            lambda d: d["payload"]["direct_message_events"][0]["message_create"].pop("sender_id"),
        ),
        status=400,
        error="sender_id",
    ),
    Case(
        "DM events not a list",
        changed("xaa_dm_received", lambda d: d["payload"].update(direct_message_events={})),
        status=400,
        error="direct_message_events must be a list",
    ),
    Case(
        "stream matching_rules not a list",
        lambda tw: {**tw.load("stream_post_mention"), "matching_rules": {"id": "1"}},
        status=400,
        error="matching_rules",
    ),
    Case(
        "hostile nesting",
        b'{"data": {"event_type": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}",
        status=400,
        error="not JSON",
    ),
    Case(
        "data not an event",
        b'{"data": "post.mention.create"}',
        status=400,
        error="data is neither",
    ),
    Case(
        "a Post without matching_rules",
        lambda tw: {"data": tw.load("stream_post_mention")["data"]},
        status=400,
        error="data is neither",
    ),
]


def body_of(tw, case: Case) -> bytes:
    body = case.body
    if callable(body):
        body = body(tw)
    if isinstance(body, str):
        body = tw.load(body)
    return body if isinstance(body, bytes) else json.dumps(body).encode()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.label)
def test_push_events(client, runtime, tw, case: Case):
    response = tw.post(client, body_of(tw, case), sign_as=case.sign)
    assert response.status_code == case.status, response.get_data(as_text=True)[:300]
    records = queued(runtime)
    if case.status != 200:
        assert records == []
        assert case.error in response.get_data(as_text=True)
        return
    assert response.json == {"accepted": case.accepted, "ignored": case.ignored}
    assert len(records) == case.accepted
    for name, value in case.record.items():
        assert records[0][name] == value, name


def test_a_second_delivery_of_an_event_is_dropped_by_its_event_uuid(client, runtime, tw):
    body = tw.load("xaa_follow_follow")
    assert tw.post(client, body).json == {"accepted": 0, "ignored": {"follow.follow": 1}}
    assert tw.post(client, body).json == {"accepted": 0, "duplicate": True}
    # Counted once as a follow, once as a duplicate delivery: nothing counted twice.
    assert channel_status(runtime).ignored == {"follow.follow": 1, "duplicate_event": 1}


def test_the_same_post_by_two_events_is_one_record(client, runtime, tw):
    mention = tw.load("xaa_post_mention_create")
    as_reply = tw.load("xaa_post_mention_create")
    as_reply["data"].update(event_uuid="3091827364059180000", event_type="post.reply.create")
    assert tw.post(client, mention).json["accepted"] == 1
    assert tw.post(client, as_reply).json["accepted"] == 1  # a new event, the same post id
    assert [r["external_id"] for r in queued(runtime)] == [MENTION_ID]


def test_arrival_time_is_when_we_received_it_and_created_at_is_kept(
    client, runtime, tw, monkeypatch
):
    arrived = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    monkeypatch.setattr(handler, "now", lambda: arrived)
    late = tw.load("xaa_post_mention_create")  # X's created_at: 2026-11-27, a week before
    assert tw.post(client, late).json["accepted"] == 1
    [record] = queued(runtime)
    assert datetime.fromisoformat(record["received_at"]) == arrived
    assert record["raw"]["created_at"] == "2026-11-27T02:13:43+00:00"
    assert record["raw"]["event_uuid"] == "2080765813578191303"


@pytest.mark.parametrize(
    ("now", "status", "accepted"),
    [
        (datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), 200, 1),  # AAA's last second
        (datetime(2027, 1, 1, tzinfo=UTC), 410, 0),  # its end date: refused
        (datetime(2027, 3, 1, tzinfo=UTC), 410, 0),
    ],
)
def test_the_account_activity_path_ends_on_its_date(
    client, runtime, tw, monkeypatch, now, status, accepted
):
    monkeypatch.setattr(handler, "now", lambda: now)
    response = tw.post(client, tw.load("aaa_tweet_create_extended"))
    assert response.status_code == status
    assert len(queued(runtime)) == accepted
    if status == 410:
        assert "satupintu twitter webhook register" in response.get_data(as_text=True)
        # The push path goes on, and so does the CRC X's new webhooks need.
        assert tw.post(client, tw.load("xaa_post_mention_create")).json["accepted"] == 1
        assert client.get(tw.webhook, query_string={"crc_token": "t"}).status_code == 200


XAA_FIELDS = [
    ("xaa_post_mention_create", ("event_uuid",)),
    ("xaa_post_mention_create", ("filter", "user_id")),
    ("xaa_post_mention_create", ("tag",)),
    ("xaa_post_mention_create", ("payload", "text")),
    ("xaa_post_mention_create", ("payload", "id")),
    ("xaa_post_mention_create", ("payload", "author_id")),
    ("xaa_post_mention_create", ("payload", "created_at")),
    ("xaa_post_mention_create", ("payload", "referenced_tweets")),
    ("xaa_post_mention_create", ("includes",)),
    ("xaa_post_mention_create", ("includes", "users")),
    ("xaa_dm_received", ("payload", "users")),
    ("xaa_dm_received", ("payload", "direct_message_events")),
]
HOSTILE_VALUES = [
    *hostile.FEW_STRINGS[:4],
    *hostile.LONE_SURROGATES[:1],
    None,
    2**70,
    [],
    {"$ne": 1},
    hostile.deep(20),
    hostile.DROP,
]


@pytest.mark.parametrize(
    ("fixture", "path"), XAA_FIELDS, ids=lambda v: ".".join(v) if isinstance(v, tuple) else v
)
def test_hostile_values_at_every_xaa_field_never_fail_the_webhook(
    client, runtime, tw, fixture, path
):
    for n, value in enumerate(HOSTILE_VALUES):
        body = tw.load(fixture)
        body["data"]["event_uuid"] = f"{path[-1][:5]}{n}"  # a new delivery each time
        holder = body["data"]
        for key in path[:-1]:
            holder = holder[key]
        if value is hostile.DROP:
            holder.pop(path[-1], None)
        else:
            holder[path[-1]] = value
        response = tw.post(client, body)
        assert response.status_code in (200, 400), (path, value, response.status_code)
        if response.status_code == 400:
            assert response.get_data(as_text=True).strip()  # it says why
        else:
            assert response.json.get("accepted", 0) <= 1
