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
