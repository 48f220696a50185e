"""Web form: the citizen form and the tracking page's follow-up form (``handler``)."""

from adapters.base import ChannelSpec
from adapters.webform.handler import (
    NAME,
    FollowUp,
    FormErrors,
    duplicated_fields,
    message,
    parse,
    parse_follow_up,
    submission_fingerprint,
)

__all__ = [
    "NAME",
    "SPEC",
    "FollowUp",
    "FormErrors",
    "duplicated_fields",
    "message",
    "parse",
    "parse_follow_up",
    "submission_fingerprint",
]

# Submitted through our own pages and API (gateway/), answered on the tracking page: no
# sender, no webhook; the raw payload is ours, so it may carry the citizen secret's hash.
SPEC = ChannelSpec(name=NAME, raw_is_ours=True)
