"""The gettext catalogs: every text people read, as .po files a translator opens in any tool.

``config/data/translations/<lang>/LC_MESSAGES/<domain>.po``, two domains: ``messages`` (the
public pages, the console, the API's and the lifecycle's refusals) and ``replies`` (what
citizens are sent). Msgids are keys (``form.title``); Bahasa Indonesia (``id``) is the source
language and the fallback, English (``en``) the second. Catalogs are compiled in memory from
the .po at first use, so there is no .mo build step. See docs/translating.md.
"""

from __future__ import annotations

import string
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from config.reference import DATA_DIR

TRANSLATIONS_DIR = DATA_DIR / "translations"
SOURCE_LANGUAGE = "id"
LANGUAGES = ("id", "en")
DOMAINS = ("messages", "replies")

_FORMATTER = string.Formatter()


def po_path(lang: str, domain: str = "messages", directory: Path | None = None) -> Path:
    """Where the catalog of ``lang`` for ``domain`` lives."""
    return (directory or TRANSLATIONS_DIR) / lang / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(lang: str, domain: str = "messages", directory: Path | None = None) -> Catalog:
    """The parsed .po file (a fresh Catalog each call: the checks read it as written)."""
    with po_path(lang, domain, directory).open("rb") as handle:
        return read_po(handle, locale=lang, domain=domain)


@cache
def translations(lang: str, domain: str = "messages") -> Translations:
    """``lang``'s catalog compiled in memory; a key it lacks falls back to Bahasa Indonesia."""
    if lang not in LANGUAGES:
        lang = SOURCE_LANGUAGE
    compiled = _compile(read_catalog(lang, domain))
    if lang != SOURCE_LANGUAGE:
        compiled.add_fallback(translations(SOURCE_LANGUAGE, domain))
    return compiled


def text(key: str, lang: str, domain: str = "messages") -> str:
    """The text of ``key`` in ``lang`` (else Bahasa Indonesia, else the key itself)."""
    return translations(lang, domain).gettext(key)


def has(key: str, domain: str = "messages") -> bool:
    """Whether the source catalog knows ``key`` (for lookups that try several keys)."""
    return key in entries(SOURCE_LANGUAGE, domain)


@cache
def entries(lang: str, domain: str = "messages") -> dict[str, str]:
    """Every translated key of a catalog and its text, as written (empty and fuzzy left out)."""
    return {
        message.id: message.string
        for message in read_catalog(lang, domain)
        if message.id and message.string and not message.fuzzy
    }


def placeholders(text: str) -> frozenset[str]:
    """The ``{name}`` placeholders of a text (python-brace-format)."""
    return frozenset(name for _lit, name, _spec, _conv in _FORMATTER.parse(text) if name)


def _compile(catalog: Catalog) -> Translations:
    # The .mo a translator never sees: written to memory and read back by gettext.
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=catalog.domain)
