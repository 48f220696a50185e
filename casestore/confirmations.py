"""Typed phones' confirmations (issue 18): the one-time code a typed number must answer by
SMS before it is sent lifecycle updates. Rows keep a salt and a keyed hash, never the code
(normalizer/confirmation.py). Confirming writes ``confirmed_at`` and nothing else: the number
never becomes the case's contact. Functions take the caller's session, never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from casestore.claims import insert_unless_exists
from casestore.models import AddressConfirmation, Complaint, utcnow


def open_confirmation(
    session: Session,
    complaint: Complaint,
    *,
    address: str,
    salt: str,
    code_hash: str,
    expires_at: datetime,
) -> AddressConfirmation | None:
    """The complaint's confirmation, written once; None when it has one already."""
    if complaint.id is None:
        session.flush()
    return insert_unless_exists(
        session,
        AddressConfirmation,
        ["complaint_id"],
        {
            "complaint_id": complaint.id,
            "address": address,
            "salt": salt,
            "code_hash": code_hash,
            "attempts": 0,
            "created_at": utcnow(),
            "expires_at": expires_at,
        },
    )


def confirmation_of(session: Session, complaint_id: int | None) -> AddressConfirmation | None:
    """The confirmation opened for ``complaint_id`` (its code's salt), if any."""
    if complaint_id is None:
        return None
    return session.scalar(
        select(AddressConfirmation).where(AddressConfirmation.complaint_id == complaint_id)
    )


def confirmations_for(session: Session, address: str, limit: int = 20) -> list[AddressConfirmation]:
    """The latest confirmations sent to ``address``, newest first, locked for the answer
    (two answers from one number at once count their attempts one after the other)."""
    statement = (
        select(AddressConfirmation)
        .where(AddressConfirmation.address == address)
        .order_by(AddressConfirmation.id.desc())
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return list(session.scalars(statement))


def address_confirmed(session: Session, complaint: Complaint) -> bool:
    """Whether the number typed for ``complaint`` answered its code (so it may get updates)."""
    if complaint.id is None or not complaint.update_address:
        return False
    return bool(
        session.scalar(
            select(
                exists().where(
                    AddressConfirmation.complaint_id == complaint.id,
                    AddressConfirmation.address == complaint.update_address,
                    AddressConfirmation.confirmed_at.is_not(None),
                )
            )
        )
    )
