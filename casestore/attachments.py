"""Attachment rows: the files citizens sent with a complaint, for operators' eyes only.

The files themselves are written at intake by ``adapters.attachments``; the store job adds a
row per file here, in its own transaction. ``adapters.attachments.resolve`` turns a row's
``path`` into a file path safely.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.models import Attachment, Complaint


class FileSpec(Protocol):
    sha256: str
    filename: str
    content_type: str
    size: int

    @property
    def path(self) -> str: ...


def add_attachments(session: Session, complaint: Complaint, files: Iterable[FileSpec]) -> int:
    """One row per file for ``complaint``; the same file twice on one case is kept once."""
    existing = set(
        session.scalars(select(Attachment.sha256).where(Attachment.complaint_id == complaint.id))
    )
    added = 0
    for spec in files:
        if spec.sha256 in existing:
            continue
        existing.add(spec.sha256)
        session.add(
            Attachment(
                complaint_id=complaint.id,
                filename=spec.filename,
                content_type=spec.content_type,
                size=spec.size,
                sha256=spec.sha256,
                path=spec.path,
            )
        )
        added += 1
    return added


def attachments_of(session: Session, complaint_id: int) -> list[Attachment]:
    """A complaint's attachments in the order they arrived."""
    return list(
        session.scalars(
            select(Attachment)
            .where(Attachment.complaint_id == complaint_id)
            .order_by(Attachment.id)
        )
    )


def attachment(session: Session, complaint_id: int, attachment_id: int) -> Attachment | None:
    """One attachment, only if it belongs to that complaint (a console URL names both)."""
    return session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.complaint_id == complaint_id
        )
    )
