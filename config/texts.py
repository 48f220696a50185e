"""The words citizens type and read: the keywords file and the reply catalogs, read here.

``config/data/keywords.toml`` (or SATUPINTU_KEYWORDS_FILE); the replies are the ``replies``
gettext catalogs (config/data/translations/<lang>/LC_MESSAGES/replies.po), and a district's
own wording (SATUPINTU_REPLIES_FILE, a TOML file of ``[<lang>.templates]`` and
``[<lang>.status]`` tables) wins over them key by key. The normalizer builds and checks its
rules from the tables (``normalizer.keywords.build_keywords``,
``normalizer.replies.build_replies``) and never opens a file itself:
``build_keywords(*read_keywords(path))``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from config import catalogs
from config.reference import DATA_DIR, read_toml

KEYWORDS_FILE = DATA_DIR / "keywords.toml"
REPLIES_DOMAIN = "replies"
STATUS_PREFIX = "status."  # status labels are "status.<code>" in the catalog


class DataTables(NamedTuple):
    """A data file's tables and where they came from (the builder's errors name it)."""

    data: dict[str, Any]
    source: str


def read_keywords(path: Path | str | None = None) -> DataTables:
    """The keywords file's tables: the shipped one, or the one at ``path``."""
    return _read(path, KEYWORDS_FILE)


def read_replies(path: Path | str | None = None) -> DataTables:
    """The reply tables: the catalogs, with the file at ``path`` (if any) winning per key.

    A key the file names (in any language) is taken from the file alone, so a district that
    rewrote a reply never sends the shipped wording of it in another language: the reply
    falls back to the district's Indonesian instead.
    """
    shipped = {lang: catalogs.entries(lang, REPLIES_DOMAIN) for lang in catalogs.LANGUAGES}
    source = str(catalogs.po_path("*", REPLIES_DOMAIN))
    if path is None:
        return DataTables(_as_tables(shipped), source)
    override = _read(path, Path(path))
    theirs = override.data
    named = {key for tables in theirs.values() if isinstance(tables, dict) for key in _flat(tables)}
    merged = {
        lang: {k: v for k, v in texts.items() if k not in named} for lang, texts in shipped.items()
    }
    tables = _as_tables(merged)
    for lang, their_tables in theirs.items():
        mine = tables.setdefault(lang, {})
        if not isinstance(their_tables, dict):
            tables[lang] = their_tables  # build_replies names what is wrong with it
            continue
        for table, entries in their_tables.items():
            if isinstance(entries, dict) and isinstance(mine.get(table, {}), dict):
                mine.setdefault(table, {}).update(entries)
            else:
                mine[table] = entries
    return DataTables(tables, f"{override.source} (over {source})")


def _flat(tables: dict[str, Any]) -> set[str]:
    templates, labels = tables.get("templates", {}), tables.get("status", {})
    keys = set(templates) if isinstance(templates, dict) else set()
    if isinstance(labels, dict):
        keys |= {STATUS_PREFIX + code for code in labels}
    return keys


def _as_tables(texts: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Catalog keys as the reply file's tables: ``status.<code>`` under [lang.status]."""
    tables: dict[str, Any] = {}
    for lang, entries in texts.items():
        templates = {k: v for k, v in entries.items() if not k.startswith(STATUS_PREFIX)}
        labels = {
            k.removeprefix(STATUS_PREFIX): v
            for k, v in entries.items()
            if k.startswith(STATUS_PREFIX)
        }
        tables[lang] = {"templates": templates, "status": labels}
    return tables


def _read(path: Path | str | None, default: Path) -> DataTables:
    source = Path(path) if path is not None else default
    return DataTables(read_toml(source), str(source))
