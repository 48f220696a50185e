"""The reason codes a bounce, a rejection or an archiving takes, and what people read for them.

The words are ``reason.<action>.<code>`` in the catalogs (config/data/translations), Bahasa
Indonesia as the LAPOR! lists name them, and English; "other" needs a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from casestore.vocabulary import Action
from config import catalogs

OTHER = "other"
PREFIX = "reason."
CODES: Mapping[Action, tuple[str, ...]] = MappingProxyType(
    {
        Action.BOUNCE: (
            "not_authority",
            "wrong_location",
            "provincial_authority",
            "national_authority",
            OTHER,
        ),
        Action.REJECT: ("not_a_complaint", "insufficient_information", "abusive", "spam", OTHER),
        Action.ARCHIVE: ("withdrawn", "no_response", "handled_elsewhere", OTHER),
    }
)


def reason_label(action: Action | str, reason: str | None, lang: str = "id") -> str:
    """What an operator or citizen reads for a reason code ("" when there is none)."""
    try:
        codes = CODES.get(Action(action), ())
    except ValueError:
        return ""
    if reason not in codes:
        return ""
    return catalogs.text(f"{PREFIX}{Action(action).value}.{reason}", lang)


def labels(action: Action, lang: str = "id") -> dict[str, str]:
    """An action's reason codes and their labels in ``lang``, in the order operators see them."""
    return {code: reason_label(action, code, lang) for code in CODES[action]}


# Code -> Bahasa Indonesia label, the shape RULES and callers have always used.
BOUNCE_REASONS = MappingProxyType(labels(Action.BOUNCE))
REJECT_REASONS = MappingProxyType(labels(Action.REJECT))
ARCHIVE_REASONS = MappingProxyType(labels(Action.ARCHIVE))
