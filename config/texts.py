"""The words citizens type and read: the keywords and replies files, read here.

``config/data/keywords.toml`` and ``config/data/replies.toml`` (or SATUPINTU_KEYWORDS_FILE,
SATUPINTU_REPLIES_FILE). The normalizer builds and checks its rules from the tables
(``normalizer.keywords.build_keywords``, ``normalizer.replies.build_replies``) and never
opens a file itself: ``build_keywords(*read_keywords(path))``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from config.reference import DATA_DIR, read_toml

KEYWORDS_FILE = DATA_DIR / "keywords.toml"
REPLIES_FILE = DATA_DIR / "replies.toml"


class DataTables(NamedTuple):
    """A data file's tables and where they came from (the builder's errors name it)."""

    data: dict[str, Any]
    source: str


def read_keywords(path: Path | str | None = None) -> DataTables:
    """The keywords file's tables: the shipped one, or the one at ``path``."""
    return _read(path, KEYWORDS_FILE)


def read_replies(path: Path | str | None = None) -> DataTables:
    """The replies file's tables: the shipped one, or the one at ``path``."""
    return _read(path, REPLIES_FILE)


def _read(path: Path | str | None, default: Path) -> DataTables:
    source = Path(path) if path is not None else default
    return DataTables(read_toml(source), str(source))
