"""Which adapter sends replies on which channel, given this process's settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters import twilio_sms, twitter
from adapters.base import Sender

# channel -> factory(settings) returning a Sender, or None when the channel is not configured.
SENDER_FACTORIES: dict[str, Callable[[Any], Sender | None]] = {
    "sms": twilio_sms.sender,
    "whatsapp": twilio_sms.sender,
    "twitter": twitter.sender,
}


def sender_for(channel: str, settings: Any) -> Sender | None:
    factory = SENDER_FACTORIES.get(channel)
    return factory(settings) if factory else None


def warm_up(settings: Any) -> list[str]:
    """Build each configured channel's sender and let it load what its first send would.

    twilio's REST client imports its API package (thousands of modules, seconds of CPU) on
    the first send: a worker does it at start instead of in front of a citizen's reply.
    Returns the channels warmed.
    """
    warmed = []
    for channel, factory in SENDER_FACTORIES.items():
        sender = factory(settings)
        warm = getattr(sender, "warm_up", None)
        if warm is not None:
            warm()
            warmed.append(channel)
    return warmed
