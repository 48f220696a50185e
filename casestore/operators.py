"""Operator accounts: creating, finding, disabling them, and checking their passwords.

Passwords are hashed with argon2id (argon2-cffi, RFC 9106 parameters): memory-hard, salted,
and the hash string carries its own parameters, so raising them later rehashes each account
at its next login. Functions take the caller's session and never commit.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casestore.models import Operator, Unit

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256  # argon2 takes any length; a cap keeps a hostile login cheap
FIRST_COORDINATOR = "koordinator"

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Role(StrEnum):
    COORDINATOR = "coordinator"  # Admin Koordinator: every case, the monitor, every action
    UNIT = "unit"  # a kecamatan's or agency's admin: only the cases their unit owns


class OperatorError(ValueError):
    """An account request that cannot be done; the message says why (for the CLI)."""


@dataclass(frozen=True)
class LoginCheck:
    operator: Operator | None
    ok: bool


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is not acceptable as a new password, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"at least {MIN_PASSWORD_CHARS} characters"
    if len(password) > MAX_PASSWORD_CHARS:
        return f"at most {MAX_PASSWORD_CHARS} characters"
    if username and username.lower() in password.lower():
        return "must not contain the username"
    return None


def generate_password() -> str:
    """A one-time password that survives being read aloud or copied from a terminal."""
    return secrets.token_urlsafe(12)


def normalize_username(username: str) -> str:
    return username.strip().lower()


def operator_by_username(session: Session, username: str) -> Operator | None:
    return session.scalar(select(Operator).where(Operator.username == normalize_username(username)))


def list_operators(session: Session) -> list[Operator]:
    return list(session.scalars(select(Operator).order_by(Operator.role, Operator.username)))


def count_operators(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Operator)) or 0


def create_operator(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    unit_code: str | None = None,
    display_name: str = "",
    must_change_password: bool = False,
) -> Operator:
    """A new active operator; raises OperatorError for a bad name, role, unit or password."""
    username = normalize_username(username)
    if not USERNAME.match(username):
        raise OperatorError("username: 3-80 characters, lowercase letters, digits, '.', '_' or '-'")
    try:
        role = Role(role)
    except ValueError as exc:
        raise OperatorError("role must be coordinator or unit") from exc
    if role is Role.UNIT:
        unit = session.get(Unit, unit_code) if unit_code else None
        if unit is None or not unit.active:
            raise OperatorError(f"unit operators need an active unit (--unit), not {unit_code!r}")
        if unit.kind == "coordinator":
            raise OperatorError("the coordinator's unit takes coordinator operators")
    elif unit_code:
        raise OperatorError("coordinators see every unit; leave --unit out")
    problem = password_problem(password, username)
    if problem:
        raise OperatorError(f"password: {problem}")
    if operator_by_username(session, username) is not None:
        raise OperatorError(f"operator {username!r} exists already")
    operator = Operator(
        username=username,
        display_name=display_name.strip()[:200],
        password_hash=hash_password(password),
        role=role.value,
        unit_code=unit_code if role is Role.UNIT else None,
        active=True,
        must_change_password=must_change_password,
    )
    session.add(operator)
    return operator


def end_sessions(operator: Operator) -> None:
    """Every console session of ``operator`` ends: their session ids carry the old epoch."""
    operator.session_epoch = (operator.session_epoch or 0) + 1


def set_active(session: Session, username: str, active: bool) -> Operator:
    """Disable or enable an account; disabling ends its sessions for good (enabling again
    does not bring a saved cookie back)."""
    operator = operator_by_username(session, username)
    if operator is None:
        raise OperatorError(f"no operator {username!r}")
    if not active:
        end_sessions(operator)
    operator.active = active
    return operator


def set_password(operator: Operator, password: str, *, must_change: bool = False) -> None:
    """Replace the password and end the operator's sessions; raises OperatorError when it
    is too weak."""
    problem = password_problem(password, operator.username)
    if problem:
        raise OperatorError(f"password: {problem}")
    operator.password_hash = hash_password(password)
    operator.must_change_password = must_change
    end_sessions(operator)


def check_password(operator: Operator, password: str) -> bool:
    try:
        ok = _hasher.verify(operator.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if ok and _hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = hash_password(password)
    return ok


def check_login(session: Session, username: str, password: str, now: datetime) -> LoginCheck:
    """The operator if the name and password match an active account; constant-ish time."""
    operator = operator_by_username(session, username)
    if operator is None or len(password) > MAX_PASSWORD_CHARS:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password[:MAX_PASSWORD_CHARS])
        return LoginCheck(operator=None, ok=False)
    if not check_password(operator, password) or not operator.active:
        return LoginCheck(operator=operator, ok=False)
    operator.last_login_at = now
    return LoginCheck(operator=operator, ok=True)


def ensure_first_coordinator(session: Session) -> str | None:
    """On a store with no operators at all, create ``koordinator`` with a one-time password.

    Returns that password (to print once) or None when any operator exists.
    """
    if count_operators(session):
        return None
    password = generate_password()
    create_operator(
        session,
        username=FIRST_COORDINATOR,
        password=password,
        role=Role.COORDINATOR,
        display_name="Admin Koordinator",
        must_change_password=True,
    )
    return password
