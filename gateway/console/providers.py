"""The monitor's channel rows as operators know them: each channel and, for SMS, each
provider (Kannel on the operators' shortcode, Twilio for long numbers), what turns it on,
and the signature failures counted against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import current_app

from dispatcher.abuse import signature_failures
from gateway.context import runtime
from normalizer.records import DESK_CHANNELS, Channel


@dataclass(frozen=True)
class Provider:
    """A channel as an operator knows it: who carries it, and what turns it on."""

    channel: Channel
    name: str
    turn_on: str
    key: str = ""  # its adapters.registry provider, when the row is one provider's


# Every channel the gateway has, in the monitor's order; each row is shown, on or off.
PROVIDERS = (
    Provider(
        Channel.SMS,
        "Twilio SMS",
        "SATUPINTU_TWILIO_ACCOUNT_SID, SATUPINTU_TWILIO_AUTH_TOKEN, SATUPINTU_TWILIO_FROM",
        key="twilio",
    ),
    Provider(
        Channel.SMS,
        "Kannel SMS (SMPP)",
        "SATUPINTU_KANNEL_SECRET, SATUPINTU_KANNEL_SENDSMS_URL, "
        "SATUPINTU_KANNEL_SENDSMS_USERNAME, SATUPINTU_KANNEL_SENDSMS_PASSWORD",
        key="kannel",
    ),
    Provider(
        Channel.WHATSAPP,
        "Twilio WhatsApp",
        "SATUPINTU_TWILIO_ACCOUNT_SID, SATUPINTU_TWILIO_AUTH_TOKEN, SATUPINTU_TWILIO_FROM",
    ),
    Provider(
        Channel.TWITTER,
        "Twitter/X",
        "SATUPINTU_TWITTER_USER_ID + SATUPINTU_TWITTER_BEARER_TOKEN (polling) / "
        "SATUPINTU_TWITTER_USER_ID + SATUPINTU_TWITTER_CONSUMER_SECRET (webhook)",
    ),
    Provider(Channel.WEB, "Formulir web / web form", ""),
    Provider(Channel.API, "JSON API /api/v1", ""),
    Provider(Channel.OPEN311, "Open311 GeoReport v2", ""),
    # Filed by an operator for the citizen (issue 19): on wherever the console is.
    Provider(Channel.LOKET, "Loket (datang langsung) / walk-in desk", ""),
    Provider(Channel.TELEPON, "Telepon / telephone", ""),
    Provider(Channel.SURAT, "Surat / letter", ""),
)


def channel_switches() -> dict[str, bool]:
    """Which channels take messages in this deployment (each is on once configured)."""
    app, settings = current_app, runtime().settings
    return {
        Channel.WEB.value: "public" in app.blueprints,
        Channel.SMS.value: settings.twilio_enabled,
        # The same Twilio account and webhook carry WhatsApp (adapters/twilio_sms.py).
        Channel.WHATSAPP.value: settings.twilio_enabled,
        Channel.TWITTER.value: settings.twitter_polling or settings.twitter_webhook,
        Channel.API.value: "api" in app.blueprints,
        Channel.OPEN311.value: "open311" in app.blueprints,
        **{channel.value: "console" in app.blueprints for channel in DESK_CHANNELS},
    }


def signature_failures_by_provider(connection: redis.Redis) -> dict[str, int] | None:
    """Per provider, requests whose signature (Kannel: secret) did not verify (refused, or
    let in by Twilio's shadow mode)."""
    try:
        counts = signature_failures(connection)
    except redis.RedisError:
        return None
    totals: dict[str, int] = {}
    for key, count in counts.items():
        provider = key.partition(":")[0]
        totals[provider] = totals.get(provider, 0) + count
    return totals


def failures_of(provider: Provider, failures: dict[str, int] | None) -> int | None:
    """A row's signature failures: SMS rows' by their provider (Twilio's carries WhatsApp)."""
    if failures is None or provider.channel is not Channel.SMS:
        return None
    return failures.get(provider.key or "twilio", 0)
