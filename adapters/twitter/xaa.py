"""Twitter/X, the push shapes after the Account Activity API: X Activity API events and
filtered-stream posts, both delivered to the same ``POST /webhooks/twitter``.

The X Activity API (XAA) wraps each event in one envelope (docs.x.com, "X Activity API event
payload examples"): ``{"data": {"event_uuid", "filter": {"user_id"}, "event_type", "tag",
"payload", "includes"}}``. We subscribe the handle to three kinds:
  post.mention.create  another account @mentions the handle        payload: a v2 Post
  post.reply.create    another account replies to the handle's Post payload: a v2 Post
  dm.received          a direct message to the handle              payload: direct_message_events
                                                                   (v1.1 message_create) + users
``includes`` (users, tweets) is the v2 page's; a Post is read exactly as a polled mention is.
A direct message becomes a confidential case answered by direct message. Every other event
type X documents is counted and answered 200; one X does not document is refused (400): we
would rather see it in the logs than guess what it means. ``event_uuid`` is the delivery's
own id: ``Parsed.event_ids`` carries it so a second delivery is dropped whole.

The filtered stream, linked to the same webhook (``POST /2/tweets/search/webhooks/:id``,
rules such as ``@lapor1708``), delivers one v2 Post per body: ``{"data", "includes",
"matching_rules"}``; its Post id is its only id.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from adapters.twitter.handler import MalformedRequest
from adapters.twitter.parse import (
    Parsed,
    build_message,
    display_name,
    index_includes,
    media_from_url,
    tweet_v2,
    valid_tweet_id,
)
from normalizer.records import InboundMessage

# The event types `satupintu twitter webhook register` subscribes the handle to.
SUBSCRIBED = ("post.mention.create", "post.reply.create", "dm.received")
POST_EVENTS = frozenset({"post.mention.create", "post.reply.create", "post.quote.create"})
DM_EVENTS = frozenset({"dm.received"})
# Every other event type X documents today: passed over (counted by type, answered 200).
PASSED_OVER = frozenset(
    {
        "post.create",
        "post.delete",
        "post.repost.create",
        "like.create",
        "follow.follow",
        "follow.unfollow",
        *(
            f"profile.update.{part}"
            for part in (
                "bio",
                "profile_picture",
                "banner_picture",
                "screenname",
                "handle",
                "geo",
                "url",
                "verified_badge",
                "affiliate_badge",
            )
        ),
        # XChat is end-to-end encrypted: its bodies are ciphertext we cannot read.
        "chat.received",
        "chat.sent",
        "chat.conversation_join",
        "dm.sent",
        "dm.read",
        "dm.indicate_typing",
        "news.new",
        "spaces.start",
        "spaces.end",
        "mute.mute",
        "mute.unmute",
        "block.block",
        "block.unblock",
        "broadcast.start",
        "broadcast.end",
        "broadcast.chat",
        "oauth.revoke",
    }
)
# XAA's event_uuid is a signed 64-bit number written as text ("-6850472171600526495");
# allow any short id of that alphabet, so a change of format is not a refusal.
_EVENT_UUID = re.compile(r"^-?[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def is_push(payload: dict[str, Any]) -> bool:
    """Whether a body is in a post-AAA shape (XAA envelope or filtered-stream Post)."""
    data = payload.get("data")
    if not isinstance(data, dict):
        return False
    return bool({"event_type", "event_uuid"} & data.keys()) or "matching_rules" in payload


def parse_push(payload: dict[str, Any], own_user_id: str, received_at: datetime) -> Parsed:
    """An XAA event or a filtered-stream Post as messages; raises MalformedRequest."""
    data = payload["data"]
    if not {"event_type", "event_uuid"} & data.keys():
        return _stream_post(payload, own_user_id, received_at)
    event_uuid = data.get("event_uuid")
    if not isinstance(event_uuid, str) or not _EVENT_UUID.match(event_uuid):
        raise MalformedRequest("data.event_uuid is missing or malformed")
    event_type = data.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedRequest("data.event_type is missing")
    if event_type not in POST_EVENTS | DM_EVENTS | PASSED_OVER:
        raise MalformedRequest("data.event_type is not an X Activity API event type")
    event_filter = data.get("filter", {})
    if not isinstance(event_filter, dict):
        raise MalformedRequest("data.filter must be an object")
    event = data.get("payload")
    if not isinstance(event, dict):
        raise MalformedRequest("data.payload must be an object")
    parsed = Parsed(event_ids=[event_uuid])
    filtered = event_filter.get("user_id")
    if filtered is not None and str(filtered) != own_user_id:
        # Another account's subscription on the same app: none of its events are ours.
        parsed.ignored["other_account"] += 1
        return parsed
    if event_type not in POST_EVENTS | DM_EVENTS:
        parsed.ignored[event_type] += 1
        return parsed
    where = {"api": "xaa", "event_type": event_type, "event_uuid": event_uuid}
    if event_type in DM_EVENTS:
        _direct_messages(parsed, event, own_user_id, received_at, where)
        return parsed
    includes = index_includes(data.get("includes"))
    _one(parsed, tweet_v2(event, includes, own_user_id, received_at, where), "data.payload")
    return parsed


def _one(parsed: Parsed, outcome: InboundMessage | str, where: str) -> None:
    if outcome == "missing_fields":
        # One event per body: a Post without its id or author is no Post X sends.
        raise MalformedRequest(f"{where}.id or {where}.author_id is missing or malformed")
    if isinstance(outcome, InboundMessage):
        parsed.messages.append(outcome)
    else:
        parsed.ignored[outcome] += 1


def _stream_post(payload: dict[str, Any], own_user_id: str, received_at: datetime) -> Parsed:
    rules = payload.get("matching_rules")
    if not isinstance(rules, list):
        raise MalformedRequest("matching_rules must be a list")
    parsed = Parsed()
    includes = index_includes(payload.get("includes"))
    where = {"api": "filtered_stream", "matching_rules": rules[:20]}
    _one(parsed, tweet_v2(payload["data"], includes, own_user_id, received_at, where), "data")
    return parsed


def _obj(container: dict[str, Any], key: str) -> dict[str, Any]:
    value = container.get(key)
    return value if isinstance(value, dict) else {}


def _created(timestamp: Any) -> str | None:
    """A DM's created_timestamp (milliseconds since 1970, as text) as ISO 8601 UTC."""
    text = str(timestamp) if isinstance(timestamp, int | str) else ""
    if not text.isdigit() or len(text) > 15:
        return None
    return datetime.fromtimestamp(int(text) / 1000, UTC).isoformat()


def _direct_messages(
    parsed: Parsed,
    event: dict[str, Any],
    own_user_id: str,
    received_at: datetime,
    where: dict[str, str],
) -> None:
    """dm.received: each message_create from another account as a private message."""
    events = event.get("direct_message_events")
    if not isinstance(events, list):
        raise MalformedRequest("data.payload.direct_message_events must be a list")
    users = _obj(event, "users")
    for n, dm in enumerate(events):
        if not isinstance(dm, dict) or dm.get("type") != "message_create":
            parsed.ignored["dm_other"] += 1
            continue
        create = _obj(dm, "message_create")
        dm_id, sender = valid_tweet_id(dm.get("id")), valid_tweet_id(create.get("sender_id"))
        if dm_id is None or sender is None:
            name = f"data.payload.direct_message_events[{n}]"
            raise MalformedRequest(f"{name}.id or .message_create.sender_id is missing")
        if sender == own_user_id:
            parsed.ignored["own_dm"] += 1
            continue
        message = _obj(create, "message_data")
        media = _obj(_obj(message, "attachment"), "media")
        user = _obj(_obj(users, sender), "data")
        parsed.messages.append(
            build_message(
                dm_id,
                sender,
                own_user_id,
                sender_name=display_name(user.get("name"), user.get("username")),
                text=message.get("text"),
                received_at=received_at,
                media=[media_from_url(media.get("media_url_https"))],
                raw={
                    **where,
                    "created_at": _created(dm.get("created_timestamp")),
                    "direct_message": dm,
                    "author": user,
                },
                reply_to=f"dm:{sender}",
                private=True,
            )
        )
