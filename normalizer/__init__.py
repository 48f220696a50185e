"""Pure functions, no I/O: provider messages in, one common complaint record out."""

from normalizer.normalize import normalize
from normalizer.records import (
    Channel,
    ComplaintRecord,
    InboundMessage,
    Intent,
    MalformedRecord,
    Media,
    Privacy,
)

__all__ = [
    "Channel",
    "ComplaintRecord",
    "InboundMessage",
    "Intent",
    "MalformedRecord",
    "Media",
    "Privacy",
    "normalize",
]
