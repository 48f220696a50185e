"""The Account Activity webhook over Flask's test client: CRC, signatures, events, bad input.

One table of POST cases: a body (a fixture, or bytes), how it is signed, the HTTP answer,
and what must be queued on ``intake``. Bad input rows are in the same table: they must
answer clearly and queue nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from adapters.twitter import MAX_BODY_BYTES, MAX_CRC_TOKEN_CHARS
from dispatcher.abuse import signature_failures
from dispatcher.inbox import waiting_records
from dispatcher.twitter_poll import channel_status

SITI = "twitter:1212333444555666777"


def queued(runtime) -> list[dict[str, Any]]:
    return waiting_records(runtime.redis)


def tweet_events(*tweets: Any, **top: Any) -> dict[str, Any]:
    return {"for_user_id": "1460581227883581442", **top, "tweet_create_events": list(tweets)}


USER = {"id_str": "1212333444555666777", "screen_name": "sitiaminah_tkn", "name": "Siti"}


@dataclass(frozen=True)
class Case:
    label: str
    body: str | bytes | Callable[[Any], Any]  # a fixture name, raw bytes, or built from tw
    sign: str = "valid"  # valid | none | wrong_secret | then_changed | twice
    status: int = 200
    accepted: int = 0
    ignored: dict[str, int] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)  # fields of the one queued record
    error: str = ""


CASES = [
    Case(
        "a mention, extended and with a photo",
        "aaa_tweet_create_extended",
        accepted=1,
        record={
            "channel": "twitter",
            "provider": "twitter",
            "external_id": "1864250011223344556",
            "idempotency_key": "twitter:1864250011223344556",
            "intent": "new",
            "contact_urn": SITI,
            "contact_name": "Siti Aminah (@sitiaminah_tkn)",
            "reply_to": "1864250011223344556",
            "privacy": "public",
            "language": "id",
        },
    ),
    Case(
        "a reply in a thread",
        "aaa_tweet_create_reply",
        accepted=1,
        record={"thread_ids": ["1864240000000000002"], "intent": "new"},
    ),
    Case("our own reply", "aaa_tweet_create_own", ignored={"own_tweet": 1}),
    Case("a retweet", "aaa_tweet_create_retweet", ignored={"retweet": 1}),
    Case("likes", "aaa_favorite_events", ignored={"favorite_events": 1}),
    Case("follows", "aaa_follow_events", ignored={"follow_events": 1}),
    Case("another account's events", "aaa_other_account", ignored={"other_account": 1}),
    Case(
        "tweets missing what we need",
        lambda tw: tweet_events({"user": USER, "text": "x"}, {"id_str": "1864"}, None),
        ignored={"missing_fields": 3},
    ),
    Case(
        "hostile text is text",
        lambda tw: tweet_events(
            {
                "id_str": "1864000000000000009",
                "user": USER,
                "text": "@lapor1708 <img src=x onerror=alert(1)> \x00\u202e'; DROP TABLE x;--",
            }
        ),
        accepted=1,
        record={"text": "<img src=x onerror=alert(1)> '; DROP TABLE x;--"},
    ),
    Case(
        "unknown extra fields are kept, not refused",
        lambda tw: {**tw.load("aaa_tweet_create_extended"), "new_field_x_added": {"a": 1}},
        accepted=1,
    ),
    # --- bad input: refused clearly, nothing queued
    Case("no signature", "aaa_tweet_create_extended", sign="none", status=403, error="signature"),
    Case(
        "signed with another app's secret",
        "aaa_tweet_create_extended",
        sign="wrong_secret",
        status=403,
        error="signature",
    ),
    Case(
        "body changed after signing",
        "aaa_tweet_create_extended",
        sign="then_changed",
        status=403,
        error="signature",
    ),
    Case(
        "two signature headers",
        "aaa_tweet_create_extended",
        sign="twice",
        status=403,
        error="signature",
    ),
    Case("not JSON", b"tweet_create_events=1864", status=400, error="not JSON"),
    Case("empty body", b"", status=400, error="not JSON"),
    Case("a JSON list", b"[]", status=400, error="JSON object"),
    Case(
        "events not a list",
        b'{"tweet_create_events": {"id_str": "1"}}',
        status=400,
        error="must be a list",
    ),
    Case(
        "hostile nesting",
        b'{"tweet_create_events": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        status=400,
        error="not JSON",
    ),
    Case(
        "oversized body",
        lambda tw: b'{"padding": "' + b"x" * MAX_BODY_BYTES + b'"}',
        status=413,
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
def test_events(client, runtime, tw, case: Case):
    body = body_of(tw, case)
    if case.sign == "then_changed":
        headers = {"x-twitter-webhooks-signature": tw.sign(body)}
        response = tw.post(
            client, body.replace(b"Kebayakan", b"Kebayakan!"), sign_as="none", headers=headers
        )
    elif case.sign == "twice":
        headers = [("x-twitter-webhooks-signature", tw.sign(body))] * 2
        response = client.post(tw.webhook, data=body, headers=headers)
    else:
        response = tw.post(client, body, sign_as=case.sign)
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


def test_refused_signatures_are_counted_for_operators(client, runtime, tw):
    body = json.dumps(tw.load("aaa_tweet_create_extended")).encode()
    tw.post(client, body, sign_as="none")
    tw.post(client, body, sign_as="wrong_secret")
    tw.post(client, body, sign_as="wrong_secret")
    assert signature_failures(runtime.redis) == {"twitter:missing": 1, "twitter:invalid": 2}


def test_ignored_events_are_counted_for_operators(client, runtime, tw):
    for fixture in ("aaa_favorite_events", "aaa_tweet_create_own", "aaa_favorite_events"):
        assert tw.post(client, tw.load(fixture)).status_code == 200
    assert channel_status(runtime).ignored == {"favorite_events": 2, "own_tweet": 1}


def test_a_redelivered_event_queues_once(client, runtime, tw):
    body = tw.load("aaa_tweet_create_extended")
    assert tw.post(client, body).json["accepted"] == 1
    assert tw.post(client, body).json["accepted"] == 1  # answered the same, queued once
    assert len(queued(runtime)) == 1


def test_the_signature_and_crc_vectors_through_the_app(client, runtime, tw):
    vectors = tw.load("aaa_signature_and_crc_vectors")
    runtime.settings = runtime.settings.replace(twitter_consumer_secret=vectors["consumer_secret"])
    for case in vectors["signature_cases"]:
        response = client.post(
            tw.webhook,
            data=case["raw_body"].encode(),
            content_type="application/json",
            headers={"x-twitter-webhooks-signature": case["header_x_twitter_webhooks_signature"]},
        )
        assert response.status_code == (200 if case["expect_valid"] else 403), case["raw_body"]
    for case in vectors["crc_cases"]:
        runtime.settings = runtime.settings.replace(twitter_consumer_secret=case["consumer_secret"])
        response = client.get(tw.webhook, query_string={"crc_token": case["crc_token"]})
        assert response.status_code == 200
        assert response.json == {"response_token": case["expected_response_token"]}


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({}, 400),
        ({"crc_token": ""}, 400),
        ({"crc_token": "x" * (MAX_CRC_TOKEN_CHARS + 1)}, 400),
        ([("crc_token", "a"), ("crc_token", "b")], 400),
        ({"crc_token": "<script>\u202e'; --"}, 200),
        ({"crc_token": "9b4507b3-9040-4669-9ca3-6b94edb50553"}, 200),
    ],
)
def test_crc_tokens(client, tw, query, status):
    response = client.get(tw.webhook, query_string=query)
    assert response.status_code == status
    if status == 200:
        assert response.json["response_token"].startswith("sha256=")
        assert "<script>" not in response.get_data(as_text=True)


def test_with_no_credentials_the_webhook_is_off_and_says_so(client, runtime, tw):
    runtime.settings = runtime.settings.replace(
        twitter_consumer_secret="",
        twitter_consumer_key="",
        twitter_access_token="",
        twitter_access_token_secret="",
        twitter_bearer_token="",
        twitter_user_id="",
    )
    assert tw.post(client, tw.load("aaa_tweet_create_extended")).status_code == 503
    assert client.get(tw.webhook, query_string={"crc_token": "abc"}).status_code == 503
    assert queued(runtime) == []
    assert channel_status(runtime).state == "off"
