"""Open311 GeoReport v2: a POST requests body (``handler``)."""

from adapters.open311.handler import (
    NAME,
    OTHER_SERVICE,
    Open311Error,
    Open311Errors,
    error,
    parse,
)

__all__ = ["NAME", "OTHER_SERVICE", "Open311Error", "Open311Errors", "error", "parse"]
