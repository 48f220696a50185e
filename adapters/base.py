"""What every adapter shares: the send() contract, its failures, and a channel's spec.

A channel folder (``adapters/<channel>/``) ends in one ``SPEC``: the facts the rest of the
house asks about it (who sends its replies and how long they may be, whether they are public,
which provider codes mean "unsubscribed", its status table, its webhook routes).
``adapters.registry`` lists the specs by ``Channel``; nothing outside the folder keeps a
channel's facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from normalizer.records import InboundMessage, OutboundMessage, SendResult

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from config import Settings


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


class SignatureMismatch(Exception):
    """A webhook's signature is missing or wrong, or there is no secret to check it with."""

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider} signature {reason}")
        self.reason = reason  # missing | invalid | not_configured


class MalformedRequest(ValueError):
    """A request the provider would not send; the message names the field, never its value."""


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery receipt: which reply (the external id its sender stored), how far it
    got (our status, None when the provider's is not in the status table), the provider's
    own status and, for a failure, the error code the reply keeps."""

    external_id: str
    status: str | None
    provider_status: str
    error_code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class WebhookResult:
    """What one provider callback brought, and what to answer once it is durably submitted.

    ``messages`` are normalized and submitted, ``receipts`` (delivery status callbacks) are
    queued for the notify workers, ``ignored`` counts what was passed over, by kind.
    ``event_ids``: the provider's own ids for this delivery (X's event_uuid); a body whose
    ids were all seen before is a second delivery, answered without submitting anything.
    ``body`` is text (with ``mimetype``) or a JSON object.
    """

    messages: tuple[InboundMessage, ...] = ()
    receipts: tuple[Mapping[str, Any], ...] = ()
    ignored: Counter[str] = field(default_factory=Counter)
    event_ids: tuple[str, ...] = ()
    body: str | dict[str, Any] = ""
    status: int = 200
    mimetype: str = "text/plain"


@dataclass(frozen=True)
class Webhook:
    """One URL a provider calls; the gateway's one view verifies, then calls ``handle``."""

    path: str  # the whole path, e.g. /webhooks/twilio/sms
    method: str
    endpoint: str  # the Flask endpoint name under the webhooks blueprint
    handle: Callable[[Request, Settings], WebhookResult]
    signed: bool = True  # False: answered without a signature check (X's CRC challenge)


def _never(_settings: Any) -> bool:
    return False


@dataclass(frozen=True)
class ChannelSpec:
    """One channel's facts, as ``adapters.registry`` lists them.

    ``sender(settings)`` builds the reply sender (None while the channel is not configured);
    a channel without one is never answered by the gateway (its citizens read the tracking
    page). Every reply fits two SMS; ``reply_fits`` adds the channel's own limit.
    ``public_replies``: anyone can read the replies (a reply tweet). ``unsubscribed_codes``:
    provider error codes that mean the citizen opted out with the provider.
    ``status_table``: provider status -> our outbound status. ``rate_limited``: its senders
    are held to SATUPINTU_SMS_RATE_LIMIT. ``raw_is_ours``: the record's raw payload is built
    by our own gateway code, never copied from a provider, so only there may it carry the
    hash of a citizen's secret code. Webhooks: ``webhooks`` are
    served while ``webhook_enabled(settings)``, bodies up to ``max_body_bytes``, each signed
    one checked by ``verify(request, settings)``; ``signature_shadow(settings)`` counts and
    logs a mismatch instead of refusing it.
    """

    name: str
    sender: Callable[[Settings], Sender | None] | None = None
    reply_fits: Callable[[str], bool] | None = None
    public_replies: bool = False
    unsubscribed_codes: frozenset[str] = frozenset()
    status_table: Mapping[str, str] = field(default_factory=dict)
    rate_limited: bool = False
    raw_is_ours: bool = False
    webhooks: tuple[Webhook, ...] = ()
    webhook_enabled: Callable[[Settings], bool] = _never
    verify: Callable[[Request, Settings], None] | None = None
    signature_shadow: Callable[[Settings], bool] = _never
    max_body_bytes: int = 64 * 1024

    @property
    def answers_citizens(self) -> bool:
        """Whether the gateway replies on this channel by itself (it has a sender)."""
        return self.sender is not None
