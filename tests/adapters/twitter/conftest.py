"""Twitter/X test fixtures: the fake X API, settings that use it, and a signed event poster.

Response bodies live in ``fixtures/``: copies of real ones (tweepy's cassettes, X's Postman
collection; each names its source) and ours in the same shape, one per condition. Account
Activity bodies are signed here exactly as X signs them: HMAC-SHA256 over the raw bytes.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakes.x_api import FakeXApi

OUR_ID = "1460581227883581442"  # @lapor1708
# X's documented example credentials (developer docs, "Creating a signature").
BEARER_TOKEN = (
    "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4"
    "XsNiRVBChTYbJcE3F"
)
CONSUMER_KEY = "xvz1evFS4wEEPTGEFPHBog"
CONSUMER_SECRET = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
ACCESS_TOKEN = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"
ACCESS_TOKEN_SECRET = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
PUBLIC_URL = "https://lapor.acehtengahkab.go.id"
WEBHOOK = "/webhooks/twitter"
FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    """A fixture as parsed JSON (a fresh copy: tests may change it)."""
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))


def sign(body: bytes, secret: str = CONSUMER_SECRET) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def replying_to(fixture: str, tweet_id: str) -> dict[str, Any]:
    """A mention fixture whose tweet replies to ``tweet_id`` (a reply we posted)."""
    page = load(fixture)
    for ref in page["data"][0]["referenced_tweets"]:
        if ref["type"] == "replied_to":
            ref["id"] = tweet_id
    return page


@dataclass
class TwitterKit:
    """What the tests share: ids and secrets, fixtures, and posting events as X does."""

    our_id = OUR_ID
    consumer_secret = CONSUMER_SECRET
    public_url = PUBLIC_URL
    webhook = WEBHOOK

    load = staticmethod(load)
    sign = staticmethod(sign)
    replying_to = staticmethod(replying_to)

    @staticmethod
    def post(
        client: Any,
        body: bytes | dict[str, Any],
        *,
        sign_as: str = "valid",
        headers: dict[str, str] | None = None,
    ):
        """POST an Account Activity body, signed (or not) as a case asks."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = dict(headers or {})
        if sign_as == "valid":
            sent["x-twitter-webhooks-signature"] = sign(raw)
        elif sign_as == "wrong_secret":
            sent["x-twitter-webhooks-signature"] = sign(raw, "another-apps-consumer-secret")
        elif sign_as != "none":
            raise ValueError(f"unknown signing {sign_as!r}")
        return client.post(WEBHOOK, data=raw, content_type="application/json", headers=sent)


@pytest.fixture
def x_api() -> Iterator[FakeXApi]:
    with FakeXApi(
        user_id=OUR_ID,
        bearer_token=BEARER_TOKEN,
        consumer_key=CONSUMER_KEY,
        consumer_secret=CONSUMER_SECRET,
        access_token=ACCESS_TOKEN,
        access_token_secret=ACCESS_TOKEN_SECRET,
    ) as api:
        yield api


@pytest.fixture
def settings(settings, x_api):
    """The shared test settings with every Twitter/X part on, talking to the fake API."""
    return settings.replace(
        twitter_user_id=OUR_ID,
        twitter_bearer_token=BEARER_TOKEN,
        twitter_consumer_key=CONSUMER_KEY,
        twitter_consumer_secret=CONSUMER_SECRET,
        twitter_access_token=ACCESS_TOKEN,
        twitter_access_token_secret=ACCESS_TOKEN_SECRET,
        twitter_api_url=x_api.url,
        public_url=PUBLIC_URL,
    )


@pytest.fixture
def tw() -> TwitterKit:
    return TwitterKit()
