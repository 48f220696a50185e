"""One-click unsubscribe links: the address, signed with SATUPINTU_SECRET_KEY, no login.

A link never expires (an old email's link must still work) and names no case: it stops
every update to that address. itsdangerous is Flask's own signing library.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "satupintu.unsubscribe.v1"
PATH = "/unsubscribe/"


def _signer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def unsubscribe_token(secret_key: str, address: str) -> str:
    """The signed token for ``address`` (a mailto: or tel: URN)."""
    return _signer(secret_key).dumps(address)


def read_token(secret_key: str, token: str) -> str | None:
    """The address the token was made for; None when it is forged or damaged."""
    try:
        address = _signer(secret_key).loads(token)
    except BadSignature:
        return None
    return address if isinstance(address, str) and ":" in address else None


def unsubscribe_url(public_url: str, secret_key: str, address: str) -> str:
    return public_url.rstrip("/") + PATH + unsubscribe_token(secret_key, address)
