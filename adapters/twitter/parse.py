"""Twitter/X, inbound: a page of mentions (API v2) or an Account Activity body (v1.1).

Every shape (these two, and the X Activity API's in ``xaa``) becomes the same
``InboundMessage`` through one builder, ``build_message`` (``handler``'s docstring lists the
fields read); tweets that are not complaints (our own, retweets, other accounts' events) are
counted by kind in ``Parsed.ignored``. A message's ``received_at`` is when we received it,
never the tweet's ``created_at`` (a replayed or late tweet must not start life overdue);
``created_at`` stays in ``raw``.
"""

from __future__ import annotations

import html
import json
import mimetypes
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.fields import replace_lone_surrogates
from adapters.twitter.handler import NAME, MalformedRequest
from normalizer.records import Channel, InboundMessage, Media
from normalizer.urns import twitter_urn

# Replies start with the handles of the thread (and ".@handle" is an old habit); they are
# addressing, not the complaint.
_LEADING_MENTIONS = re.compile(r"^\s*\.?(?:@[A-Za-z0-9_]{1,20}(?![A-Za-z0-9_])[\s,:]*)+")


@dataclass
class Parsed:
    """Tweets worth a message, and how many of each other kind were passed over (and why)."""

    messages: list[InboundMessage] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)
    # X's own ids for the deliveries (XAA's event_uuid): a second delivery is dropped whole.
    event_ids: list[str] = field(default_factory=list)


def valid_tweet_id(value: Any) -> str | None:
    """A tweet id as X writes it (digits, as a string), or None for anything else."""
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    return text if text.isdigit() and len(text) <= 30 else None


def _text(raw: Any) -> str:
    # X escapes &, < and > in tweet text; the citizen typed the characters.
    text = html.unescape(raw) if isinstance(raw, str) else ""
    return _LEADING_MENTIONS.sub("", text, count=1)


def created_at(raw: Any, fmt: str | None = None) -> str | None:
    """The tweet's own ``created_at`` as ISO 8601 UTC, or None when it is not a valid time."""
    try:
        parsed = datetime.strptime(raw, fmt) if fmt else datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(UTC).isoformat() if parsed.tzinfo else None


def display_name(name: Any, handle: Any) -> str:
    name = name if isinstance(name, str) else ""
    handle = f"@{handle}" if isinstance(handle, str) and handle else ""
    return f"{name} ({handle})" if name and handle else name or handle


def media_from_url(url: Any) -> Media | None:
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


def index_includes(raw_includes: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """A v2 ``includes`` object as users, media and tweets by id (well-formed ones only)."""
    raw_includes = raw_includes if isinstance(raw_includes, dict) else {}
    return {
        "users": _index(raw_includes.get("users"), "id"),
        "media": _index(raw_includes.get("media"), "media_key"),
        "tweets": _index(raw_includes.get("tweets"), "id"),
    }


def tweet_v2(
    tweet: dict[str, Any],
    includes: Mapping[str, dict[str, dict[str, Any]]],
    own_user_id: str,
    received_at: datetime,
    extra_raw: Mapping[str, Any] | None = None,
) -> InboundMessage | str:
    """One v2 tweet as a message, or the reason it is passed over."""
    tweet_id, author_id = valid_tweet_id(tweet.get("id")), valid_tweet_id(tweet.get("author_id"))
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
    media = [media_from_url(m.get("url") or m.get("preview_image_url")) for m in media_objects]
    replied_to = [valid_tweet_id(r.get("id")) for r in references if r.get("type") == "replied_to"]
    referenced = [includes["tweets"].get(valid_tweet_id(r.get("id")) or "") for r in references]
    conversation = valid_tweet_id(tweet.get("conversation_id"))
    note = _field(tweet, "note_tweet", dict)
    return build_message(
        tweet_id,
        author_id,
        own_user_id,
        sender_name=display_name(author.get("name"), author.get("username")),
        text=note.get("text") or tweet.get("text"),
        received_at=received_at,
        media=media,
        thread_ids=_thread(replied_to, conversation, tweet_id),
        raw={
            "api": "2",
            **(extra_raw or {}),
            "created_at": created_at(tweet.get("created_at")),
            "tweet": tweet,
            "author": author,
            "media": media_objects,
            "referenced_tweets": [t for t in referenced if t is not None],
        },
    )


def build_message(
    external_id: str,
    author_id: str,
    own_user_id: str,
    *,
    sender_name: str,
    text: Any,
    received_at: datetime,
    media: list[Media | None],
    thread_ids: tuple[str, ...] = (),
    raw: dict[str, Any],
    reply_to: str | None = None,
    private: bool = False,
) -> InboundMessage:
    """The one builder: a mention, reply or direct message as a message, whatever its shape.

    A tweet is answered in its thread (``reply_to`` is its id); a direct message is answered
    by direct message (``reply_to`` is ``dm:<sender id>``, which is no tweet id, so no reply
    tweet can ever be posted for it) and its case is confidential: a citizen who writes
    privately has chosen not to be public.
    """
    return InboundMessage(
        channel=Channel.TWITTER,
        provider=NAME,
        external_id=external_id,
        sender=twitter_urn(author_id),
        recipient=twitter_urn(own_user_id),
        sender_name=sender_name,
        text=_text(text),
        received_at=received_at,
        media=tuple(m for m in media if m is not None),
        reply_to=external_id if reply_to is None else reply_to,
        thread_ids=thread_ids,
        declared={"privacy": "confidential"} if private else {},
        raw=raw,
    )


def _thread(
    replied_to: list[str | None], conversation: str | None, tweet_id: str
) -> tuple[str, ...]:
    ids = [i for i in [*replied_to, conversation] if i and i != tweet_id]
    return tuple(dict.fromkeys(ids))


def parse_mentions(
    page: Mapping[str, Any], own_user_id: str, received_at: datetime | None = None
) -> Parsed:
    """One page of ``GET /2/users/:id/mentions`` (with includes); an empty poll has no data.

    ``received_at``: when the poll fetched the page (now, unless the caller says).
    A lone surrogate anywhere (a broken emoji) becomes U+FFFD: the rest of the tweet is kept.
    """
    page = replace_lone_surrogates(page)
    includes = index_includes(page.get("includes"))
    when = received_at or datetime.now(UTC)
    parsed = Parsed()
    data = page.get("data")
    for tweet in data if isinstance(data, list) else []:
        outcome = tweet_v2(tweet, includes, own_user_id, when) if isinstance(tweet, dict) else None
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
    tweet: dict[str, Any], own_user_id: str, user_has_blocked: bool | None, received_at: datetime
) -> InboundMessage | str:
    """One v1.1 tweet object (Account Activity) as a message, or the reason it is passed over."""
    user = _field(tweet, "user", dict)
    tweet_id, author_id = valid_tweet_id(tweet.get("id_str")), valid_tweet_id(user.get("id_str"))
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
    media = [media_from_url(m.get("media_url_https")) for m in _dicts(entities.get("media"))]
    replied_to = valid_tweet_id(tweet.get("in_reply_to_status_id_str"))
    return build_message(
        tweet_id,
        author_id,
        own_user_id,
        sender_name=display_name(user.get("name"), user.get("screen_name")),
        text=text,
        received_at=received_at,
        media=media,
        thread_ids=_thread([replied_to], None, tweet_id),
        raw={
            "api": "1.1",
            "created_at": created_at(tweet.get("created_at"), "%a %b %d %H:%M:%S %z %Y"),
            "tweet": tweet,
            "user_has_blocked": user_has_blocked,
        },
    )


def load_json(body: bytes) -> Any:
    """A webhook body as JSON, lone surrogates replaced; raises MalformedRequest for non-JSON."""
    try:
        return replace_lone_surrogates(json.loads(body))
    except (ValueError, RecursionError):  # RecursionError: hostile nesting
        raise MalformedRequest("the body is not JSON") from None


def parse_webhook(
    body: bytes | dict[str, Any], own_user_id: str, received_at: datetime | None = None
) -> Parsed:
    """An Account Activity event body: tweets become messages, other event kinds are counted.

    Raises MalformedRequest for a body that is not a JSON object of event lists. A lone
    surrogate (a broken emoji) becomes U+FFFD and the rest is kept: refusing it would make X
    retry the delivery forever and lose the tweets after it in the same body.
    """
    payload = load_json(body) if isinstance(body, bytes) else body
    when = received_at or datetime.now(UTC)
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
            outcome = (
                _tweet_v1(tweet, own_user_id, blocked, when) if isinstance(tweet, dict) else None
            )
            if isinstance(outcome, InboundMessage):
                parsed.messages.append(outcome)
            else:
                parsed.ignored[outcome or "missing_fields"] += 1
    return parsed
