"""JSON API: the request bodies of ``/api/v1`` (``handler``)."""

from adapters.api.handler import (
    IDEMPOTENCY_KEY,
    NAME,
    CitizenMessage,
    FieldError,
    InvalidRequest,
    external_id,
    field_error,
    parse_complaint,
    parse_message,
)
from adapters.base import ChannelSpec

__all__ = [
    "IDEMPOTENCY_KEY",
    "NAME",
    "CitizenMessage",
    "FieldError",
    "InvalidRequest",
    "external_id",
    "field_error",
    "parse_complaint",
    "parse_message",
]

# Submitted through our own pages and API (gateway/), answered on the tracking page: no
# sender, no webhook; the raw payload is ours, so it may carry the citizen secret's hash.
SPEC = ChannelSpec(name=NAME, raw_is_ours=True)
