"""A local X (Twitter) API v2 on a real socket on 127.0.0.1, for the real tweepy client.

``GET /2/users/:id/mentions`` serves a timeline the test fills (tweets newest first, with the
users, media and tweets they reference) as X does: Bearer auth, ``since_id``,
``max_results``, ``pagination_token`` / ``meta.next_token``, only the fields and expansions
asked for, ``includes`` for what the page references, and no ``data`` on an empty poll.
``POST /2/tweets`` checks the OAuth 1.0a signature (HMAC-SHA1 with the consumer and token
secrets, over the URL the client really called), refuses duplicate text and over-long
tweets as X does, records every reply and answers ``201`` with the new tweet's id.
Failures on demand: ``rate_limit_next()`` (429, a text/plain body, x-rate-limit-* headers),
``fail_next(401)`` and friends (X's JSON problem bodies). The push endpoints (``/2/webhooks``
with its CRC challenge to our running webhook, XAA subscriptions, stream rules, the usage
and its read cap, DMs) are in ``fakes.x_push``, on the same socket.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fakes.local_server import LocalServer
from fakes.x_push import XPushMixin
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header, unescape
from twitter_text import parse_tweet

# X's defaults: what every object carries without being asked.
DEFAULT_TWEET_FIELDS = {"id", "text", "edit_history_tweet_ids"}
DEFAULT_USER_FIELDS = {"id", "name", "username"}
DEFAULT_MEDIA_FIELDS = {"media_key", "type"}
# Tweet fields an expansion brings along (the ids it expands must be on the tweet).
EXPANSION_FIELDS = {
    "author_id": "author_id",
    "attachments.media_keys": "attachments",
    "referenced_tweets.id": "referenced_tweets",
}

PROBLEMS = {
    400: {
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    },
    401: {"title": "Unauthorized", "type": "about:blank", "detail": "Unauthorized"},
    403: {
        "title": "Forbidden",
        "type": "about:blank",
        "detail": "You are not permitted to perform this action.",
    },
    404: {"title": "Not Found Error", "type": "about:blank", "detail": "Not Found"},
    500: {"title": "Internal Server Error", "type": "about:blank", "detail": "Internal Error"},
    503: {"title": "Service Unavailable", "type": "about:blank", "detail": "Service Unavailable"},
}
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    json: Any = None


@dataclass
class Failure:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]
    path: str  # the path prefix it applies to


@dataclass
class FakeXApi(XPushMixin, LocalServer):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests' session expects

    user_id: str
    bearer_token: str
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str
    page_size: int = 100  # X's max_results cap; tests lower it to see pagination
    requests: list[RecordedRequest] = field(default_factory=list)
    posted: list[dict[str, Any]] = field(default_factory=list)
    _timeline: list[dict[str, Any]] = field(default_factory=list)  # newest first
    _users: dict[str, dict[str, Any]] = field(default_factory=dict)
    _media: dict[str, dict[str, Any]] = field(default_factory=dict)
    _tweets: dict[str, dict[str, Any]] = field(default_factory=dict)
    _tokens: dict[str, tuple[int, int]] = field(default_factory=dict)  # token -> (since, offset)
    _failures: list[Failure] = field(default_factory=list)
    _next_id: int = 1_870_000_000_000_000_000
    # The push side (fakes.x_push): webhooks by id, subscriptions by id, rules by id, the
    # webhooks the filtered stream is linked to, DMs we sent, Posts read this cycle.
    webhook_origin: str = ""  # where the webhook's public host really is (our gateway)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    stream_links: set[str] = field(default_factory=set)
    direct_messages: list[dict[str, Any]] = field(default_factory=list)
    reads: int = 0
    read_cap: int = 15_000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- lifecycle

    # --- what tests steer and read

    def add_mentions(self, response: dict[str, Any]) -> None:
        """Put a v2 response's tweets (``data``) on the timeline and keep its ``includes``."""
        includes = response.get("includes", {})
        with self._lock:
            for user in includes.get("users", []):
                self._users[user["id"]] = user
            for media in includes.get("media", []):
                self._media[media["media_key"]] = media
            for tweet in includes.get("tweets", []):
                self._tweets[tweet["id"]] = tweet
            known = {t["id"] for t in self._timeline}
            self._timeline += [t for t in response.get("data", []) if t["id"] not in known]
            self._timeline.sort(key=lambda t: int(t["id"]), reverse=True)

    def add_user(self, user: dict[str, Any]) -> None:
        with self._lock:
            self._users[user["id"]] = user

    def rate_limit_next(self, reset_in: float = 900.0, path: str = "/2/users/") -> int:
        """The next request gets X's 429: text/plain, not JSON; returns the reset time."""
        reset = int(time.time() + reset_in)
        headers = {
            "x-rate-limit-limit": "180",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        }
        body = b"Rate limit exceeded\n"
        self._fail(Failure(429, body, "text/plain;charset=utf-8", headers, path))
        return reset

    def fail_next(self, status: int, path: str = "/2/", detail: str | None = None) -> None:
        """The next request under ``path`` gets X's JSON problem for ``status``."""
        problem = dict(PROBLEMS.get(status, PROBLEMS[500]), status=status)
        if detail:
            problem["detail"] = detail
        body = json.dumps(problem).encode()
        self._fail(Failure(status, body, "application/problem+json", {}, path))

    def mention_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "GET" and "/mentions" in r.path]

    def replies(self) -> list[dict[str, Any]]:
        """The tweets posted so far: X's ``data`` plus the reply target, in order."""
        with self._lock:
            return list(self.posted)

    def new_tweet_id(self) -> str:
        with self._lock:
            self._next_id += 1 + secrets.randbelow(1000)
            return str(self._next_id)

    # --- the wire

    def _fail(self, failure: Failure) -> None:
        with self._lock:
            self._failures.append(failure)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw_body = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        recorded = RecordedRequest(
            method=handler.command,
            path=parts.path,
            params=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=dict(handler.headers.items()),
            json=body,
        )
        with self._lock:
            self.requests.append(recorded)
            failure = next((f for f in self._failures if parts.path.startswith(f.path)), None)
            if failure is not None:
                self._failures.remove(failure)
        if failure is not None:
            f = failure
            return _send(handler, f.status, f.body, f.content_type, f.headers)
        segments = parts.path.strip("/").split("/")
        if handler.command == "GET" and len(segments) == 4 and segments[-1] == "mentions":
            return self._mentions(handler, recorded, segments[2])
        if handler.command == "POST" and parts.path == "/2/tweets":
            return self._create_tweet(handler, recorded)
        if self._push_route(handler, recorded):
            return None
        return _problem(handler, 404)

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        _json(handler, status, body)

    def _mentions(self, handler: BaseHTTPRequestHandler, request: RecordedRequest, user: str):
        if handler.headers.get("Authorization") != f"Bearer {self.bearer_token}":
            return _problem(handler, 401)
        if user != self.user_id:
            return _problem(handler, 404)
        params = request.params
        try:
            max_results = int(params.get("max_results", "10"))
            since = int(params.get("since_id") or 0)
        except ValueError:
            return _problem(handler, 400)
        if not 5 <= max_results <= 100:
            return _problem(handler, 400, "max_results must be between 5 and 100")
        with self._lock:
            offset = 0
            token = params.get("pagination_token")
            if token is not None:
                if self._tokens.get(token, (None,))[0] != since:
                    return _problem(handler, 400, "pagination_token is not valid")
                offset = self._tokens[token][1]
            newer = [t for t in self._timeline if int(t["id"]) > since]
            page = newer[offset : offset + min(max_results, self.page_size)]
            more = offset + len(page) < len(newer)
            next_token = None
            if more:
                next_token = "7140dibdnow9c7btw4" + secrets.token_hex(12)
                self._tokens[next_token] = (since, offset + len(page))
            answer = self._page(page, params)
            self.reads += len(page)  # X bills each Post a read returns
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if next_token:
            meta["next_token"] = next_token
        answer["meta"] = meta
        _json(handler, 200, answer)

    def _page(self, page: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
        """The page's tweets with the fields asked for, and the includes it references."""
        expansions = _csv(params.get("expansions"))
        tweet_fields = DEFAULT_TWEET_FIELDS | _csv(params.get("tweet.fields"))
        tweet_fields |= {EXPANSION_FIELDS[e] for e in expansions if e in EXPANSION_FIELDS}
        user_fields = DEFAULT_USER_FIELDS | _csv(params.get("user.fields"))
        media_fields = DEFAULT_MEDIA_FIELDS | _csv(params.get("media.fields"))
        if not page:
            return {}
        users, media, tweets = {}, {}, {}
        for tweet in page:
            if "author_id" in expansions and tweet.get("author_id") in self._users:
                users[tweet["author_id"]] = _only(self._users[tweet["author_id"]], user_fields)
            if "attachments.media_keys" in expansions:
                for key in tweet.get("attachments", {}).get("media_keys", []):
                    if key in self._media:
                        media[key] = _only(self._media[key], media_fields)
            if "referenced_tweets.id" in expansions:
                for ref in tweet.get("referenced_tweets", []):
                    if ref["id"] in self._tweets:
                        tweets[ref["id"]] = _only(self._tweets[ref["id"]], tweet_fields)
        answer: dict[str, Any] = {"data": [_only(t, tweet_fields) for t in page]}
        includes = {"users": users, "media": media, "tweets": tweets}
        included = {kind: list(objects.values()) for kind, objects in includes.items() if objects}
        if included:
            answer["includes"] = included
        return answer

    def _create_tweet(self, handler: BaseHTTPRequestHandler, request: RecordedRequest):
        if not self._oauth_valid(handler, request):
            return _problem(handler, 401)
        body = request.json if isinstance(request.json, dict) else {}
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return _problem(handler, 400, "text is required")
        if parse_tweet(text).weightedLength > 280:
            return _problem(handler, 400, "Your Tweet text is too long.")
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        with self._lock:
            if any(p["text"] == text for p in self.posted):
                return _problem(handler, 403, DUPLICATE)
        tweet_id = self.new_tweet_id()
        data = {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}
        with self._lock:
            self.posted.append({**data, "in_reply_to_tweet_id": reply_to})
            self._tweets[tweet_id] = {**data, "author_id": self.user_id}
        _json(handler, 201, {"data": data})

    def _oauth_valid(self, handler: BaseHTTPRequestHandler, request: RecordedRequest) -> bool:
        header = handler.headers.get("Authorization", "")
        if not header.startswith("OAuth "):
            return False
        try:
            oauth = {k: unescape(v) for k, v in parse_authorization_header(header)}
        except ValueError:
            return False
        if (
            oauth.get("oauth_consumer_key") != self.consumer_key
            or oauth.get("oauth_token") != self.access_token
            or oauth.get("oauth_signature_method") != "HMAC-SHA1"
        ):
            return False
        query = urlsplit(handler.path).query
        signed = SimpleNamespace(
            uri=f"http://{handler.headers['Host']}{request.path}",
            http_method=request.method,
            params=oauth_signature.collect_parameters(
                uri_query=query, headers={"Authorization": header}, exclude_oauth_signature=True
            ),
            signature=oauth.get("oauth_signature", ""),
        )
        return oauth_signature.verify_hmac_sha1(
            signed, self.consumer_secret, self.access_token_secret
        )


def _csv(value: str | None) -> set[str]:
    return {part for part in (value or "").split(",") if part}


def _only(obj: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if key in names}


def _json(handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
    _send(handler, status, json.dumps(payload).encode(), "application/json; charset=utf-8", {})


def _problem(handler: BaseHTTPRequestHandler, status: int, detail: str | None = None) -> None:
    problem = dict(PROBLEMS.get(status, PROBLEMS[500]), status=status)
    if detail:
        problem["detail"] = detail
    _send(handler, status, json.dumps(problem).encode(), "application/problem+json", {})


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("x-response-time", "6")
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)
