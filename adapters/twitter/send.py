"""Twitter/X, outbound: reply tweets in the citizen's thread, their length, X's refusals.

The reply's tweet id is the outbound external id, which is how a citizen's answer in that
thread finds its complaint. A complaint that came by direct message (``reply_to`` is
``dm:<sender id>``) is answered by direct message (``POST /2/dm_conversations/with/:id/
messages``), never by a public tweet; the DM event id is then the outbound external id.
"""

from __future__ import annotations

from typing import Any

import requests
import tweepy
from twitter_text import parse_tweet

from adapters.base import PermanentSendError, SendError, TransientSendError
from adapters.twitter.parse import valid_tweet_id
from adapters.twitter.poll import client_from_settings
from normalizer.records import OutboundMessage, SendResult

DM_PREFIX = "dm:"  # reply_to of a direct message: the account to answer privately
MAX_TWEET_WEIGHT = 280  # twitter-text's weighted length: a link counts 23, CJK and emoji 2


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
        if message.reply_to.startswith(DM_PREFIX):
            return self._direct_message(message, message.reply_to.removeprefix(DM_PREFIX))
        if not valid_tweet_id(message.reply_to):
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
        tweet_id = valid_tweet_id(data.get("id")) if isinstance(data, dict) else None
        if tweet_id is None:
            # It was probably posted: trying again would post it twice (or be refused).
            raise PermanentSendError("X answered without a tweet id", code="no_tweet_id")
        return SendResult(external_id=tweet_id, status="sent")

    def _direct_message(self, message: OutboundMessage, participant: str) -> SendResult:
        if not valid_tweet_id(participant):
            raise PermanentSendError("no account to write to", code="no_participant")
        try:
            answer = self.client.create_direct_message(
                participant_id=participant, text=message.text, user_auth=True
            )
        except tweepy.HTTPException as exc:
            raise _send_error(exc) from exc
        except (requests.RequestException, tweepy.TweepyException) as exc:
            raise TransientSendError(f"X unreachable: {type(exc).__name__}") from exc
        data = answer.get("data") if isinstance(answer, dict) else None
        event_id = valid_tweet_id(data.get("dm_event_id")) if isinstance(data, dict) else None
        if event_id is None:
            raise PermanentSendError("X answered without a message id", code="no_dm_event_id")
        return SendResult(external_id=event_id, status="sent")


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
