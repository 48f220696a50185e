"""Every channel, keyed by ``Channel``: one line each, pointing at its folder's ``SPEC``.

Adding a channel is a folder ``adapters/<channel>/`` ending in a ``SPEC`` and one line here;
the gateway builds its webhook routes from this table and the dispatcher asks it who sends
a channel's replies, how long they may be, whether they are public and which provider codes
mean "unsubscribed".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from adapters import api, email, open311, twilio_sms, twitter, webform
from adapters.base import ChannelSpec, Sender
from normalizer.records import Channel

CHANNELS: Mapping[Channel, ChannelSpec] = MappingProxyType(
    {
        Channel.SMS: twilio_sms.SPEC,
        Channel.WHATSAPP: twilio_sms.SPEC,
        Channel.TWITTER: twitter.SPEC,
        Channel.WEB: webform.SPEC,
        Channel.API: api.SPEC,
        Channel.OPEN311: open311.SPEC,
        Channel.EMAIL: email.SPEC,
    }
)


def spec_for(channel: Channel | str) -> ChannelSpec | None:
    """The channel's spec; None for a name no adapter serves (an old record's channel)."""
    try:
        return CHANNELS.get(Channel(channel))
    except ValueError:
        return None


def channels_where(fact: Callable[[ChannelSpec], Any]) -> frozenset[Channel]:
    """The channels whose spec has ``fact``, e.g. ``channels_where(lambda s: s.rate_limited)``."""
    return frozenset(channel for channel, spec in CHANNELS.items() if fact(spec))


def specs() -> list[ChannelSpec]:
    """Each adapter's spec once (SMS and WhatsApp share Twilio's), in the table's order."""
    return list({spec.name: spec for spec in CHANNELS.values()}.values())


def sender_for(channel: Channel | str, settings: Any) -> Sender | None:
    """The channel's reply sender, or None: not configured, or a channel never answered."""
    spec = spec_for(channel)
    if spec is None or spec.sender is None:
        return None
    return spec.sender(settings)


def warm_up(settings: Any) -> list[str]:
    """Build each configured channel's sender and let it load what its first send would.

    twilio's REST client imports its API package (thousands of modules, seconds of CPU) on
    the first send: a worker does it at start instead of in front of a citizen's reply.
    Returns the channels warmed.
    """
    warmed = []
    for channel in CHANNELS:
        sender = sender_for(channel, settings)
        warm = getattr(sender, "warm_up", None)
        if warm is not None:
            warm()
            warmed.append(channel.value)
    return warmed
