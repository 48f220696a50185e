"""Citizens' attachments: check uploads by their content and keep them under the data dir.

Up to five photos (JPEG, PNG, WebP) or PDFs of at most 5 MiB each. The type is read from the
file's first bytes, never from its name or the browser's word for it: four signatures, each
fixed by its format's specification, are a few lines a reviewer can check at a glance, where
a sniffing library would recognize a hundred types we refuse anyway.

Files are content-addressed (``attachments/ab/<sha256>``) outside the static folder, written
and fsynced before the record that names them is submitted; the store job writes the rows.
Records carry them as ``Media(url="attachment:<sha256>/<quoted file name>")``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar, Protocol
from urllib.parse import quote, unquote

from config.files import private_dir
from normalizer.records import Media

MAX_FILES = 5
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILENAME_CHARS = 120
DIRECTORY = "attachments"
URL_SCHEME = "attachment:"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


# ISO base media files (an "ftyp" box first): the brands phones' videos carry. 3GPP from
# older phones and MMS, MP4 from WhatsApp and X; the brand is fixed by each specification.
_VIDEO_BRANDS = {
    b"3gp4": "video/3gpp",
    b"3gp5": "video/3gpp",
    b"3gp6": "video/3gpp",
    b"3g2a": "video/3gpp2",
    b"isom": "video/mp4",
    b"iso2": "video/mp4",
    b"mp41": "video/mp4",
    b"mp42": "video/mp4",
    b"avc1": "video/mp4",
}


def sniff(head: bytes, *, video: bool = False) -> str | None:
    """The content type of a file from its first 12 bytes, if it is one we accept.

    ``video``: also the 3GPP and MP4 videos phones send (provider media; the web form takes
    photos and PDFs only).
    """
    if video and head[4:8] == b"ftyp" and head[8:12] in _VIDEO_BRANDS:
        return _VIDEO_BRANDS[head[8:12]]
    if head.startswith(b"\xff\xd8\xff"):  # JPEG: SOI marker, then any marker
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):  # PNG signature
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":  # RIFF container of form WEBP
        return "image/webp"
    if head.startswith(b"%PDF-"):  # PDF header
        return "application/pdf"
    return None


class FileLike(Protocol):
    """What an upload offers (werkzeug's FileStorage has it)."""

    filename: str | None
    stream: BinaryIO


@dataclass(frozen=True)
class Upload:
    """One accepted file, held in memory until it is stored."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class AttachmentError(ValueError):
    """Uploads that cannot be accepted: ``code`` says why, ``filename`` which file."""

    MESSAGES: ClassVar[dict[str, str]] = {
        "too_many": f"Paling banyak {MAX_FILES} lampiran.",
        "empty": "Berkas {name} kosong.",
        "too_large": "Berkas {name} lebih dari 5 MB.",
        "not_allowed": "Berkas {name} bukan foto (JPEG, PNG, WebP) atau PDF yang dapat dibaca.",
    }

    def __init__(self, code: str, filename: str = "") -> None:
        super().__init__(self.MESSAGES[code].format(name=filename))
        self.code = code
        self.filename = filename


def clean_filename(name: str) -> str:
    """A display name only (never a path): the last path part, printable, at most 120 chars."""
    base = re.split(r"[\\/]", name)[-1]
    printable = "".join(
        ch for ch in base if unicodedata.category(ch)[0] not in {"C", "Z"} or ch == " "
    )
    return printable.strip()[:MAX_FILENAME_CHARS] or "lampiran"


def check_uploads(files: Iterable[FileLike]) -> list[Upload]:
    """Read and check the chosen files; raises AttachmentError naming the first bad one.

    A file input left empty arrives as a part with no name and no bytes: that is no file.
    """
    accepted: list[Upload] = []
    for upload in files:
        name = upload.filename or ""
        data = upload.stream.read(MAX_FILE_BYTES + 1)
        if not name and not data:
            continue
        shown = clean_filename(name)
        if len(accepted) == MAX_FILES:
            raise AttachmentError("too_many")
        if not data:
            raise AttachmentError("empty", shown)
        if len(data) > MAX_FILE_BYTES:
            raise AttachmentError("too_large", shown)
        content_type = sniff(data[:12])
        if content_type is None:
            raise AttachmentError("not_allowed", shown)
        accepted.append(Upload(filename=shown, content_type=content_type, data=data))
    return accepted


def relative_path(sha256: str) -> str:
    """Where a file with this digest lives, relative to the data dir."""
    if not _SHA256.match(sha256):
        raise ValueError("not a sha256 digest")
    return f"{DIRECTORY}/{sha256[:2]}/{sha256}"


def resolve(data_dir: Path, stored_path: str) -> Path:
    """The absolute path of a stored attachment; refuses anything outside the attachments dir.

    ``stored_path`` is the ``attachments.path`` column; it is checked again here so that a
    row edited by hand can never make the console serve another file.
    """
    parts = stored_path.split("/")
    if len(parts) != 3 or parts[0] != DIRECTORY or not _SHA256.match(parts[2]):
        raise ValueError("not an attachment path")
    if parts[1] != parts[2][:2]:
        raise ValueError("not an attachment path")
    root = (data_dir / DIRECTORY).resolve()
    path = (data_dir / stored_path).resolve()
    if root not in path.parents:
        raise ValueError("not an attachment path")
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def store_uploads(uploads: Iterable[Upload], data_dir: Path) -> tuple[Media, ...]:
    """Write each upload once (same bytes, same file), durably; returns their Media."""
    media = []
    for upload in uploads:
        digest = upload.sha256
        target = data_dir / relative_path(digest)
        if not target.exists():
            private_dir(target.parent)
            # Write aside, fsync, then rename: a crash never leaves half a file under the name.
            # mkstemp creates it 0600: citizens' photos are for this user only.
            fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(upload.data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            _fsync_dir(target.parent)
        media.append(
            Media(
                url=f"{URL_SCHEME}{digest}/{quote(upload.filename, safe='')}",
                content_type=upload.content_type,
                size=len(upload.data),
            )
        )
    return tuple(media)


@dataclass(frozen=True)
class StoredFile:
    """A stored attachment as a record names it: what the store job writes a row for."""

    sha256: str
    filename: str
    content_type: str
    size: int

    @property
    def path(self) -> str:
        return relative_path(self.sha256)


def stored_file(media: Media) -> StoredFile | None:
    """The stored file a Media names, or None for a provider URL (Twilio, X) or a bad one."""
    if not media.url.startswith(URL_SCHEME):
        return None
    digest, _, quoted = media.url[len(URL_SCHEME) :].partition("/")
    if not _SHA256.match(digest) or media.size is None or media.size < 0:
        return None
    return StoredFile(
        sha256=digest,
        filename=clean_filename(unquote(quoted)),
        content_type=media.content_type,
        size=media.size,
    )
