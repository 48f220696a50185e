"""Why the lifecycle refused an action: one code per reason, with its parameters.

The words live in the catalogs (``lifecycle.<code>`` in config/data/translations), so each
edge says it in its own language: the JSON API in English, the console in the operator's
(Bahasa Indonesia first). ``str()`` of a refusal is its Bahasa Indonesia text, for logs and
for callers that show it as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from config import catalogs

PREFIX = "lifecycle."
FIELD_PREFIX = "lifecycle.field."


class Refusal(StrEnum):
    """One code per refusal; the catalog key is ``lifecycle.<value>``."""

    REFUSED = "refused"  # a caller's own words (TransitionError("...")), not a lifecycle code
    UNKNOWN_ACTION = "unknown_action"  # action
    NO_ACTOR = "no_actor"
    NAIVE_TIME = "naive_time"
    NOT_FROM_STATUS = "not_from_status"  # action, status
    MISSING_FIELD = "missing_field"  # action, fields (a list of field names, translated)
    MESSAGE_NOT_SENT = "message_not_sent"  # action: a message to the reporter it cannot send
    REASON_NOT_USED = "reason_not_used"  # action
    BAD_REASON = "bad_reason"  # reason, known
    OTHER_NEEDS_NOTE = "other_needs_note"
    NO_COORDINATOR = "no_coordinator"
    UNKNOWN_UNIT = "unknown_unit"  # unit
    ALREADY_DISPATCHED = "already_dispatched"
    HELD_BY_COORDINATOR = "held_by_coordinator"
    ANSWER_WINDOW_OVER = "answer_window_over"
    SELF_DUPLICATE = "self_duplicate"
    MASTER_NOT_OPEN = "master_not_open"
    BAD_PRIVACY = "bad_privacy"  # levels
    SAME_PRIVACY = "same_privacy"
    SUGGESTION_NOT_FOUND = "suggestion_not_found"
    SUGGESTION_DECIDED = "suggestion_decided"  # state
    EXTERNAL_OFF = "external_off"  # unit: an external unit without an endpoint
    EXTERNAL_NO_KEY = "external_no_key"  # unit, variable: its connector key is not set
    BOUNCE_LIMIT = "bounce_limit"  # count, limit: SATUPINTU_MAX_BOUNCES reached (issue 19)


class TransitionError(ValueError):
    """The lifecycle does not allow this action now, or a field it needs is missing.

    ``TransitionError(Refusal.UNKNOWN_UNIT, unit="dinas-x")`` carries a code and its
    parameters; ``TransitionError("words")`` (a caller's own, already in the reader's language)
    is kept for the edges that raise their own refusals, with the code ``refused``.
    """

    def __init__(self, code: Refusal | str, /, **params: object) -> None:
        if isinstance(code, Refusal):
            self.code, self.params, self._words = code, params, None
        else:
            self.code, self.params, self._words = Refusal.REFUSED, params, str(code)
        super().__init__(self.message(catalogs.SOURCE_LANGUAGE))

    def message(self, lang: str) -> str:
        """The refusal in ``lang`` (``id`` or ``en``), parameters filled in."""
        if self._words is not None:
            return self._words
        values = {name: _value(name, value, lang) for name, value in self.params.items()}
        return catalogs.text(PREFIX + self.code.value, lang).format_map(values)


def _value(name: str, value: object, lang: str) -> str:
    if name == "fields":  # names of fields, said in the reader's language
        return ", ".join(catalogs.text(FIELD_PREFIX + str(field), lang) for field in value)  # type: ignore[union-attr]
    if isinstance(value, Iterable) and not isinstance(value, str):
        return ", ".join(str(item) for item in value)
    return str(value)
