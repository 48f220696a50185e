"""What the form, the JSON API and Open311 share after parsing: secret, files, submit, limits.

``accept()`` turns a checked InboundMessage into a durable queued record, attaching the
citizen-secret hash (new complaints) and the stored files; the views stay thin.
``same_body_as_before()`` keeps a submission key (form) or Idempotency-Key (API, Open311)
to the body it first came with: a repeat is the same submission, another body is refused.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import redis
from flask import current_app, request

from adapters.attachments import Upload, store_uploads
from adapters.fields import IntakeRules, ServiceArea
from dispatcher.submit import Submitted, submit
from gateway import ratelimit
from gateway.context import runtime
from normalizer import normalize
from normalizer.citizen_secret import derive_citizen_secret, hash_citizen_secret
from normalizer.records import InboundMessage, Intent


@dataclass(frozen=True)
class Accepted:
    tracking_id: str
    citizen_secret: str | None  # shown once to the citizen; None for follow-ups
    outcome: Submitted

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
    return Accepted(tracking_id=record.tracking_id, citizen_secret=secret, outcome=outcome)


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


def within_limit(submission: str, *, partner: str | None = None) -> bool:
    """Count this submission for its client; False when the client is over its limit."""
    rt = runtime()
    s = rt.settings
    if partner is not None:
        scope, client, limit = "partner", partner, s.partner_rate_limit
    else:
        scope, client, limit = "citizen", client_address(), s.submit_rate_limit
    return ratelimit.allow(
        rt.redis,
        scope=scope,
        client=client,
        submission=submission,
        limit=limit,
        window_seconds=s.rate_limit_window_seconds,
    )


SECRET_FAILURE_LIMIT = 10


def secret_guessing_blocked() -> bool:
    s = runtime().settings
    return ratelimit.too_many_failures(
        runtime().redis,
        scope="secret",
        client=client_address(),
        limit=SECRET_FAILURE_LIMIT,
        window_seconds=s.rate_limit_window_seconds,
    )


def count_secret_failure() -> None:
    ratelimit.record_failure(
        runtime().redis,
        scope="secret",
        client=client_address(),
        window_seconds=runtime().settings.rate_limit_window_seconds,
    )
