"""Twitter/X, the push path's set-up at X: the webhook, what is delivered to it, the read usage.

``satupintu twitter webhook register|list|delete`` calls these. The calls, as docs.x.com
documents them (X API v2, through tweepy's client so the fake X API in tests sees the real
requests):
  POST /2/webhooks {"url"}            register; X sends a CRC GET to the URL before answering
  GET /2/webhooks                     list, with each webhook's ``valid``
  PUT /2/webhooks/:id                 a new CRC check: re-enables a webhook marked invalid
  DELETE /2/webhooks/:id              delete
  POST|GET /2/activity/subscriptions, DELETE /2/activity/subscriptions/:id
                                      X Activity API subscriptions (event_type, filter.user_id,
                                      tag, webhook_id); mentions, replies and DMs are private
                                      events, so they are created with the handle's own user
                                      context (OAuth 1.0a, the reply credentials)
  GET|POST /2/tweets/search/stream/rules, POST|DELETE /2/tweets/search/webhooks/:id
                                      filtered-stream rules (``@lapor1708``) and the link that
                                      delivers their Posts to the webhook (Enterprise)
  GET /2/usage/tweets                 Posts read this billing cycle, and the project's cap
The webhook management endpoints take the app's bearer token. Everything we create carries
the tag ``satupintu``: ``delete`` removes ours and nothing else on a shared app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests
import tweepy

from adapters.twitter.handler import WEBHOOK_PATH
from adapters.twitter.xaa import SUBSCRIBED

TAG = "satupintu"
STREAM_FIELDS = {
    "expansions": "author_id,attachments.media_keys,referenced_tweets.id",
    "tweet.fields": "created_at,conversation_id,referenced_tweets,author_id,note_tweet",
    "user.fields": "username,name",
    "media.fields": "url,type,preview_image_url",
}


class XApiError(RuntimeError):
    """X refused or could not be reached; ``status`` is its HTTP status (None: no answer)."""

    def __init__(self, status: int | None, detail: str) -> None:
        super().__init__(f"X {status or 'unreachable'}: {detail}")
        self.status = status
        self.detail = detail


def _call(
    client: tweepy.Client,
    method: str,
    route: str,
    *,
    json: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
    user_auth: bool = False,
) -> dict[str, Any]:
    try:
        response = client.request(method, route, params=params, json=json, user_auth=user_auth)
    except tweepy.HTTPException as exc:
        said = "; ".join(str(m) for m in exc.api_messages)[:300] or exc.response.reason
        raise XApiError(exc.response.status_code, said) from exc
    except (requests.RequestException, tweepy.TweepyException) as exc:
        raise XApiError(None, type(exc).__name__) from exc
    try:
        body = response.json() if response.content else {}
    except ValueError:
        raise XApiError(response.status_code, "the answer is not JSON") from None
    return body if isinstance(body, dict) else {}


def _data_list(body: dict[str, Any]) -> list[dict[str, Any]]:
    data = body.get("data")
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def webhook_url(settings: Any) -> str:
    """Our webhook's public URL: SATUPINTU_PUBLIC_URL and /webhooks/twitter."""
    return settings.public_url.rstrip("/") + WEBHOOK_PATH


def list_webhooks(client: tweepy.Client) -> list[dict[str, Any]]:
    return _data_list(_call(client, "GET", "/2/webhooks"))


def list_subscriptions(client: tweepy.Client) -> list[dict[str, Any]]:
    return _data_list(_call(client, "GET", "/2/activity/subscriptions"))


def list_rules(client: tweepy.Client) -> list[dict[str, Any]]:
    return _data_list(_call(client, "GET", "/2/tweets/search/stream/rules"))


def usage(client: tweepy.Client) -> tuple[int, int | None] | None:
    """(Posts read this billing cycle, the monthly cap or None); None if X did not say."""
    data = _call(client, "GET", "/2/usage/tweets").get("data")
    if not isinstance(data, dict):
        return None
    used, cap = str(data.get("project_usage", "")), str(data.get("project_cap", ""))
    if not used.isdigit():
        return None
    return int(used), int(cap) if cap.isdigit() else None


def revalidate(client: tweepy.Client, settings: Any) -> bool | None:
    """Our webhook's ``valid`` at X, re-checked (``PUT``) when X marked it invalid.

    None: no webhook of ours is registered (the deployment polls only).
    """
    url = webhook_url(settings)
    hook = next((w for w in list_webhooks(client) if w.get("url") == url), None)
    if hook is None:
        return None
    if hook.get("valid"):
        return True
    answer = _call(client, "PUT", f"/2/webhooks/{hook['id']}").get("data") or {}
    return bool(answer.get("valid"))


@dataclass
class Registration:
    """What ``register`` found and did at X, for the operator's table."""

    webhook: dict[str, Any] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)  # one line per step, in order
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)


def register(client: tweepy.Client, settings: Any, stream_rule: str = "") -> Registration:
    """Register (or re-validate) our webhook and subscribe the handle's mentions, replies, DMs.

    Idempotent: what exists is kept, an invalid webhook is re-checked (``PUT``), and only
    missing subscriptions are created. ``stream_rule`` (e.g. ``@lapor1708``) also adds a
    filtered-stream rule and links the stream to the webhook.
    """
    url, user_id = webhook_url(settings), settings.twitter_user_id
    out = Registration()
    hook = next((w for w in list_webhooks(client) if w.get("url") == url), None)
    if hook is None:
        hook = _call(client, "POST", "/2/webhooks", json={"url": url}).get("data") or {}
        out.done.append(f"webhook registered: {hook.get('id')}")
    elif not hook.get("valid"):
        answer = _call(client, "PUT", f"/2/webhooks/{hook['id']}").get("data") or {}
        hook = {**hook, "valid": bool(answer.get("valid"))}
        out.done.append(f"webhook re-validated: valid={hook['valid']}")
    else:
        out.done.append(f"webhook already registered: {hook.get('id')}")
    out.webhook = hook
    hook_id = str(hook.get("id", ""))
    have = {
        s.get("event_type")
        for s in list_subscriptions(client)
        if (s.get("filter") or {}).get("user_id") == user_id and s.get("webhook_id") == hook_id
    }
    for event_type in SUBSCRIBED:
        if event_type in have:
            out.done.append(f"subscription kept: {event_type}")
            continue
        body = {
            "event_type": event_type,
            "filter": {"user_id": user_id},
            "tag": TAG,
            "webhook_id": hook_id,
        }
        # Mentions, replies and DMs are private events: the handle's own user context.
        made = _call(client, "POST", "/2/activity/subscriptions", json=body, user_auth=True)
        out.subscriptions.append(made.get("data") or {})
        out.done.append(f"subscription created: {event_type}")
    if stream_rule:
        if not any(r.get("value") == stream_rule for r in list_rules(client)):
            rule = {"add": [{"value": stream_rule, "tag": TAG}]}
            out.rules = _data_list(
                _call(client, "POST", "/2/tweets/search/stream/rules", json=rule)
            )
            out.done.append(f"stream rule added: {stream_rule}")
        _call(client, "POST", f"/2/tweets/search/webhooks/{hook_id}", params=STREAM_FIELDS)
        out.done.append("filtered stream linked to the webhook")
    return out


def delete(client: tweepy.Client, settings: Any, webhook_id: str = "") -> list[str]:
    """Remove our subscriptions and rules, unlink the stream, delete our webhook."""
    url = webhook_url(settings)
    hooks = list_webhooks(client)
    hook = next((w for w in hooks if str(w.get("id")) == webhook_id or w.get("url") == url), None)
    if hook is None:
        return []
    hook_id = str(hook.get("id"))
    done = []
    for sub in list_subscriptions(client):
        if sub.get("tag") == TAG and str(sub.get("webhook_id", "")) == hook_id:
            _call(client, "DELETE", f"/2/activity/subscriptions/{sub['subscription_id']}")
            done.append(f"subscription deleted: {sub.get('event_type')}")
    ours = [str(r["id"]) for r in list_rules(client) if r.get("tag") == TAG and "id" in r]
    if ours:
        body = {"delete": {"ids": ours}}
        _call(client, "POST", "/2/tweets/search/stream/rules", json=body)
        done.append(f"stream rules deleted: {len(ours)}")
    try:
        _call(client, "DELETE", f"/2/tweets/search/webhooks/{hook_id}")
        done.append("filtered stream unlinked")
    except XApiError as exc:
        if exc.status not in (400, 403, 404):  # never linked, or not an Enterprise app
            raise
    _call(client, "DELETE", f"/2/webhooks/{hook_id}")
    done.append(f"webhook deleted: {hook_id}")
    return done
