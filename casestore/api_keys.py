"""Partner API keys: created once and shown once, kept as a prefix plus a SHA-256.

A key is ``sp_<12 hex prefix>_<43 random characters>`` (256 random bits). The prefix finds
the row; the hash proves the rest. With that much entropy a plain SHA-256 cannot be reversed
by guessing, so a slow password hash (scrypt) would only add tens of milliseconds to every
partner request and no safety; slow hashes are for secrets people choose.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.models import ApiKey, Unit, utcnow

KEY_FORMAT = re.compile(r"^sp_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")
# last_used_at is a hint for operators; writing it on every request would cost a write each.
LAST_USED_GRANULARITY = timedelta(minutes=5)


class UnknownUnit(ValueError):
    """The unit named for a key does not exist or is inactive."""


@dataclass(frozen=True)
class NewKey:
    prefix: str
    key: str  # shown once, never stored


@dataclass(frozen=True)
class Partner:
    """Who a valid key belongs to."""

    key_id: int
    prefix: str
    name: str
    unit_code: str | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, name: str, unit_code: str | None = None) -> NewKey:
    """A new key for ``name`` (scoped to ``unit_code``'s cases when given)."""
    if unit_code is not None:
        unit = session.get(Unit, unit_code)
        if unit is None or not unit.active:
            raise UnknownUnit(unit_code)
    prefix = secrets.token_hex(6)
    key = f"sp_{prefix}_{secrets.token_urlsafe(32)}"
    session.add(ApiKey(name=name, prefix=prefix, key_hash=hash_key(key), unit_code=unit_code))
    session.flush()
    return NewKey(prefix=prefix, key=key)


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def revoke_key(session: Session, prefix: str) -> ApiKey | None:
    """Revoke the key with ``prefix``; None when there is none. Revoking twice is harmless."""
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is not None and key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def authenticate(session: Session, presented: str) -> Partner | None:
    """The partner a presented key belongs to, or None (unknown, malformed or revoked)."""
    match = KEY_FORMAT.match(presented)
    if match is None:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == match.group(1)))
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, hash_key(presented)):
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_GRANULARITY:
        row.last_used_at = now
    return Partner(key_id=row.id, prefix=row.prefix, name=row.name, unit_code=row.unit_code)
