"""The push half of the fake X API: /2/webhooks, XAA subscriptions, stream rules, usage, DMs.

Mixed into ``FakeXApi`` (tests/fakes/x_api.py), on the same socket, as docs.x.com documents
the endpoints: the webhook calls take the app's bearer token; ``POST /2/webhooks`` and
``PUT /2/webhooks/:id`` send a real CRC GET (a fresh ``crc_token``) to the webhook and keep
it only if the ``response_token`` is the HMAC-SHA256 of the token with the consumer secret;
``recheck()`` is X's periodic check, and a webhook that fails it is ``valid: false`` and gets
nothing more. Private XAA events (mentions, replies, DMs) need the user's context (OAuth
1.0a here); the bearer token gets 403 for them. ``deliver(event)`` pushes an XAA envelope,
signed over the raw body as X signs it, to every valid webhook subscribed to its type and
user; ``deliver_post(post)`` is the filtered stream's delivery to linked webhooks. Posts
delivered and read by polling count toward ``GET /2/usage/tweets``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import requests

PRIVATE_EVENTS = {"post.mention.create", "post.reply.create", "post.quote.create", "dm.received"}
POST_EVENTS = {"post.create", "post.mention.create", "post.reply.create", "post.quote.create"}
CREATED = "2026-12-04T10:00:00.000Z"
KNOWN_EVENTS = PRIVATE_EVENTS | POST_EVENTS | {"dm.sent", "follow.follow", "profile.update.bio"}


def _error(title: str, detail: str, status: int = 400) -> tuple[int, dict[str, Any]]:
    return status, {"errors": [{"message": detail}], "title": title, "detail": detail}


class XPushMixin:
    """Handlers and steering for the push endpoints; state lives on ``FakeXApi``'s fields."""

    # --- what tests steer and read

    def crc_ok(self, url: str) -> bool:
        """One CRC GET to ``url`` (through ``webhook_origin``): is the answer right?"""
        token = secrets.token_urlsafe(24)
        try:
            answer = requests.get(self._target(url), params={"crc_token": token}, timeout=10)
            got = answer.json().get("response_token") if answer.status_code == 200 else None
        except (requests.RequestException, ValueError, AttributeError):
            return False
        digest = hmac.new(self.consumer_secret.encode(), token.encode(), hashlib.sha256)
        return got == "sha256=" + base64.b64encode(digest.digest()).decode()

    def recheck(self) -> None:
        """X's periodic CRC check of every webhook: a wrong answer marks it invalid."""
        for hook in list(self.webhooks.values()):
            hook["valid"] = self.crc_ok(hook["url"])

    def deliver(self, envelope: dict[str, Any], *, times: int = 1) -> list[requests.Response]:
        """Push an XAA event to each valid webhook subscribed to it (``times`` deliveries)."""
        data = envelope["data"]
        user = (data.get("filter") or {}).get("user_id")
        hooks = {
            s["webhook_id"]
            for s in self.subscriptions.values()
            if s["event_type"] == data["event_type"] and s["filter"].get("user_id") == user
        }
        if data["event_type"] in POST_EVENTS:
            self.reads += 1
        return self._push(envelope, hooks, times)

    def deliver_post(self, post: dict[str, Any], *, times: int = 1) -> list[requests.Response]:
        """The filtered stream: a Post matching our rules, to every linked valid webhook."""
        rules = [{"id": r["id"], "tag": r.get("tag", "")} for r in self.rules.values()]
        self.reads += 1
        return self._push({**post, "matching_rules": rules}, set(self.stream_links), times)

    def dms(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.direct_messages)

    # --- the wire

    def _target(self, url: str) -> str:
        # X resolves the webhook's public host; in tests that host is our local gateway.
        if not self.webhook_origin:
            return url
        parts = urlsplit(url)
        return (
            self.webhook_origin.rstrip("/") + parts.path + (f"?{parts.query}" * bool(parts.query))
        )

    def _push(self, body: dict[str, Any], hook_ids: set[str], times: int) -> list[Any]:
        raw = json.dumps(body).encode()
        digest = hmac.new(self.consumer_secret.encode(), raw, hashlib.sha256).digest()
        headers = {
            "Content-Type": "application/json",
            "x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode(),
        }
        answers = []
        for hook_id in sorted(hook_ids):
            hook = self.webhooks.get(hook_id)
            if hook is None or not hook["valid"]:
                continue  # an invalid webhook gets nothing until it passes a CRC again
            for _ in range(times):
                url = self._target(hook["url"])
                answers.append(requests.post(url, data=raw, headers=headers, timeout=10))
        return answers

    def _bearer(self, handler: BaseHTTPRequestHandler) -> bool:
        return handler.headers.get("Authorization") == f"Bearer {self.bearer_token}"

    def _push_route(self, handler: BaseHTTPRequestHandler, request: Any) -> bool:
        """Answer a push endpoint; False when the path is none of them."""
        method, path = handler.command, request.path
        segments = path.strip("/").split("/")
        if path.startswith("/2/dm_conversations/with/") and method == "POST":
            answer = self._send_dm(handler, request, segments[3])
        elif path == "/2/activity/subscriptions" or path.startswith("/2/activity/subscriptions/"):
            answer = self._subscriptions(handler, request, segments[3:])
        elif not self._bearer(handler) and path.startswith(
            ("/2/webhooks", "/2/tweets/search/", "/2/usage/")
        ):
            answer = _error("Unauthorized", "Unauthorized", 401)
        elif path == "/2/webhooks" or path.startswith("/2/webhooks/"):
            answer = self._webhooks(method, request, segments[2:])
        elif path == "/2/tweets/search/stream/rules":
            answer = self._rules(method, request)
        elif path.startswith("/2/tweets/search/webhooks/"):
            answer = self._link(method, segments[4])
        elif path == "/2/usage/tweets" and method == "GET":
            usage = {"project_usage": str(self.reads), "project_cap": str(self.read_cap)}
            answer = (
                200,
                {"data": {**usage, "project_id": "1460581200000000000", "cap_reset_day": 1}},
            )
        else:
            return False
        status, body = answer
        self._reply(handler, status, body)
        return True

    def _webhooks(self, method: str, request: Any, rest: list[str]) -> tuple[int, dict[str, Any]]:
        if method == "GET" and not rest:
            hooks = list(self.webhooks.values())
            return 200, {"data": hooks, "meta": {"result_count": len(hooks)}}
        if method == "POST" and not rest:
            url = (request.json or {}).get("url") if isinstance(request.json, dict) else None
            parts = urlsplit(url) if isinstance(url, str) else None
            if parts is None or parts.scheme != "https" or parts.port is not None:
                return _error("UrlValidationFailed", "The callback URL is not a valid https URL")
            if any(h["url"] == url for h in self.webhooks.values()):
                return _error("DuplicateUrlFailed", "A webhook is already registered for this URL")
            if not self.crc_ok(url):
                return _error("CrcValidationFailed", "The callback URL failed the CRC check")
            hook_id = self.new_tweet_id()
            hook = {
                "id": hook_id,
                "url": url,
                "valid": True,
                "created_at": "2026-12-04T10:00:00.000Z",
            }
            self.webhooks[hook_id] = hook
            return 200, {"data": hook}
        hook = self.webhooks.get(rest[0]) if rest else None
        if hook is None:
            return _error("WebhookIdInvalid", "The webhook_id was not found")
        if method == "PUT":
            hook["valid"] = self.crc_ok(hook["url"])
            return 200, {"data": {"valid": hook["valid"]}}
        if method == "DELETE":
            del self.webhooks[hook["id"]]
            self.stream_links.discard(hook["id"])
            return 200, {"data": {"deleted": True}}
        return _error("Invalid Request", "method not allowed", 405)

    def _subscriptions(
        self, handler: BaseHTTPRequestHandler, request: Any, rest: list[str]
    ) -> tuple[int, dict[str, Any]]:
        user_context = self._oauth_valid(handler, request)
        if not user_context and not self._bearer(handler):
            return _error("Unauthorized", "Unauthorized", 401)
        subs = self.subscriptions
        if handler.command == "GET" and not rest:
            return 200, {"data": list(subs.values()), "meta": {"total_subscriptions": len(subs)}}
        if handler.command == "DELETE" and rest:
            if subs.pop(rest[0], None) is None:
                return _error("Not Found Error", "subscription not found", 404)
            return 200, {"data": {"deleted": True}, "meta": {"total_subscriptions": len(subs)}}
        if handler.command != "POST" or rest:
            return _error("Invalid Request", "method not allowed", 405)
        body = request.json if isinstance(request.json, dict) else {}
        event_type, user = body.get("event_type"), (body.get("filter") or {}).get("user_id")
        if event_type not in KNOWN_EVENTS or not isinstance(user, str):
            return _error("Invalid Request", "event_type and filter.user_id are required")
        if event_type in PRIVATE_EVENTS and not (user_context and user == self.user_id):
            return _error("Forbidden", "private events need the user's own authorization", 403)
        webhook_id = body.get("webhook_id")
        if webhook_id is not None and webhook_id not in self.webhooks:
            return _error("Invalid Request", "webhook_id was not found")
        if any(
            s["event_type"] == event_type
            and s["filter"] == {"user_id": user}
            and s.get("webhook_id") == webhook_id
            for s in subs.values()
        ):
            return _error("DuplicateSubscription", "this subscription already exists", 409)
        sub_id = self.new_tweet_id()
        subs[sub_id] = {
            "subscription_id": sub_id,
            "event_type": event_type,
            "filter": {"user_id": user},
            "tag": body.get("tag", ""),
            "webhook_id": webhook_id,
            "created_at": CREATED,
            "updated_at": CREATED,
        }
        return 200, {"data": subs[sub_id]}

    def _rules(self, method: str, request: Any) -> tuple[int, dict[str, Any]]:
        rules = self.rules
        if method == "GET":
            return 200, {"data": list(rules.values()), "meta": {"result_count": len(rules)}}
        body = request.json if isinstance(request.json, dict) else {}
        if "add" in body:
            made = []
            for rule in body["add"]:
                rule_id = self.new_tweet_id()
                rules[rule_id] = {"id": rule_id, "value": rule["value"], "tag": rule.get("tag", "")}
                made.append(rules[rule_id])
            return 201, {"data": made, "meta": {"summary": {"created": len(made)}}}
        ids = (body.get("delete") or {}).get("ids") or []
        deleted = sum(rules.pop(i, None) is not None for i in ids)
        return 200, {"meta": {"summary": {"deleted": deleted, "not_deleted": len(ids) - deleted}}}

    def _link(self, method: str, hook_id: str) -> tuple[int, dict[str, Any]]:
        if hook_id not in self.webhooks:
            return _error("WebhookIdInvalid", "The webhook_id was not found")
        if method == "POST":
            self.stream_links.add(hook_id)
            return 200, {"data": {"provisioned": True}}
        if hook_id not in self.stream_links:
            return _error("Not Found Error", "this webhook is not linked", 404)
        self.stream_links.discard(hook_id)
        return 200, {"data": {"deleted": True}}

    def _send_dm(
        self, handler: BaseHTTPRequestHandler, request: Any, participant: str
    ) -> tuple[int, dict[str, Any]]:
        if not self._oauth_valid(handler, request):
            return _error("Unauthorized", "Unauthorized", 401)
        text = (request.json or {}).get("text") if isinstance(request.json, dict) else None
        if not isinstance(text, str) or not text or not participant.isdigit():
            return _error("Invalid Request", "text and a participant id are required")
        event_id = self.new_tweet_id()
        with self._lock:
            self.direct_messages.append({"to": participant, "text": text, "id": event_id})
        pair = "-".join(sorted([participant, self.user_id]))
        return 201, {"data": {"dm_conversation_id": pair, "dm_event_id": event_id}}
