"""Twitter/X: mentions of the gateway's handle become complaints, answered in thread.

Inbound, two ways and one message shape: polling ``GET /2/users/:id/mentions`` (API v2, with
author, media and referenced tweets expanded; the poll job in dispatcher/twitter_poll.py keeps
the since_id) and the webhook ``POST /webhooks/twitter``: X Activity API events and
filtered-stream Posts, and until 2027-01-01 the Account Activity API's v1.1 tweet objects
in ``tweet_create_events``. The tweet id is the external id on both, so a tweet delivered
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
Fields read, X Activity API (``xaa``): data.event_uuid, data.event_type, data.filter.user_id,
  data.payload (a v2 Post, read as above; or for dm.received direct_message_events[].id,
  created_timestamp, message_create.sender_id, message_data.text / attachment.media
  .media_url_https, and users[id].data.name / username), data.includes (users, tweets);
  a filtered-stream delivery: data (a v2 Post), includes, matching_rules.

The folder: this module names the channel and verifies what X sends; ``parse`` reads both
shapes, ``poll`` asks X for mentions, ``send`` answers in thread and holds the status table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from adapters import base

NAME = "twitter"
WEBHOOK_PATH = "/webhooks/twitter"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
# Account Activity bodies are a few kilobytes; a megabyte is not X, whatever the app allows.
MAX_BODY_BYTES = 256 * 1024
MAX_CRC_TOKEN_CHARS = 256
# X ends the Account Activity API on this day (docs.x.com, "Migrate from the Account
# Activity API to the X Activity API"): from then on its bodies are refused, not parsed.
AAA_END = datetime(2027, 1, 1, tzinfo=UTC)


def now() -> datetime:
    """The adapter's time source: when a delivery arrived, and whether AAA has ended."""
    return datetime.now(UTC)


def aaa_open(at: datetime) -> bool:
    """Whether the Account Activity API still delivers at ``at`` (before 2027-01-01 UTC)."""
    return at < AAA_END


class SignatureMismatch(base.SignatureMismatch):
    """x-twitter-webhooks-signature is missing or wrong, or there is no secret to check it."""

    def __init__(self, reason: str) -> None:
        super().__init__(NAME, reason)


class MalformedRequest(base.MalformedRequest):
    """A webhook body X would not send; the message names the part, never its value."""


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
