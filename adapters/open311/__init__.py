"""Open311 GeoReport v2: a POST requests body (``handler``)."""

from adapters.base import ChannelSpec
from adapters.open311.handler import (
    NAME,
    OTHER_SERVICE,
    Open311Error,
    Open311Errors,
    error,
    parse,
)

__all__ = ["NAME", "OTHER_SERVICE", "SPEC", "Open311Error", "Open311Errors", "error", "parse"]

# Submitted through our own pages and API (gateway/), answered on the tracking page: no
# sender, no webhook; the raw payload is ours, so it may carry the citizen secret's hash.
SPEC = ChannelSpec(name=NAME, raw_is_ours=True)
