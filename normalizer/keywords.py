"""SMS keyword commands: what a citizen's text asks for (CEK <id>, INFO <id> <teks>, STOP...).

The words live in ``config/data/keywords.toml`` (read by ``config.texts``); this module
builds them into a ``KeywordSet`` and turns one message into a ``Command``. Free text that is
not a command is a new complaint: when unsure, we would rather open a complaint than drop one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from normalizer.confirmation import read_confirmation
from normalizer.records import Intent
from normalizer.text import clean_text
from normalizer.tracking import LENGTH, normalize_tracking_id

WHOLE_MESSAGE_INTENTS = (Intent.OPT_OUT, Intent.OPT_IN, Intent.HELP)
COMMAND_INTENTS = (Intent.NEW, Intent.STATUS_QUERY, Intent.FOLLOW_UP, Intent.WITHDRAW)
# Commands that name an existing complaint by its tracking id.
ID_INTENTS = frozenset({Intent.STATUS_QUERY, Intent.FOLLOW_UP, Intent.WITHDRAW})

# "CEK <id>" without a usable id is still a status query when the rest is this short (a
# mistyped id, "dong", "laporan saya"); longer text is a complaint that happens to start
# with a command word ("Status jalan di desa kami tidak jelas sejak ...").
MAX_WORDS_WITHOUT_ID = 4

_WORD = re.compile(r"[A-Z0-9]+")
_ALNUM_RUN = re.compile(r"[^\W_]+")
_LEADING_LETTERS = re.compile(r"[^\W\d_]+")
# A tracking id as typed: letters, digits and dashes (ABCDE-12345), full-width forms too.
_ID_TOKEN = re.compile(r"[\w\-\u2010-\u2014\u2212\uff0d]+")
# Punctuation that separates a command word from what follows ("CEK#", "cek:", "LAPOR -").
# Quotes belong to the complaint text, and "<" opens the "<isi aduan>" citizens copy from the
# help text, so none of them is a separator.
_SEPARATOR_CATEGORIES = frozenset({"Po", "Pd", "Sm", "Zs"})
_NOT_SEPARATORS = frozenset("'\"<\uff02\uff07\uff1c")


@dataclass(frozen=True)
class KeywordSet:
    """The words of every intent, in upper case, as loaded from keywords.toml."""

    whole_message: Mapping[str, Intent]
    whole_message_suffixes: frozenset[str]
    commands: Mapping[str, Intent]
    confidential: frozenset[str]
    # "YA <code>": the words that answer a typed phone's confirmation code (issue 18).
    confirm: frozenset[str] = frozenset()

    def words_for(self, intent: Intent) -> frozenset[str]:
        """Every word that means ``intent``, alone or as a command."""
        tables = (self.whole_message, self.commands)
        return frozenset(word for table in tables for word, i in table.items() if i is intent)


@dataclass(frozen=True)
class Command:
    """One message read as a command: what it asks, about which complaint, and its text.

    ``text`` is what is left once the command words and tracking id are taken off: the
    complaint, the follow-up information, or a withdrawal reason. ``tracking_id`` is canonical
    (see ``normalizer.tracking``) or None when the message named no readable id.
    """

    intent: Intent
    tracking_id: str | None = None
    text: str = ""
    confidential: bool = False


def build_keywords(data: Mapping[str, Any], source: str = "keywords") -> KeywordSet:
    """A KeywordSet from the parsed TOML tables (split out so tests can feed bad tables)."""
    expected = {"whole_message", "whole_message_suffix", "commands", "confidential", "confirm"}
    unknown = set(data) - expected
    if unknown:
        raise ValueError(f"{source}: unknown table(s) {sorted(unknown)}; expected {expected}")
    whole_message = _intent_table(data, "whole_message", WHOLE_MESSAGE_INTENTS, source)
    # The confidential prefix shares the command position, so it shares the duplicate check.
    commands = _intent_table(data, "commands", COMMAND_INTENTS, source, extra=("confidential",))
    return KeywordSet(
        whole_message=MappingProxyType(whole_message),
        whole_message_suffixes=frozenset(_words(data, "whole_message_suffix", "words", source)),
        commands=MappingProxyType(commands),
        confidential=frozenset(_words(data, "confidential", "words", source)),
        confirm=frozenset(_words(data, "confirm", "words", source))
        if "confirm" in data
        else frozenset(),
    )


def _intent_table(
    data: Mapping[str, Any],
    table: str,
    intents: Iterable[Intent],
    source: str,
    extra: Iterable[str] = (),
) -> dict[str, Intent]:
    names = [intent.value for intent in intents]
    unknown = set(data.get(table, {})) - set(names)
    if unknown:
        raise ValueError(f"{source}: [{table}] has unknown intent(s) {sorted(unknown)}")
    owner: dict[str, str] = {}
    result: dict[str, Intent] = {}
    groups = [(name, table, name) for name in names] + [(name, name, "words") for name in extra]
    for label, table_name, key in groups:
        for word in _words(data, table_name, key, source):
            if word in owner:
                raise ValueError(
                    f"{source}: keyword {word!r} is listed under both {owner[word]!r} and "
                    f"{label!r} in [{table}]; a word may belong to one intent only"
                )
            owner[word] = label
            if label in names:
                result[word] = Intent(label)
    return result


def _words(data: Mapping[str, Any], table: str, key: str, source: str) -> list[str]:
    section = data.get(table)
    if not isinstance(section, Mapping) or key not in section:
        raise ValueError(f"{source}: missing {key!r} in [{table}]")
    words = section[key]
    if not isinstance(words, list):
        raise ValueError(f"{source}: [{table}] {key} must be a list of words")
    checked = []
    for word in words:
        if not isinstance(word, str) or not _WORD.fullmatch(word.upper()):
            raise ValueError(f"{source}: [{table}] {key}: {word!r} is not one plain word")
        checked.append(word.upper())
    return checked


def parse_command(text: str, keywords: KeywordSet) -> Command:
    """Read one SMS. Never raises: odd text is the citizen's, and becomes a complaint."""
    cleaned = clean_text(text)
    alone = _whole_message_intent(cleaned, keywords)
    if alone is not None:
        return Command(alone)
    code = read_confirmation(cleaned, keywords.confirm)
    if code is not None:  # "YA 4821": the code is the command's text
        return Command(Intent.CONFIRM, None, code)
    head, rest = _split_head(_strip_separators(cleaned))
    intent = keywords.commands.get(_fold(head))
    if intent in ID_INTENTS:
        command = _id_command(intent, rest)
        if command is not None:
            return command
    glued = _glued_id_command(cleaned, keywords)
    if glued is not None:
        return glued
    return _new_complaint(cleaned, keywords)


def _fold(word: str) -> str:
    """One comparable form of a word: full-width letters become ASCII, case is ignored."""
    return unicodedata.normalize("NFKC", word).upper()


def _whole_message_intent(cleaned: str, keywords: KeywordSet) -> Intent | None:
    """STOP, "stop.", "STOP STOP!!" or "UNREG LAPOR": the message is only the keyword.

    Punctuation and emoji around it do not count; any other word makes it a sentence, so
    "Stop pungli di kantor camat!" stays a complaint.
    """
    words = _ALNUM_RUN.findall(_fold(cleaned))
    if not words or words[0] not in keywords.whole_message:
        return None
    suffixes = keywords.whole_message_suffixes
    if any(word != words[0] and word not in suffixes for word in words[1:]):
        return None
    return keywords.whole_message[words[0]]


def _split_head(cleaned: str) -> tuple[str, str]:
    """The leading run of letters and everything after it ("CEK#ABC" -> "CEK", "#ABC")."""
    match = _LEADING_LETTERS.match(cleaned)
    if match is None:
        return "", cleaned
    return match.group(), cleaned[match.end() :]


def _strip_separators(text: str) -> str:
    """Drop the punctuation and spaces between a command word and what follows it."""
    start = 0
    while start < len(text) and _is_separator(text[start]):
        start += 1
    return text[start:]


def _is_separator(ch: str) -> bool:
    if ch in _NOT_SEPARATORS:
        return False
    return ch.isspace() or unicodedata.category(ch) in _SEPARATOR_CATEGORIES


def _id_command(intent: Intent, rest: str) -> Command | None:
    """CEK/INFO/BATAL with what follows; None when it reads as a complaint instead."""
    rest = _strip_separators(rest)
    tracking_id, after = _take_tracking_id(rest)
    if tracking_id is not None:
        return Command(intent, tracking_id, _strip_separators(after))
    if len(rest.split()) <= MAX_WORDS_WITHOUT_ID:
        return Command(intent, None, rest)
    return None


def _take_tracking_id(text: str) -> tuple[str | None, str]:
    """A tracking id at the start of ``text`` and the text after it.

    Accepts "ABCDE-12345", "abcde12345", "<ABCDE12345>" (copied from the help text) and
    "ABCDE 12345" (a space where the hyphen goes).
    """
    first = _ID_TOKEN.search(text)
    if first is None or text[: first.start()].strip("<([{ "):
        return None, text
    tracking_id = normalize_tracking_id(first.group())
    if tracking_id is not None:
        return tracking_id, _drop_closing(text[first.end() :])
    second = _ID_TOKEN.match(text, first.end() + 1)
    if second is not None and text[first.end()] == " " and _is_split_id(first, second):
        tracking_id = normalize_tracking_id(first.group() + second.group())
        if tracking_id is not None:
            return tracking_id, _drop_closing(text[second.end() :])
    return None, text


def _is_split_id(first: re.Match[str], second: re.Match[str]) -> bool:
    """Two five-character halves, at least one typed digit among them.

    The digit rule keeps two ordinary words from being read as one id: "INFO tanah warga
    dirampas" would otherwise name complaint TANAHWARGA. Generated ids have a digit in all
    but about 2% of cases, and those can still be typed with the hyphen or without a space.
    """
    halves = first.group(), second.group()
    return all(len(half) == LENGTH // 2 for half in halves) and any(
        ch.isdigit() for ch in "".join(halves)
    )


def _drop_closing(text: str) -> str:
    return text.lstrip(">)]}")


def _glued_id_command(cleaned: str, keywords: KeywordSet) -> Command | None:
    """ "CEKABCDE12345": a command word and an id typed without a space between them."""
    first = _ID_TOKEN.match(cleaned)
    if first is None:
        return None
    token = _fold(first.group())
    for word, intent in keywords.commands.items():
        if intent in ID_INTENTS and token.startswith(word):
            tracking_id = normalize_tracking_id(token[len(word) :])
            if tracking_id is not None:
                return Command(intent, tracking_id, _strip_separators(cleaned[first.end() :]))
    return None


def _new_complaint(cleaned: str, keywords: KeywordSet) -> Command:
    """Free text, with an optional LAPOR/ADUAN and RAHASIA in front (in either order)."""
    text, confidential, prefixed = cleaned, False, False
    while True:
        head, rest = _split_head(text)
        word = _fold(head)
        if not confidential and word in keywords.confidential:
            confidential = True
        elif not prefixed and keywords.commands.get(word) is Intent.NEW:
            prefixed = True
        else:
            break
        text = _strip_separators(rest)
    return Command(Intent.NEW, None, _unwrap_placeholder(text), confidential)


def _unwrap_placeholder(text: str) -> str:
    """ "<jalan rusak>" -> "jalan rusak": citizens copy the brackets from "LAPOR <isi aduan>"."""
    if len(text) > 2 and text.startswith("<") and text.endswith(">"):
        return text[1:-1].strip()
    return text
