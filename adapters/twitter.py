"""Twitter/X: mentions of the gateway's handle become complaints, answered in thread.

Inbound, two ways and one message shape: polling ``GET /2/users/:id/mentions`` (API v2, with
author, media and referenced tweets expanded; the poll job in dispatcher/twitter_poll.py keeps
the since_id) and the Account Activity webhook ``POST /webhooks/twitter`` (v1.1 tweet objects
in ``tweet_create_events``). The tweet id is the external id on both, so a tweet delivered
both ways is one complaint. Outbound: ``POST /2/tweets`` in reply to the citizen's tweet,
signed with OAuth 1.0a user context; the reply's tweet id is the outbound external id, which
is how a citizen's answer in that thread finds its complaint.

Fields read, API v2 (the poll asks for exactly these; note_tweet is a long post's full text):
  id, author_id, text, note_tweet.text, created_at, conversation_id, referenced_tweets
                      (replied_to: the thread; retweeted: passed over; quoted: counts)
  attachments.media_keys -> includes.media[].url / preview_image_url (video: its preview)
  includes.users[].username, name
Fields read, v1.1 (Account Activity), per tweet:
  id_str, user.id_str / screen_name / name, text / full_text, extended_tweet.full_text
  (when truncated), in_reply_to_status_id_str, retweeted_status, created_at,
  (extended_)entities.media[].media_url_https
  and at the top: for_user_id (whose subscription), user_has_blocked (bool, or "true"/"false")
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import html
import json
import mimetypes
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
import tweepy
from twitter_text import parse_tweet

from adapters.base import PermanentSendError, SendError, TransientSendError
from adapters.fields import replace_lone_surrogates
from normalizer.records import Channel, InboundMessage, Media, OutboundMessage, SendResult
from normalizer.urns import twitter_urn

NAME = "twitter"
WEBHOOK_PATH = "/webhooks/twitter"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
DEFAULT_API_URL = "https://api.twitter.com"
REQUEST_TIMEOUT_SECONDS = 15.0
# Account Activity bodies are a few kilobytes; a megabyte is not X, whatever the app allows.
MAX_BODY_BYTES = 256 * 1024
MAX_CRC_TOKEN_CHARS = 256
MAX_TWEET_WEIGHT = 280  # twitter-text's weighted length: a link counts 23, CJK and emoji 2
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

# Replies start with the handles of the thread (and ".@handle" is an old habit); they are
# addressing, not the complaint.
_LEADING_MENTIONS = re.compile(r"^\s*\.?(?:@[A-Za-z0-9_]{1,20}(?![A-Za-z0-9_])[\s,:]*)+")


class SignatureMismatch(Exception):
    """x-twitter-webhooks-signature is missing or wrong, or there is no secret to check it."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"twitter signature {reason}")
        self.reason = reason  # missing | invalid | not_configured


class MalformedRequest(ValueError):
    """A webhook body X would not send; the message names the part, never its value."""


@dataclass
class Parsed:
    """Tweets worth a message, and how many of each other kind were passed over (and why)."""

    messages: list[InboundMessage] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)


# --- verify ---------------------------------------------------------------------------------


def _hmac_b64(secret: str, data: bytes) -> str:
    digest = hmac.new(secret.encode(), data, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def crc_response(crc_token: str, consumer_secret: str) -> dict[str, str]:
    """The answer to X's challenge-response check (``GET /webhooks/twitter?crc_token=...``)."""
    return {"response_token": _hmac_b64(consumer_secret, crc_token.encode())}


def verify(body: bytes, signature: str | None, consumer_secret: str) -> None:
    """Check the signature over exactly the raw body (constant time); raises SignatureMismatch."""
    if not consumer_secret:
        raise SignatureMismatch("not_configured")
    if not signature:
        raise SignatureMismatch("missing")
    expected = _hmac_b64(consumer_secret, body).encode()
    if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
        raise SignatureMismatch("invalid")


# --- parse ----------------------------------------------------------------------------------


def _tweet_id(value: Any) -> str | None:
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    return text if text.isdigit() and len(text) <= 30 else None


def _text(raw: Any) -> str:
    # X escapes &, < and > in tweet text; the citizen typed the characters.
    text = html.unescape(raw) if isinstance(raw, str) else ""
    return _LEADING_MENTIONS.sub("", text, count=1)


def _when(raw: Any, fmt: str | None = None) -> datetime:
    try:
        parsed = datetime.strptime(raw, fmt) if fmt else datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return datetime.now(UTC)
    return parsed.astimezone(UTC) if parsed.tzinfo else datetime.now(UTC)


def _display_name(name: Any, handle: Any) -> str:
    name = name if isinstance(name, str) else ""
    handle = f"@{handle}" if isinstance(handle, str) and handle else ""
    return f"{name} ({handle})" if name and handle else name or handle


def _media(url: Any) -> Media | None:
    if not isinstance(url, str) or not url.startswith("https://"):
        return None
    # A video's url is its preview image: the type said here is that of the file linked.
    return Media(url=url, content_type=mimetypes.guess_type(url)[0] or "")


def _field(obj: Mapping[str, Any], key: str, kind: type) -> Any:
    """``obj[key]`` when it has the type X documents, else an empty one: read, never trusted."""
    value = obj.get(key)
    return value if isinstance(value, kind) else kind()


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _index(items: Any, key: str) -> dict[str, dict[str, Any]]:
    """Included objects by their id (only well-formed ones: ids are strings)."""
    return {item[key]: item for item in _dicts(items) if isinstance(item.get(key), str)}


def _tweet_v2(
    tweet: dict[str, Any], includes: Mapping[str, dict[str, dict[str, Any]]], own_user_id: str
) -> InboundMessage | str:
    """One v2 tweet as a message, or the reason it is passed over."""
    tweet_id, author_id = _tweet_id(tweet.get("id")), _tweet_id(tweet.get("author_id"))
    if tweet_id is None or author_id is None:
        return "missing_fields"
    if author_id == own_user_id:
        return "own_tweet"
    references = _dicts(tweet.get("referenced_tweets"))
    if any(ref.get("type") == "retweeted" for ref in references):
        return "retweet"
    author = includes["users"].get(author_id, {})
    keys = _field(_field(tweet, "attachments", dict), "media_keys", list)
    media_objects = [
        includes["media"][k] for k in keys if isinstance(k, str) and k in includes["media"]
    ]
    media = [_media(m.get("url") or m.get("preview_image_url")) for m in media_objects]
    replied_to = [_tweet_id(r.get("id")) for r in references if r.get("type") == "replied_to"]
    referenced = [includes["tweets"].get(_tweet_id(r.get("id")) or "") for r in references]
    conversation = _tweet_id(tweet.get("conversation_id"))
    note = _field(tweet, "note_tweet", dict)
    return _tweet_message(
        tweet_id,
        author_id,
        own_user_id,
        sender_name=_display_name(author.get("name"), author.get("username")),
        text=note.get("text") or tweet.get("text"),
        received_at=_when(tweet.get("created_at")),
        media=media,
        thread_ids=_thread(replied_to, conversation, tweet_id),
        raw={
            "api": "2",
            "tweet": tweet,
            "author": author,
            "media": media_objects,
            "referenced_tweets": [t for t in referenced if t is not None],
        },
    )


def _tweet_message(
    tweet_id: str,
    author_id: str,
    own_user_id: str,
    *,
    sender_name: str,
    text: Any,
    received_at: datetime,
    media: list[Media | None],
    thread_ids: tuple[str, ...],
    raw: dict[str, Any],
) -> InboundMessage:
    """A mention as a message, whichever API version's shape it came in; answered in thread."""
    return InboundMessage(
        channel=Channel.TWITTER,
        provider=NAME,
        external_id=tweet_id,
        sender=twitter_urn(author_id),
        recipient=twitter_urn(own_user_id),
        sender_name=sender_name,
        text=_text(text),
        received_at=received_at,
        media=tuple(m for m in media if m is not None),
        reply_to=tweet_id,
        thread_ids=thread_ids,
        raw=raw,
    )


def _thread(
    replied_to: list[str | None], conversation: str | None, tweet_id: str
) -> tuple[str, ...]:
    ids = [i for i in [*replied_to, conversation] if i and i != tweet_id]
    return tuple(dict.fromkeys(ids))


def parse_mentions(page: Mapping[str, Any], own_user_id: str) -> Parsed:
    """One page of ``GET /2/users/:id/mentions`` (with includes); an empty poll has no data.

    A lone surrogate anywhere (a broken emoji) becomes U+FFFD: the rest of the tweet is kept.
    """
    page = replace_lone_surrogates(page)
    raw_includes = _field(page, "includes", dict)
    includes = {
        "users": _index(raw_includes.get("users"), "id"),
        "media": _index(raw_includes.get("media"), "media_key"),
        "tweets": _index(raw_includes.get("tweets"), "id"),
    }
    parsed = Parsed()
    data = page.get("data")
    for tweet in data if isinstance(data, list) else []:
        outcome = _tweet_v2(tweet, includes, own_user_id) if isinstance(tweet, dict) else None
        if isinstance(outcome, InboundMessage):
            parsed.messages.append(outcome)
        else:
            parsed.ignored[outcome or "missing_fields"] += 1
    return parsed


def _blocked(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return None


def _tweet_v1(
    tweet: dict[str, Any], own_user_id: str, user_has_blocked: bool | None
) -> InboundMessage | str:
    """One v1.1 tweet object (Account Activity) as a message, or the reason it is passed over."""
    user = _field(tweet, "user", dict)
    tweet_id, author_id = _tweet_id(tweet.get("id_str")), _tweet_id(user.get("id_str"))
    if tweet_id is None or author_id is None:
        return "missing_fields"
    if author_id == own_user_id:
        return "own_tweet"
    if tweet.get("retweeted_status") is not None:
        return "retweet"
    extended = _field(tweet, "extended_tweet", dict)
    text = tweet.get("full_text") or tweet.get("text")
    if tweet.get("truncated") and extended.get("full_text"):
        text = extended["full_text"]
    entities = next(
        (
            e
            for e in (
                extended.get("extended_entities"),
                tweet.get("extended_entities"),
                extended.get("entities"),
                tweet.get("entities"),
            )
            if isinstance(e, dict) and e.get("media")
        ),
        {},
    )
    media = [_media(m.get("media_url_https")) for m in _dicts(entities.get("media"))]
    replied_to = _tweet_id(tweet.get("in_reply_to_status_id_str"))
    return _tweet_message(
        tweet_id,
        author_id,
        own_user_id,
        sender_name=_display_name(user.get("name"), user.get("screen_name")),
        text=text,
        received_at=_when(tweet.get("created_at"), "%a %b %d %H:%M:%S %z %Y"),
        media=media,
        thread_ids=_thread([replied_to], None, tweet_id),
        raw={"api": "1.1", "tweet": tweet, "user_has_blocked": user_has_blocked},
    )


def parse_webhook(body: bytes, own_user_id: str) -> Parsed:
    """An Account Activity event body: tweets become messages, other event kinds are counted.

    Raises MalformedRequest for a body that is not a JSON object of event lists. A lone
    surrogate (a broken emoji) becomes U+FFFD and the rest is kept: refusing it would make X
    retry the delivery forever and lose the tweets after it in the same body.
    """
    try:
        payload = replace_lone_surrogates(json.loads(body))
    except (ValueError, RecursionError):  # RecursionError: hostile nesting
        raise MalformedRequest("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise MalformedRequest("the body must be a JSON object")
    events = {key: value for key, value in payload.items() if key.endswith("_events")}
    parsed = Parsed()
    for_user = payload.get("for_user_id")
    if for_user is not None and str(for_user) != own_user_id:
        # Another account's subscription on the same app: none of its events are ours.
        for value in events.values():
            parsed.ignored["other_account"] += len(value) if isinstance(value, list) else 1
        return parsed
    blocked = _blocked(payload.get("user_has_blocked"))
    for kind, value in events.items():
        if kind != "tweet_create_events":
            parsed.ignored[kind] += len(value) if isinstance(value, list) else 1
            continue
        if not isinstance(value, list):
            raise MalformedRequest("tweet_create_events must be a list")
        for tweet in value:
            outcome = _tweet_v1(tweet, own_user_id, blocked) if isinstance(tweet, dict) else None
            if isinstance(outcome, InboundMessage):
                parsed.messages.append(outcome)
            else:
                parsed.ignored[outcome or "missing_fields"] += 1
    return parsed


# --- poll -----------------------------------------------------------------------------------


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


# --- send -----------------------------------------------------------------------------------


def fits_in_tweet(text: str) -> bool:
    """Whether ``text`` is a valid tweet length (render_reply's budget for this channel)."""
    return 0 < parse_tweet(text).weightedLength <= MAX_TWEET_WEIGHT


def _send_error(exc: tweepy.HTTPException) -> SendError:
    status = exc.response.status_code
    messages = " ".join(str(m) for m in exc.api_messages).lower()
    code = "duplicate" if "duplicate" in messages else str(status)
    kind = SEND_ERRORS.get(status, TransientSendError if status >= 500 else PermanentSendError)
    return kind(f"X answered {status}", code=code)


class TwitterSender:
    """Posts replies in thread; the reply's tweet id becomes the outbound external id."""

    def __init__(self, client: tweepy.Client) -> None:
        self.client = client

    def send(self, message: OutboundMessage) -> SendResult:
        if not _tweet_id(message.reply_to):
            # A reply tweet without a tweet to answer would be a public post out of context.
            raise PermanentSendError("no tweet to answer", code="no_reply_to")
        try:
            answer = self.client.create_tweet(
                text=message.text, in_reply_to_tweet_id=message.reply_to, user_auth=True
            )
        except tweepy.HTTPException as exc:
            raise _send_error(exc) from exc
        except (requests.RequestException, tweepy.TweepyException) as exc:
            raise TransientSendError(f"X unreachable: {type(exc).__name__}") from exc
        data = answer.get("data") if isinstance(answer, dict) else None
        tweet_id = _tweet_id(data.get("id")) if isinstance(data, dict) else None
        if tweet_id is None:
            # It was probably posted: trying again would post it twice (or be refused).
            raise PermanentSendError("X answered without a tweet id", code="no_tweet_id")
        return SendResult(external_id=tweet_id, status="sent")


def sender(settings: Any) -> TwitterSender | None:
    """The reply sender, or None while the OAuth 1.0a credentials are not set."""
    if not settings.twitter_replies:
        return None
    return TwitterSender(client_from_settings(settings))


# --- status table ---------------------------------------------------------------------------

# X's answer to a reply tweet -> what the notify job does. Transient ones retry with backoff.
SEND_ERRORS: dict[int, type[SendError]] = {
    400: PermanentSendError,  # refused text, or the tweet we answer no longer exists
    401: PermanentSendError,  # credentials revoked: an operator must fix the settings
    403: PermanentSendError,  # duplicate content, blocked by the citizen, app suspended
    404: PermanentSendError,
    429: TransientSendError,  # rate limited: the next attempt comes after the window
}
