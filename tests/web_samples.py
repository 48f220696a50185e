"""Small real files and helpers shared by the web form, tracking and API tests."""

from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import UTC, datetime

from sqlalchemy import select

from casestore.lifecycle import Action, apply_action
from casestore.models import Complaint


def png_bytes() -> bytes:
    """A valid 1x1 PNG, built by the book (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg_bytes(size: int = 2048) -> bytes:
    """A JPEG start (SOI + JFIF APP0) padded with a comment segment, then EOI."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    filler = b"\x00" * max(0, size - len(app0) - 4)
    return b"\xff\xd8" + app0 + filler + b"\xff\xd9"


def webp_bytes() -> bytes:
    payload = b"WEBPVP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00"
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def upload(data: bytes, name: str, content_type: str = "application/octet-stream"):
    return (io.BytesIO(data), name, content_type)


def csrf_token(client, path: str = "/") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def tracking_id_of(response) -> str:
    return re.search(r'data-tracking-id="([0-9A-Z]{10})"', response.get_data(as_text=True)).group(1)


def secret_of(response) -> str:
    text = response.get_data(as_text=True)
    return re.search(r'data-citizen-secret="([0-9A-Z-]{14})"', text).group(1)


def resolve_case(runtime, tracking_id: str) -> None:
    """Take a stored case through verify, dispatch, start and resolve, as operators would."""
    now = datetime.now(UTC)
    with runtime.sessions.begin() as session:
        complaint = session.scalars(
            select(Complaint).where(Complaint.tracking_id == tracking_id)
        ).one()
        apply_action(session, complaint, Action.VERIFY, actor="admin", now=now)
        apply_action(session, complaint, Action.DISPATCH, actor="admin", now=now, unit="dinas-pupr")
        apply_action(session, complaint, Action.START, actor="pupr", now=now)
        apply_action(
            session,
            complaint,
            Action.RESOLVE,
            actor="pupr",
            now=now,
            message_to_reporter="Jalan sudah ditambal.",
        )
