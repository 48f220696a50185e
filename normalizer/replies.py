"""Citizen replies: templates per language (the ``replies`` catalogs), kept within budget.

A reply is rendered in the citizen's language (Bahasa Indonesia when we have no translation)
and must fit ``max_segments`` SMS. When it does not, the free-text values an operator typed
(``note``, then ``unit``) are shortened with "..."; the tracking id and link never are.
``config.texts`` reads the catalogs (and a district's override file); ``build_replies`` checks
their tables into a ``ReplyBook``. Nothing here reads a file.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from normalizer.segments import count_segments, is_gsm7

DEFAULT_LANGUAGE = "id"
DEFAULT_MAX_SEGMENTS = 2
# Values that may be shortened, in the order they give way. Everything else (tracking id,
# link, status label) is either short and ours, or useless when cut.
SHORTENABLE = ("note", "unit")
# Three dots, not U+2026: one non-GSM character would turn the whole reply into UCS-2.
ELLIPSIS = "..."
# Labels are rendered like templates: render_reply(book, "status.in_progress", "en").
STATUS_PREFIX = "status."

_FORMATTER = string.Formatter()
_LANGUAGE_TABLES = {"templates", "status"}


@dataclass(frozen=True)
class ReplyBook:
    """Every reply text by language, then by name (status labels as ``status.<code>``)."""

    texts: Mapping[str, Mapping[str, str]]

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self.texts)

    def template(self, name: str, lang: str) -> str:
        """The text for ``name`` in ``lang``, else in Bahasa Indonesia; KeyError if neither."""
        for language in (lang, DEFAULT_LANGUAGE):
            text = self.texts.get(language, {}).get(name)
            if text is not None:
                return text
        known = ", ".join(sorted(self.texts[DEFAULT_LANGUAGE]))
        raise KeyError(f"unknown reply template {name!r}; known: {known}")


def build_replies(data: Mapping[str, Any], source: str = "replies") -> ReplyBook:
    """A ReplyBook from the parsed TOML tables (split out so tests can feed bad tables)."""
    if DEFAULT_LANGUAGE not in data:
        raise ValueError(f"{source}: no [{DEFAULT_LANGUAGE}.templates]; it is the fallback")
    texts = {lang: _language_texts(lang, tables, source) for lang, tables in data.items()}
    reference = texts[DEFAULT_LANGUAGE]
    for lang, entries in texts.items():
        for name, text in entries.items():
            if name not in reference:
                raise ValueError(f"{source}: [{lang}] {name!r} has no {DEFAULT_LANGUAGE} version")
            if placeholders(text) != placeholders(reference[name]):
                raise ValueError(
                    f"{source}: [{lang}] {name!r} uses {sorted(placeholders(text))}, but the "
                    f"{DEFAULT_LANGUAGE} text uses {sorted(placeholders(reference[name]))}"
                )
    frozen = {lang: MappingProxyType(entries) for lang, entries in texts.items()}
    return ReplyBook(MappingProxyType(frozen))


def _language_texts(lang: str, tables: Any, source: str) -> dict[str, str]:
    if not isinstance(tables, Mapping) or not set(tables) <= _LANGUAGE_TABLES:
        raise ValueError(f"{source}: [{lang}] may only hold {sorted(_LANGUAGE_TABLES)} tables")
    templates, labels = tables.get("templates", {}), tables.get("status", {})
    if not isinstance(templates, Mapping) or not isinstance(labels, Mapping):
        raise ValueError(f"{source}: [{lang}.templates] and [{lang}.status] must be tables")
    entries = dict(templates)
    entries.update({STATUS_PREFIX + code: label for code, label in labels.items()})
    for name, text in entries.items():
        where = f"{source}: [{lang}] {name!r}"
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where} must be non-empty text")
        if not is_gsm7(text):
            bad = sorted({ch for ch in text if not is_gsm7(ch)})
            raise ValueError(f"{where} has characters outside GSM-7 {bad}; SMS would be UCS-2")
        placeholders(text, where)
    return entries


def placeholders(template: str, where: str = "template") -> frozenset[str]:
    """The {names} a template uses; ValueError for anything but plain names."""
    names = set()
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        # Attribute or index access ({x.y}, {x[0]}) and positional fields are refused:
        # templates are data and only ever receive plain strings by name.
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"{where}: placeholder {{{name}}} must be a plain name")
        names.add(name)
    return frozenset(names)


def render_reply(
    book: ReplyBook,
    name: str,
    lang: str,
    /,
    *,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
    fits_channel: Callable[[str], bool] | None = None,
    **values: object,
) -> str:
    """The reply ``name`` in ``lang`` filled with ``values``, within ``max_segments`` SMS.

    ``fits_channel`` adds a channel's own limit (a tweet's 280 weighted characters), which
    the reply must meet as well. Extra values are ignored, so callers may pass one set of
    values to every template.
    KeyError: unknown template or a missing value. ValueError: cannot fit even shortened.
    """
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    template = book.template(name, lang)
    needed = placeholders(template)
    missing = needed - values.keys()
    if missing:
        raise KeyError(f"reply {name!r} needs value(s) {sorted(missing)}")
    filled = {key: str(values[key]) for key in needed}

    def fits(candidate: Mapping[str, str]) -> bool:
        text = _fill(template, candidate)
        if fits_channel is not None and not fits_channel(text):
            return False
        return count_segments(text).segments <= max_segments

    fitting = fits(filled)
    for key in SHORTENABLE:
        if fitting:
            break
        if filled.get(key):  # an empty value has nothing to give, and "..." would add
            filled[key] = _shorten_to_fit(filled, key, fits)
            fitting = fits(filled)
    if not fitting:
        limit = f"{max_segments} SMS" + (" and the channel's limit" if fits_channel else "")
        raise ValueError(
            f"reply {name!r} ({lang}) does not fit {limit} even with "
            f"{', '.join(SHORTENABLE)} shortened"
        )
    return _fill(template, filled)


def _fill(template: str, values: Mapping[str, str]) -> str:
    # A value may be empty ({note}); the reply then must not end in a stray space.
    return template.format_map(values).rstrip()


def _shorten_to_fit(
    values: dict[str, str], key: str, fits: Callable[[Mapping[str, str]], bool]
) -> str:
    """The longest prefix of ``values[key]`` + "..." that fits, or just "..." if none does.

    Longer prefixes never need fewer segments, so a binary search finds the longest one.
    """
    original = values[key]
    low, high = 0, len(original) - 1  # keep original[:k] for k in [low, high]
    best = _cut(original, 0)
    while low <= high:
        middle = (low + high) // 2
        candidate = _cut(original, middle)
        if fits({**values, key: candidate}):
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def _cut(text: str, keep: int) -> str:
    # Drop a trailing space or a dangling emoji joiner / variation selector before the dots.
    return text[:keep].rstrip(" \u200d\ufe0f") + ELLIPSIS
