"""Tracking ids: short, typable on a phone keypad, and derived from the idempotency key.

Ten characters of Crockford base32 (50 bits) from an HMAC of the idempotency key with the
server secret: a retried delivery gets the same id, ids are not guessable in sequence, and
the alphabet has no I, L, O or U, so citizens' O/0 and I/1 confusions can be undone.
"""

from __future__ import annotations

import hashlib
import hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10


def derive_tracking_id(idempotency_key: str, secret: str, attempt: int = 0) -> str:
    """The canonical tracking id for ``idempotency_key``; ``attempt`` > 0 only after a clash."""
    message = idempotency_key if attempt == 0 else f"{idempotency_key}#{attempt}"
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") >> (64 - 5 * LENGTH)
    chars = []
    for _ in range(LENGTH):
        number, index = divmod(number, 32)
        chars.append(ALPHABET[index])
    return "".join(reversed(chars))


# Reading ids back from citizens. Phones send full-width forms (U+FF01..U+FF5E) from some
# keyboards, and auto-correct turns a typed hyphen into a dash; both are undone here.
_FULLWIDTH_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_DASHES = dict.fromkeys(map(ord, "-\u2010\u2011\u2012\u2013\u2014\u2212"))
# Crockford's decoding rule: O reads as 0, I and L as 1. U stays invalid (not in the alphabet).
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalize_tracking_id(text: str) -> str | None:
    """The canonical id (10 uppercase characters) for what a citizen typed, or None.

    Case, spaces, hyphens and O/0, I/1, L/1 confusions are forgiven; anything else that is
    not in the alphabet, or a wrong length once cleaned, means "not a tracking id".
    """
    compact = "".join(text.translate(_FULLWIDTH_TO_ASCII).split()).translate(_DASHES)
    candidate = compact.upper().translate(_CONFUSABLES)
    if len(candidate) != LENGTH or not all(ch in ALPHABET for ch in candidate):
        return None
    return candidate


def format_tracking_id(canonical: str) -> str:
    """``ABCDE12345`` -> ``ABCDE-12345``: how ids are shown to citizens and operators."""
    if len(canonical) != LENGTH or not all(ch in ALPHABET for ch in canonical):
        raise ValueError(f"not a canonical tracking id: {canonical!r}")
    half = LENGTH // 2
    return f"{canonical[:half]}-{canonical[half:]}"
