"""What every adapter shares: the send() contract and its two kinds of failure."""

from __future__ import annotations

from typing import Protocol

from normalizer.records import OutboundMessage, SendResult


class SendError(Exception):
    """A provider refused or failed a send; ``code`` is the provider's error code if any."""

    def __init__(self, reason: str, code: str | None = None) -> None:
        super().__init__(reason)
        self.code = code


class TransientSendError(SendError):
    """Worth retrying later: timeouts, provider 5xx, rate limits."""


class PermanentSendError(SendError):
    """Retrying cannot help: unsubscribed recipient, invalid number, rejected content."""


class Sender(Protocol):
    def send(self, message: OutboundMessage) -> SendResult: ...
