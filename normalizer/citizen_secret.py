"""Citizen secrets: the code that proves a web or API citizen filed a complaint.

A tracking id is shared freely (SMS, printouts); adding information or answering a
resolution needs more. The secret is twelve Crockford base32 characters (60 bits), derived
like the tracking id from the idempotency key with the server secret, so a double submit or
an API repeat shows the same code without the code ever being stored. Records and the case
store carry only its SHA-256 (``citizen_secret_hash``): the code has 60 random bits and
guesses are rate limited, so a slow password hash would add cost and no safety.
"""

from __future__ import annotations

import hashlib
import hmac

from normalizer.tracking import ALPHABET

LENGTH = 12
_DOMAIN = "citizen-secret:"
_DASHES = dict.fromkeys(map(ord, "-\u2010\u2011\u2012\u2013\u2014\u2212"))
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_HEX64 = frozenset("0123456789abcdef")


def derive_citizen_secret(idempotency_key: str, secret: str) -> str:
    """The code shown once to the citizen, as ``XXXX-XXXX-XXXX``."""
    digest = hmac.new(secret.encode(), (_DOMAIN + idempotency_key).encode(), hashlib.sha256)
    number = int.from_bytes(digest.digest()[:8], "big") >> (64 - 5 * LENGTH)
    chars = []
    for _ in range(LENGTH):
        number, index = divmod(number, 32)
        chars.append(ALPHABET[index])
    code = "".join(reversed(chars))
    return "-".join(code[i : i + 4] for i in range(0, LENGTH, 4))


def canonical_secret(typed: str) -> str | None:
    """What a citizen typed, forgiving case, spaces, dashes and O/0, I/1; None if malformed."""
    if len(typed) > 64:
        return None
    compact = "".join(typed.split()).translate(_DASHES).upper().translate(_CONFUSABLES)
    if len(compact) != LENGTH or not all(ch in ALPHABET for ch in compact):
        return None
    return compact


def hash_citizen_secret(typed: str) -> str | None:
    """The SHA-256 (hex) of a code in canonical form, or None when it is not a code at all."""
    canonical = canonical_secret(typed)
    if canonical is None:
        return None
    return hashlib.sha256(canonical.encode()).hexdigest()


def is_secret_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX64


def secret_hash_matches(given: str | None, stored: str | None) -> bool:
    """Constant-time comparison of two hashes; False when either is missing."""
    if not is_secret_hash(given) or not is_secret_hash(stored):
        return False
    return hmac.compare_digest(given, stored)
