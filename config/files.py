"""Files with citizen data (the data dir and everything in it) are this user's alone.

Directories are created 0700 and files 0600, like ``secret_key``: the database and its WAL,
Redis's append-only file and dumps, the spool and the attachments hold complaints, names
and phone numbers. Directories that already exist are left as the operator set them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
# For processes that write data files: what they create gets no group or other bits.
PRIVATE_UMASK = 0o077


def private_dir(path: Path) -> Path:
    """``path`` as a directory, creating it and any missing parents 0700."""
    missing = []
    ancestor = path
    while not ancestor.exists() and ancestor != ancestor.parent:
        missing.append(ancestor)
        ancestor = ancestor.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode=PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty 0600 unless it exists (before a library creates it its own way)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    return path
