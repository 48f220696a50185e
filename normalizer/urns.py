"""Contact URNs: one spelling per citizen, whatever the channel wrote.

``tel:`` numbers are E.164 (phonenumbers, default region Indonesia), so 0812..., 62812... and
+62812... are one contact; ``twitter:`` uses the stable numeric user id, never the handle.
"""

from __future__ import annotations

import phonenumbers


class InvalidContact(ValueError):
    """A phone number or address that cannot be a contact."""


def tel_urn(number: str, region: str = "ID") -> str:
    """``tel:+62...`` for a number written any common way; raises InvalidContact."""
    candidate = number.strip()
    if candidate.startswith("tel:"):
        candidate = candidate[4:]
    digits = candidate.lstrip("+")
    # "62812..." without the plus is how many Indonesian systems store numbers.
    if region == "ID" and digits.startswith("62") and not candidate.startswith("+"):
        candidate = "+" + digits
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidContact(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidContact("not a possible phone number")
    return "tel:" + phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def twitter_urn(user_id: str) -> str:
    if not user_id.isdigit():
        raise InvalidContact("twitter user ids are numeric strings")
    return f"twitter:{user_id}"


def mailto_urn(address: str) -> str:
    address = address.strip()
    local, _, domain = address.partition("@")
    if not local or "." not in domain or any(ch.isspace() for ch in address) or len(address) > 254:
        raise InvalidContact("not an email address")
    return f"mailto:{local}@{domain.lower()}"


def contact_urn(value: str, region: str = "ID") -> str:
    """A URN for what a citizen typed in a form's contact field: an email or a phone number."""
    if "@" in value:
        return mailto_urn(value)
    return tel_urn(value, region)


def redact_urn(urn: str) -> str:
    """A form safe for logs: the scheme and the last two characters only."""
    scheme, _, path = urn.partition(":")
    if not path:
        return "***"
    return f"{scheme}:***{path[-2:]}"
