"""A typed phone's confirmation: the one-time code, and reading "YA 4821" in an SMS.

A web/API/Open311 (or desk) citizen who typed a phone gets one SMS with the tracking id and
a four-digit code; updates go to the number only after an SMS from that very number answers
"YA <code>". The code is derived from a random salt with the server secret (so it is never
stored, not even in the outbox: the SMS is filled in at the send), and checked against a
keyed hash. Four digits are enough: only the number the code was sent to can answer it, and
wrong answers are counted (dispatcher/intake/confirm.py). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable

CODE_LENGTH = 4
# The policy: a code may be answered for a week (a citizen who reads the SMS late), with five
# wrong answers from the number; after either, its updates stay on the tracking page.
CONFIRMATION_DAYS = 7
MAX_ATTEMPTS = 5
CODE_PLACEHOLDER = "{code}"  # in the queued SMS body until the send fills it in
_DOMAIN = "satupintu.address-confirmation.v1:"
# "YA 4821", "ya,4821", "YA4821", "Ya 48 21": the word, then exactly four digits.
_ANSWER = re.compile(rf"^\W*([^\W\d_]+)\W*((?:\d\s?){{{CODE_LENGTH}}})\W*$")


def confirmation_code(secret: str, salt: str) -> str:
    """The code for one confirmation (its ``salt``), as the citizen types it."""
    digest = hmac.new(secret.encode(), (_DOMAIN + "code:" + salt).encode(), hashlib.sha256)
    return str(int.from_bytes(digest.digest()[:8], "big") % 10**CODE_LENGTH).zfill(CODE_LENGTH)


def code_hash(secret: str, address: str, code: str) -> str:
    """The keyed hash kept for ``code`` sent to ``address``."""
    message = f"{_DOMAIN}hash:{address}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def code_matches(secret: str, address: str, code: str, stored: str) -> bool:
    """Constant-time check of an answered code against the stored hash."""
    return hmac.compare_digest(code_hash(secret, address, code), stored)


def read_confirmation(text: str, words: Iterable[str]) -> str | None:
    """The code of an answer like "YA 4821" (the word one of ``words``), else None."""
    folded = unicodedata.normalize("NFKC", text).strip().upper()
    match = _ANSWER.match(folded)
    if match is None or match.group(1) not in {w.upper() for w in words}:
        return None
    return re.sub(r"\s", "", match.group(2))
