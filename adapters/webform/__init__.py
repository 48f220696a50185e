"""Web form: the citizen form and the tracking page's follow-up form (``handler``)."""

from adapters.webform.handler import (
    NAME,
    FollowUp,
    FormErrors,
    duplicated_fields,
    message,
    parse,
    parse_follow_up,
)

__all__ = [
    "NAME",
    "FollowUp",
    "FormErrors",
    "duplicated_fields",
    "message",
    "parse",
    "parse_follow_up",
]
