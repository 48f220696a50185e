"""Hostile values at every field of a signed Account Activity delivery (issue 13): never a
5xx, and every tweet the webhook accepted is stored once the worker ran.

X signs what it sends, but what its users typed (lone surrogates of a broken emoji, NUL
bytes, huge text) and fields of unexpected types must not turn into an answer X retries.
"""

from __future__ import annotations

import itertools
from typing import Any

import hostile
from hypothesis import given
from hypothesis import strategies as st

_ids = itertools.count(1864250011223000000)
TWEET_FIELDS = [
    "id_str",
    "text",
    "full_text",
    "truncated",
    "extended_tweet",
    "in_reply_to_status_id_str",
    "retweeted_status",
    "created_at",
    "entities",
    "user.id_str",
    "user.screen_name",
    "user.name",
]
TOP_FIELDS = ["for_user_id", "user_has_blocked", "favorite_events"]
# Each accepted tweet is stored and answered by a reply tweet: the grid stays small.
VALUES = [
    *hostile.FEW_STRINGS[:6],
    *hostile.LONE_SURROGATES[:2],
    None,
    2**70,
    [],
    {"$ne": 1},
    hostile.deep(20),
    hostile.BOMB,
]


def test_the_twitter_webhook_never_fails_and_keeps_what_it_accepted(client, runtime, tw, work):
    acknowledged = hostile.Acknowledged()

    def send(edits: list[tuple[str, Any]], top: list[tuple[str, Any]], twice: bool = False):
        tweet_id = str(next(_ids))
        tweet: dict[str, Any] = {
            "id_str": tweet_id,
            "text": "@lapor1708 Jalan rusak parah di Kampung Bale, Kec. Lut Tawar.",
            "created_at": "Thu Nov 27 02:13:43 +0000 2026",
            "user": {"id_str": "1212333444555666777", "screen_name": "siti", "name": "Siti"},
            "entities": {"media": [{"media_url_https": "https://pbs.twimg.com/media/a.jpg"}]},
        }
        for name, value in edits:
            holder, key = (tweet["user"], name[5:]) if name.startswith("user.") else (tweet, name)
            if value is hostile.DROP:
                holder.pop(key, None)
            else:
                holder[key] = value
        body: dict[str, Any] = {"for_user_id": tw.our_id, "tweet_create_events": [tweet]}
        for name, value in top:
            if value is hostile.DROP:
                body.pop(name, None)
            else:
                body[name] = value
        raw = hostile.dump_json(body)
        if twice:  # a key given twice: json keeps the last
            raw = raw[:-1] + ', "tweet_create_events": ' + hostile.dump_json([tweet]) + "}"
        response = tw.post(client, raw.encode("utf-8", "surrogatepass"))
        hostile.assert_no_server_error(response, raw[:300])
        if response.status_code < 300 and response.get_json()["accepted"]:
            acknowledged.external_ids.append(str(tweet.get("id_str")))

    for edits in hostile.grid(TWEET_FIELDS, VALUES):
        send(edits, [])
    for edits in hostile.grid(TOP_FIELDS, VALUES):
        send([], edits)

    @given(
        edits=hostile.changes(TWEET_FIELDS, hostile.json_values()),
        top=st.lists(st.tuples(st.sampled_from(TOP_FIELDS), hostile.json_values()), max_size=2),
        twice=st.booleans(),
    )
    @hostile.SWEEP
    def sweep(edits, top, twice):
        send(edits, top, twice)

    sweep()
    acknowledged.check(runtime, work)
