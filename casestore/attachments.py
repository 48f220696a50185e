"""Attachment rows: the files citizens sent with a complaint, for operators' eyes only.

The files themselves are written at intake by ``adapters.attachments`` (web uploads) or by
the media job (``dispatcher.media``: provider media fetched on receipt); a row per file is
added here. ``adapters.attachments.resolve`` turns a row's ``path`` into a file path safely.
A provider file's way in is a ``MediaDownload`` row: pending, stored or failed, with the
provider URL kept as provenance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.claims import insert_unless_exists
from casestore.models import Attachment, Complaint, MediaDownload, Message
from casestore.vocabulary import Direction, DownloadState


class FileSpec(Protocol):
    sha256: str
    filename: str
    content_type: str
    size: int

    @property
    def path(self) -> str: ...


def add_attachments(
    session: Session, complaint: Complaint, files: Iterable[FileSpec], source_url: str | None = None
) -> int:
    """One row per file for ``complaint``; the same file twice on one case is kept once.
    ``source_url``: where a provider's file came from (provenance)."""
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
                source_url=source_url,
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


# --- provider media on their way in ---------------------------------------------------------


def queue_downloads(
    session: Session, idempotency_key: str, media: Sequence[tuple[str, str]]
) -> list[MediaDownload]:
    """A pending download per (url, claimed type) of one inbound message, once each (a
    retried store job finds them); returns the message's downloads in order."""
    for position, (url, claimed) in enumerate(media):
        insert_unless_exists(
            session,
            MediaDownload,
            ["idempotency_key", "position"],
            {
                "idempotency_key": idempotency_key,
                "position": position,
                "source_url": url,
                "claimed_type": claimed[:100],
                "state": DownloadState.PENDING,
                "attempts": 0,
            },
        )
    return downloads_for(session, idempotency_key)


def downloads_for(session: Session, idempotency_key: str) -> list[MediaDownload]:
    """One inbound message's downloads, by position."""
    return list(
        session.scalars(
            select(MediaDownload)
            .where(MediaDownload.idempotency_key == idempotency_key)
            .order_by(MediaDownload.position)
        )
    )


def case_of_message(session: Session, channel: str, external_id: str) -> Complaint | None:
    """The case an inbound message was filed under (None: not stored, or held for now)."""
    message = session.scalar(
        select(Message).where(
            Message.direction == Direction.IN,
            Message.channel == channel,
            Message.external_id == external_id,
        )
    )
    return message.complaint if message is not None else None


def record_download_stored(
    session: Session, download: MediaDownload, complaint: Complaint | None, file: FileSpec
) -> None:
    """The file is in our store; with its case known, the case gets an attachment row."""
    download.state, download.error = DownloadState.STORED, None
    if complaint is None:
        return
    download.complaint_id = complaint.id
    add_attachments(session, complaint, [file], source_url=download.source_url)
    session.flush()
    download.attachment_id = session.scalar(
        select(Attachment.id).where(
            Attachment.complaint_id == complaint.id, Attachment.sha256 == file.sha256
        )
    )


def record_download_problem(
    download: MediaDownload, complaint: Complaint | None, error: str, *, final: bool
) -> None:
    """A try failed (``final``: for good); the case page shows ``error``."""
    download.error = error[:64]
    download.state = DownloadState.FAILED if final else DownloadState.PENDING
    if complaint is not None:
        download.complaint_id = complaint.id


def downloads_of(session: Session, complaint_id: int) -> list[MediaDownload]:
    """A case's provider media downloads (for the case page), in the order they came."""
    return list(
        session.scalars(
            select(MediaDownload)
            .where(MediaDownload.complaint_id == complaint_id)
            .order_by(MediaDownload.id)
        )
    )
