"""Every provider and the channels it carries: one line each, pointing at its folder's ``SPEC``.

Adding a channel (or a provider for one) is a folder ``adapters/<name>/`` ending in a
``SPEC`` and one line in ``LINES``; the gateway builds every provider's webhook routes from
this table and the dispatcher asks it who sends a reply, how long it may be, whether it is
public and which provider codes mean "unsubscribed".

A channel may have several providers (SMS: Kannel for the operators' shortcode, Twilio for
long numbers), each on or off by its own settings. A reply goes out through the provider
the citizen's conversation came in on, while that one can send; else SATUPINTU_SMS_PROVIDER
(for SMS), else the first provider of the channel that is configured, in ``LINES`` order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from adapters import api, desk, email, kannel, open311, twilio_sms, twitter, webform
from adapters.base import ChannelSpec, Sender
from normalizer.records import Channel

log = logging.getLogger(__name__)


class Line(NamedTuple):
    """One registry line: a provider's spec and the channels it carries."""

    spec: ChannelSpec
    channels: tuple[Channel, ...]


LINES: tuple[Line, ...] = (
    Line(twilio_sms.SPEC, (Channel.SMS, Channel.WHATSAPP)),
    Line(kannel.SPEC, (Channel.SMS,)),
    Line(twitter.SPEC, (Channel.TWITTER,)),
    Line(webform.SPEC, (Channel.WEB,)),
    Line(api.SPEC, (Channel.API,)),
    Line(open311.SPEC, (Channel.OPEN311,)),
    Line(email.SPEC, (Channel.EMAIL,)),
    Line(desk.SPEC, (Channel.LOKET, Channel.TELEPON, Channel.SURAT)),
)

# Each provider's spec by its name (Message.provider, InboundMessage.provider).
PROVIDERS: Mapping[str, ChannelSpec] = MappingProxyType(
    {line.spec.name: line.spec for line in LINES}
)
# Each channel's providers, in LINES order.
CHANNEL_PROVIDERS: Mapping[Channel, tuple[ChannelSpec, ...]] = MappingProxyType(
    {
        channel: tuple(line.spec for line in LINES if channel in line.channels)
        for channel in Channel
        if any(channel in line.channels for line in LINES)
    }
)
# Each channel's first provider: whose facts (reply limit, unsubscribed codes) the channel's are.
CHANNELS: Mapping[Channel, ChannelSpec] = MappingProxyType(
    {channel: specs[0] for channel, specs in CHANNEL_PROVIDERS.items()}
)


def _channel(channel: Channel | str) -> Channel | None:
    try:
        return Channel(channel)
    except ValueError:
        return None


def spec_for(channel: Channel | str) -> ChannelSpec | None:
    """The channel's first provider's spec; None for a name no adapter serves."""
    known = _channel(channel)
    return CHANNELS.get(known) if known is not None else None


def providers_for(channel: Channel | str) -> tuple[ChannelSpec, ...]:
    """Every provider of the channel, in LINES order (empty for a name no adapter serves)."""
    known = _channel(channel)
    return CHANNEL_PROVIDERS.get(known, ()) if known is not None else ()


def provider_spec(name: str) -> ChannelSpec | None:
    """A provider's spec by its name ("twilio", "kannel"); None for one we do not have."""
    return PROVIDERS.get(name)


def channels_where(fact: Callable[[ChannelSpec], Any]) -> frozenset[Channel]:
    """The channels one of whose providers has ``fact``, e.g. ``lambda s: s.rate_limited``."""
    return frozenset(
        channel for channel, specs in CHANNEL_PROVIDERS.items() if any(fact(s) for s in specs)
    )


def specs() -> list[ChannelSpec]:
    """Each provider's spec once, in LINES order."""
    return [line.spec for line in LINES]


def _preferred(channel: Channel, settings: Any) -> str:
    if channel is Channel.SMS:
        return getattr(settings, "sms_provider", "") or ""
    return ""


def reply_route(
    channel: Channel | str, settings: Any, provider: str = ""
) -> tuple[str, Sender] | None:
    """(provider name, sender) for a reply on ``channel``, or None: nobody can send it.

    ``provider``: the one the citizen's conversation came in on; it answers while it can
    send. Else the configured preference, else the first provider that is configured.
    """
    known = _channel(channel)
    candidates = providers_for(known) if known is not None else ()
    if not candidates:
        return None
    names = [provider, _preferred(known, settings)] + [spec.name for spec in candidates]
    tried: set[str] = set()
    for name in names:
        spec = next((s for s in candidates if s.name == name), None)
        if spec is None or name in tried or spec.sender is None:
            continue
        tried.add(name)
        sender = spec.sender(settings)
        if sender is not None:
            return spec.name, sender
    return None


def sender_for(channel: Channel | str, settings: Any, provider: str = "") -> Sender | None:
    """The channel's reply sender, or None: not configured, or a channel never answered."""
    route = reply_route(channel, settings, provider)
    return route[1] if route is not None else None


def warm_up(settings: Any) -> list[str]:
    """Build each configured provider's sender and let it load what its first send would.

    twilio's REST client imports its API package (thousands of modules, seconds of CPU) on
    the first send: a worker does it at start instead of in front of a citizen's reply.
    Returns the channels warmed (each once).
    """
    warmed: list[str] = []
    for line in LINES:
        sender = line.spec.sender(settings) if line.spec.sender is not None else None
        warm = getattr(sender, "warm_up", None)
        if warm is not None:
            warm()
            warmed += [c.value for c in line.channels if c.value not in warmed]
    return warmed
