"""Twitter/X, polling: tweepy's v2 client against X (or a local fake), and the mentions pages.

The poll job (``dispatcher/twitter_poll.py``) keeps the since_id and decides what each
error means for the channel; this module only asks.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import requests
import tweepy

DEFAULT_API_URL = "https://api.twitter.com"
REQUEST_TIMEOUT_SECONDS = 15.0
MAX_PAGES = 20  # the mentions timeline ends after 800 tweets; more pages is a broken API
EXPANSIONS = ["author_id", "attachments.media_keys", "referenced_tweets.id"]
TWEET_FIELDS = [
    "created_at",
    "conversation_id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "entities",
    "author_id",
    "note_tweet",
]
USER_FIELDS = ["username", "name"]
MEDIA_FIELDS = ["url", "type", "preview_image_url"]


class _ApiSession(requests.Session):
    """Sends tweepy's requests to ``base_url`` instead of X's host, each with a timeout."""

    _X_HOSTS = ("https://api.twitter.com", "https://api.x.com")

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__()
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        url = url.decode() if isinstance(url, bytes) else url
        for host in self._X_HOSTS:
            if url.startswith(host + "/"):
                url = self.base_url + url[len(host) :]
                break
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


class XClient(tweepy.Client):
    """tweepy's API v2 client against ``api_url`` (X's, or a local fake in tests).

    tweepy builds every URL from X's fixed host and sends it through ``self.session``; the
    session rewrites the host before OAuth signs the request, so signatures stay valid.
    """

    def __init__(
        self,
        *args: Any,
        api_url: str = DEFAULT_API_URL,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("return_type", dict)  # plain JSON: it is what ``raw`` keeps
        super().__init__(*args, **kwargs)
        self.session = _ApiSession(api_url, timeout)


def client_from_settings(settings: Any) -> XClient:
    """The process's client for these settings (its session keeps connections open)."""
    return _client(
        settings.twitter_bearer_token,
        settings.twitter_consumer_key,
        settings.twitter_consumer_secret,
        settings.twitter_access_token,
        settings.twitter_access_token_secret,
        settings.twitter_api_url or DEFAULT_API_URL,
    )


@functools.lru_cache(maxsize=4)
def _client(
    bearer_token: str,
    consumer_key: str,
    consumer_secret: str,
    access_token: str,
    access_token_secret: str,
    api_url: str,
) -> XClient:
    return XClient(
        bearer_token=bearer_token or None,
        consumer_key=consumer_key or None,
        consumer_secret=consumer_secret or None,
        access_token=access_token or None,
        access_token_secret=access_token_secret or None,
        api_url=api_url,
    )


class TooManyPages(RuntimeError):
    """The API kept offering pages past the timeline's end: stop, and do not trust it."""


def poll(client: tweepy.Client, user_id: str, since_id: str | None) -> Iterator[dict[str, Any]]:
    """Pages of mentions newer than ``since_id``, newest first, following ``meta.next_token``.

    Raises tweepy's errors as they come (TooManyRequests carries ``reset_time``) and
    requests' for the network; the caller decides what each means for the channel.
    """
    token = None
    for _ in range(MAX_PAGES):
        page = client.get_users_mentions(
            user_id,
            since_id=since_id,
            pagination_token=token,
            max_results=100,
            expansions=EXPANSIONS,
            tweet_fields=TWEET_FIELDS,
            user_fields=USER_FIELDS,
            media_fields=MEDIA_FIELDS,
        )
        yield page
        token = (page.get("meta") or {}).get("next_token")
        if not token:
            return
    raise TooManyPages(f"more than {MAX_PAGES} pages of mentions")
