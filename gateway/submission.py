"""What the form, the JSON API and Open311 share after parsing: secret, files, submit, limits.

``accept()`` turns a checked InboundMessage into a durable queued record, attaching the
citizen-secret hash (new complaints) and the stored files; the views stay thin.
``same_body_as_before()`` keeps a submission key (form) or Idempotency-Key (API, Open311)
to the body it first came with: a repeat is the same submission, another body is refused.
"""

from __future__ import annotations

import dataclasses
import hmac
import re
import secrets
from dataclasses import dataclass

import redis
from flask import current_app, request, session

from adapters.attachments import Upload, store_uploads
from adapters.fields import IntakeRules, ServiceArea
from dispatcher.address_replies import updates_route
from dispatcher.submit import Submitted, submit
from gateway import ratelimit
from gateway.context import runtime
from normalizer import normalize
from normalizer.citizen_secret import derive_citizen_secret, hash_citizen_secret
from normalizer.records import InboundMessage, Intent

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Accepted:
    tracking_id: str
    citizen_secret: str | None  # shown once to the citizen; None for follow-ups
    outcome: Submitted
    # How updates reach what the citizen typed (dispatcher.address_replies.updates_route).
    updates: str = ""

    @property
    def repeated(self) -> bool:
        return self.outcome is Submitted.DUPLICATE


def intake_rules() -> IntakeRules:
    """The checks' reference data, built once per app."""
    rules = current_app.extensions.get("satupintu.intake_rules")
    if rules is None:
        rt = runtime()
        rules = IntakeRules.build(
            rt.places,
            rt.categories,
            area=ServiceArea.parse(rt.settings.service_area),
            max_description_chars=rt.settings.max_description_chars,
            region=rt.settings.default_region,
        )
        current_app.extensions["satupintu.intake_rules"] = rules
    return rules


def accept(
    inbound: InboundMessage, *, uploads: list[Upload] | None = None, with_secret: bool = True
) -> Accepted:
    """Store the files, then queue the record (or spool it); returns once it is durable."""
    rt = runtime()
    secret = None
    raw = dict(inbound.raw)
    if with_secret and inbound.declared.get("intent", Intent.NEW) == Intent.NEW:
        secret = derive_citizen_secret(inbound.idempotency_key, rt.settings.secret_key)
        raw["citizen_secret_hash"] = hash_citizen_secret(secret)
    media = store_uploads(uploads, rt.settings.data_dir) if uploads else ()
    inbound = dataclasses.replace(inbound, raw=raw, media=inbound.media + media)
    record = normalize(inbound, rt.rules)
    outcome = submit(record, rt.redis, rt.spool)
    return Accepted(
        tracking_id=record.tracking_id,
        citizen_secret=secret,
        outcome=outcome,
        updates=updates_route(record.update_address, rt.settings),
    )


# How long a key remembers its body: longer than any client retries (and the seen key's 2 days).
FINGERPRINT_TTL_SECONDS = 7 * 24 * 3600


def same_body_as_before(inbound: InboundMessage, fingerprint: str) -> bool:
    """Remember the body sent with this message's key; False when it came with another body.

    The key is the message's idempotency key (``api:<key>``, ``web:<key>``, ``open311:...``),
    so the answer ``accept()`` gives a repeat is only ever given for the same body.
    """
    key = f"satupintu:idempotency:{inbound.idempotency_key}"
    connection = runtime().redis
    try:
        if connection.set(key, fingerprint, nx=True, ex=FINGERPRINT_TTL_SECONDS):
            return True
        earlier = connection.get(key)
    except redis.RedisError:
        return True  # the record spools; the store still keeps one case per key
    return earlier is None or earlier.decode() == fingerprint


def client_address() -> str:
    """The client as the rate limits see it (the proxy's ProxyFix decides what this is)."""
    return request.remote_addr or "unknown"


def browser_token() -> str:
    """This browser's own random token, kept in its signed session cookie.

    Set when a form is shown (the form's CSRF token needs the session anyway), so the per
    browser limit sees each citizen behind a shared address as themself.
    """
    token = session.get("browser")
    if not isinstance(token, str):
        token = session["browser"] = secrets.token_urlsafe(18)
    return token


def text_fingerprint(inbound: InboundMessage) -> str:
    """What stays the same when one complaint is resubmitted: its words, contact and case.

    Keyed with the server secret, so the Redis key tells nothing about the text.
    """
    words = " ".join(_WORDS.findall(inbound.text.casefold()))
    target = str(inbound.declared.get("target_tracking_id", ""))
    material = "\x00".join((words, inbound.sender, target)).encode()
    return hmac.new(runtime().settings.secret_key.encode(), material, "sha256").hexdigest()


def over_limit(
    inbound: InboundMessage, *, partner: str | None = None, browser: str | None = None
) -> ratelimit.Refusal | None:
    """Count this submission under its limits; the refusal when one of them is full.

    A partner is counted by its key alone (it answers for what it sends); a citizen by
    address, text and contact, and, on the form, browser.
    """
    rt = runtime()
    s = rt.settings
    if partner is not None:
        limits = [ratelimit.Limit("partner", partner, s.partner_rate_limit)]
    else:
        limits = [
            ratelimit.Limit("citizen", client_address(), s.submit_rate_limit),
            ratelimit.Limit("text", text_fingerprint(inbound), s.submit_rate_limit_same_text),
        ]
        if browser is not None:
            limits.append(ratelimit.Limit("browser", browser, s.submit_rate_limit_per_browser))
    return ratelimit.admit(
        rt.redis,
        submission=inbound.external_id,
        limits=limits,
        window_seconds=s.rate_limit_window_seconds,
    )


def _secret_failure_counts(tracking_id: str) -> list[tuple[str, str, int]]:
    """Wrong codes are counted per case, and per address under a high ceiling."""
    s = runtime().settings
    return [
        ("secret-case", tracking_id, s.secret_code_max_failures),
        ("secret-address", client_address(), s.secret_code_max_failures_per_ip),
    ]


def secret_guessing_wait(tracking_id: str) -> int:
    """Seconds until codes for this case may be tried again from here (0: now)."""
    rt = runtime()
    return max(
        ratelimit.failure_wait(
            rt.redis,
            scope=scope,
            client=client,
            limit=limit,
            window_seconds=rt.settings.rate_limit_window_seconds,
        )
        for scope, client, limit in _secret_failure_counts(tracking_id)
    )


def count_secret_failure(tracking_id: str) -> None:
    rt = runtime()
    for scope, client, _ in _secret_failure_counts(tracking_id):
        ratelimit.record_failure(
            rt.redis,
            scope=scope,
            client=client,
            window_seconds=rt.settings.rate_limit_window_seconds,
        )
