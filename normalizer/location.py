"""Where a complaint is: the kecamatan and desa of Aceh Tengah that a free text names.

Pure, no I/O: ``build_location_index(places)`` compiles the gazetteer once per process, and
``find_location(text, index)`` runs for every message.

How names are matched (each rule is a test in tests/normalizer/test_location.py):

- Case, punctuation, hyphens and spacing do not matter ("Asir-Asir" = "asir asir"), nor
  letters typed three or more times ("Kenawattt"). Roman numerals may be written as digits
  or words ("Simpang IV" = "Simpang 4" = "Simpang Empat"); Gayo and Indonesian spellings are
  both accepted ("Lut Tawar" = "Laut Tawar", "Blang" = "Belang"); multi-word names may be
  written as one word when that word has 8 letters or more ("Silihnara", "Atulintang").
- The longest name wins at each position ("Bintang Kekelip" over "Bintang").
- The shared part of a family of desa names ("Toweren" for Toweren Antara/Toa/Uken, "Blang
  Kolak" for Blang Kolak I/II) names their kecamatan, without a desa.
- Names that are also ordinary words ("Bukit", "Balik", "Antara", "Makmur", "Bintang",
  "Jalan Tengah" ...: ``COMMON_WORD_NAMES``) only count right after a marker of their kind:
  desa/kampung/kp/dusun/kelurahan for a desa, kec/kecamatan/camat for a kecamatan. Names of
  four letters or fewer ("Bah", "Kung", "Rawe", "Bies") also count after a preposition such
  as "di", "ke", "dari", "dekat", "warga". So "di balik rumah" names no place, "kp. Balik"
  does, and "Puskesmas Bintang" is not read as Kecamatan Bintang (a known, accepted miss).
- A name right after "danau" is the lake (Danau Lut Tawar), not the kecamatan.
- One typo (edit distance 1) is forgiven on names of six letters or more that are not common
  words and carry no numeral ("Kuala I" is one edit from "Kuala II"); for one-word names only
  after a marker or preposition ("di Bebsen"), because a single word one letter away from a
  village name is often just another word.
- A desa name found in several kecamatan (Umang, Jerata, Gegarang, Pantan Reduk) leaves the
  place ambiguous unless another name in the text settles it ("Umang, kec Linge"). "Takengon"
  (the town spans Laut Tawar, Bebesen and Kebayakan) is a weak hint, used only when the text
  names nothing more precise. Names that conflict (a desa and a kecamatan it is not in) are
  ambiguous too: the coordinator decides rather than the machine.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from config.reference import DESA_LEVEL, KECAMATAN_LEVEL, Place

# Names that are ordinary Indonesian/Gayo words or phrases, in normalized form.
COMMON_WORD_NAMES = frozenset(
    {
        "antara", "bah", "balik", "bintang", "bujang", "bukit", "bukit sari", "jalan tengah",
        "kerawang", "kuala", "lumut", "makmur", "mekar indah", "mekar maju", "pilar",
        "pinangan", "sepakat", "suka damai", "tanjung",
    }
)  # fmt: skip
DESA_MARKERS = frozenset(
    {"desa", "ds", "kampung", "kampong", "kp", "kpg", "gampong", "dusun", "dsn", "kelurahan", "kel"}
)
KECAMATAN_MARKERS = frozenset({"kec", "kecamatan", "kcmtn", "camat"})
# Prepositions and nouns that introduce a place; enough for short names and typo matching.
WEAK_MARKERS = frozenset(
    {
        "di", "ke", "dari", "dr", "dekat", "dkt", "daerah", "wilayah", "sekitar", "arah",
        "warga", "in", "at", "near", "to", "from",
    }
)  # fmt: skip
# A place name after one of these is something else: "danau Lut Tawar" is the lake.
NOT_A_PLACE_BEFORE = frozenset({"danau"})

# Other names for a set of kecamatan, by kecamatan name. Weak hints: see the module doc.
TOWN_ALIASES: dict[str, tuple[str, ...]] = {"takengon": ("Laut Tawar", "Bebesen", "Kebayakan")}
# Short forms citizens use for a kecamatan.
KECAMATAN_ALIASES: dict[str, str] = {"jagong": "Jagong Jeget"}

# Spelling variants applied word by word to every name.
_WORD_VARIANTS: dict[str, tuple[str, ...]] = {
    "laut": ("lut",),
    "lut": ("laut",),
    "blang": ("belang",),
    "belang": ("blang",),
    "i": ("1", "satu"),
    "ii": ("2", "dua"),
    "iii": ("3", "tiga"),
    "iv": ("4", "empat"),
}
# A trailing word that makes a family of desa ("Toweren Toa", "Toweren Uken"): the bare
# family name ("Toweren") then names the family.
_FAMILY_QUALIFIERS = frozenset(
    {"i", "ii", "iii", "baru", "toa", "uken", "antara", "timur", "barat", "tengah", "selatan",
     "utara", "atas", "bawah"}
)  # fmt: skip
_NUMERALS = frozenset({"i", "ii", "iii", "iv", "satu", "dua", "tiga", "empat"})
SHORT_NAME_MAX = 4
FUZZY_MIN_LETTERS = 6
JOINED_MIN_LETTERS = 8

_TOKEN = re.compile(r"[a-z0-9]+")
_LONG_RUN = re.compile(r"([a-z])\1{2,}")


@dataclass(frozen=True)
class LocationMatch:
    """The place a text names.

    ``kecamatan_code``/``desa_code`` are set when the text settles them. ``ambiguous`` means
    the kecamatan could not be decided; ``candidates`` then lists the kecamatan codes still
    possible. ``matched`` is the normalized text of the names that were used.
    """

    kecamatan_code: str | None
    desa_code: str | None
    ambiguous: bool
    candidates: tuple[str, ...]
    matched: str | None


NO_LOCATION = LocationMatch(None, None, False, (), None)


@dataclass(frozen=True)
class _Entry:
    """One reading of a name: a kecamatan, a desa, a family of desa, or a town."""

    kind: str  # "kecamatan" | "desa" | "family" | "town"
    kecamatan_codes: frozenset[str]
    desa_code: str | None
    marker: str  # what must precede it: "none" | "weak" | "desa" | "kecamatan"
    fuzzy: bool  # may be matched with one typo

    @property
    def weak(self) -> bool:
        return self.kind == "town"


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: it holds dicts
class LocationIndex:
    """The gazetteer compiled for matching; build it with ``build_location_index``."""

    names: dict[tuple[str, ...], tuple[_Entry, ...]]
    fuzzy_names: dict[str, tuple[str, ...]]  # name as one string -> its key
    fuzzy_deletes: dict[str, frozenset[str]]  # name minus one letter -> names
    fuzzy_lengths: frozenset[int]  # window lengths worth a typo lookup
    name_words: frozenset[str]  # every word of every name
    max_words: int


# --- text ---------------------------------------------------------------------------------


def normalize_words(text: str) -> list[str]:
    """Lower-case ASCII words: accents, punctuation and letters typed 3+ times removed."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _TOKEN.findall(_LONG_RUN.sub(r"\1", text))


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _within_one_edit(a: str, b: str) -> bool:
    """Optimal string alignment distance <= 1 (one insertion, deletion, change or swap)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        i, j = diffs[0], diffs[-1]
        return len(diffs) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


# --- building the index -------------------------------------------------------------------


def _spellings(name: str) -> set[tuple[str, ...]]:
    """Every accepted spelling of a gazetteer name, as word tuples."""
    spellings: set[tuple[str, ...]] = {()}
    for word in normalize_words(name):
        options = (word, *_WORD_VARIANTS.get(word, ()))
        spellings = {(*s, option) for s in spellings for option in options}
    joined = {("".join(s),) for s in spellings if len(s) > 1 and not _has_number(s)}
    return spellings | {j for j in joined if len(j[0]) >= JOINED_MIN_LETTERS}


def _has_number(words: Sequence[str]) -> bool:
    """True when a name has a numeral ("Kuala II", "Simpang 4"): one typo there changes it."""
    return any(word.isdigit() or word in _NUMERALS for word in words)


def _entry(name: str, kind: str, kecamatans: Iterable[str], desa: str | None) -> _Entry:
    """An entry for the place called ``name`` (normalized words); every spelling shares it,
    so "jalantengah" needs the same marker as "jalan tengah"."""
    letters = len(name.replace(" ", ""))
    if name in COMMON_WORD_NAMES:
        marker = "kecamatan" if kind == "kecamatan" else "desa"
    elif letters <= SHORT_NAME_MAX:
        marker = "weak"
    else:
        marker = "none"
    return _Entry(
        kind=kind,
        kecamatan_codes=frozenset(kecamatans),
        desa_code=desa,
        marker=marker,
        fuzzy=marker in ("none", "weak") and letters >= FUZZY_MIN_LETTERS,
    )


def _name(place: Place) -> str:
    return " ".join(normalize_words(place.name))


def _families(desa: Sequence[Place]) -> dict[tuple[str, ...], list[Place]]:
    """Bare family names ("toweren") shared by two or more desa, when unambiguous as a prefix."""
    groups: dict[tuple[str, ...], list[Place]] = defaultdict(list)
    for place in desa:
        words = tuple(normalize_words(place.name))
        if len(words) > 1 and words[-1] in _FAMILY_QUALIFIERS:
            groups[words[:-1]].append(place)
    families = {}
    for base, members in groups.items():
        others = [
            p
            for p in desa
            if p not in members and tuple(normalize_words(p.name))[: len(base)] == base
        ]
        if len(members) >= 2 and not others and len("".join(base)) >= 5:
            families[base] = members
    return families


def build_location_index(places: Iterable[Place]) -> LocationIndex:
    """Compile the gazetteer (kecamatan and desa rows) for ``find_location``."""
    places = tuple(places)
    kecamatan = [p for p in places if p.level == KECAMATAN_LEVEL]
    desa = [p for p in places if p.level == DESA_LEVEL]
    by_name = {_name(p): p.code for p in kecamatan}
    names: dict[tuple[str, ...], list[_Entry]] = defaultdict(list)

    for place in kecamatan:
        entry = _entry(_name(place), "kecamatan", [place.code], None)
        for key in _spellings(place.name):
            names[key].append(entry)
    for place in desa:
        entry = _entry(_name(place), "desa", [place.parent_code or ""], place.code)
        for key in _spellings(place.name):
            names[key].append(entry)
    for alias, kecamatan_name in KECAMATAN_ALIASES.items():
        code = by_name.get(kecamatan_name.casefold())
        if code:
            names[(alias,)].append(_entry(alias, "kecamatan", [code], None))
    for base, members in _families(desa).items():
        if base not in names:
            codes = {p.parent_code or "" for p in members}
            names[base].append(_entry(" ".join(base), "family", codes, None))
    for alias, kecamatan_names in TOWN_ALIASES.items():
        codes = [by_name[n.casefold()] for n in kecamatan_names if n.casefold() in by_name]
        if codes:
            names[(alias,)] = [_entry(alias, "town", codes, None)]

    fuzzy_names = {
        " ".join(k): k
        for k, entries in names.items()
        if all(e.fuzzy for e in entries) and not _has_number(k)
    }
    deletes: dict[str, set[str]] = defaultdict(set)
    for joined in fuzzy_names:
        for shorter in _deletions(joined):
            deletes[shorter].add(joined)
    return LocationIndex(
        names={k: tuple(v) for k, v in names.items()},
        fuzzy_names={j: tuple(k) for j, k in fuzzy_names.items()},
        fuzzy_deletes={d: frozenset(v) for d, v in deletes.items()},
        fuzzy_lengths=frozenset(n + d for n in map(len, fuzzy_names) for d in (-1, 0, 1)),
        name_words=frozenset(word for key in names for word in key),
        max_words=max(len(k) for k in names),
    )


@lru_cache(maxsize=4)
def _index_for(places: tuple[Place, ...]) -> LocationIndex:
    return build_location_index(places)


# --- matching -----------------------------------------------------------------------------


def _marker_ok(required: str, previous: str | None) -> bool:
    if required == "none":
        return True
    if required == "desa":
        return previous in DESA_MARKERS
    if required == "kecamatan":
        return previous in KECAMATAN_MARKERS
    return previous in DESA_MARKERS | KECAMATAN_MARKERS | WEAK_MARKERS


def _readings(entries: Sequence[_Entry], previous: str | None) -> list[_Entry]:
    """The entries a name can mean after ``previous``; a bare shared name means the kecamatan."""
    allowed = [e for e in entries if _marker_ok(e.marker, previous)]
    kecamatan = [e for e in allowed if e.kind == "kecamatan"]
    if previous in DESA_MARKERS:
        return [e for e in allowed if e.kind != "kecamatan"] or kecamatan
    return kecamatan or allowed


def _fuzzy_key(index: LocationIndex, window: str) -> tuple[str, ...] | None:
    """The one name within one edit of ``window``, if exactly one."""
    if len(window) not in index.fuzzy_lengths:
        return None
    found = set(index.fuzzy_deletes.get(window, ()))
    for shorter in _deletions(window):
        if shorter in index.fuzzy_names:
            found.add(shorter)
        found |= index.fuzzy_deletes.get(shorter, frozenset())
    found = {name for name in found if _within_one_edit(window, name)}
    return index.fuzzy_names[found.pop()] if len(found) == 1 else None


def _match_at(
    index: LocationIndex, words: Sequence[str], start: int
) -> tuple[int, list[_Entry], str] | None:
    """The longest name starting at ``start``: (its length in words, readings, text)."""
    previous = words[start - 1] if start else None
    for size in range(min(index.max_words, len(words) - start), 0, -1):
        window = tuple(words[start : start + size])
        if window in index.names:
            readings = _readings(index.names[window], previous)
            if readings:
                return size, readings, " ".join(window)
        # One-word typos only after a marker (see the module doc); in longer names one typo
        # leaves all words but one intact, which rules out most windows cheaply.
        if size == 1 and not _marker_ok("weak", previous):
            continue
        if size > 1 and sum(word not in index.name_words for word in window) > 1:
            continue
        key = _fuzzy_key(index, " ".join(window))
        readings = _readings(index.names[key], previous) if key else []
        if readings:
            return size, readings, " ".join(window)
    return None


def _scan(index: LocationIndex, words: Sequence[str]) -> list[tuple[list[_Entry], str]]:
    found, position = [], 0
    while position < len(words):
        match = _match_at(index, words, position)
        if match is None:
            position += 1
            continue
        size, readings, text = match
        if position == 0 or words[position - 1] not in NOT_A_PLACE_BEFORE:
            found.append((readings, text))
        position += size
    return found


def _resolve(found: list[tuple[list[_Entry], str]]) -> LocationMatch:
    """One kecamatan (and desa) consistent with every name found, or the candidates."""
    precise = [(r, t) for r, t in found if not all(e.weak for e in r)]
    used = precise or found
    if not used:
        return NO_LOCATION
    options = [frozenset().union(*(e.kecamatan_codes for e in r)) for r, _ in used]
    common = frozenset.intersection(*options)
    matched = ", ".join(dict.fromkeys(t for _, t in used))
    if len(common) != 1:
        candidates = tuple(sorted(common or frozenset().union(*options)))
        return LocationMatch(None, None, True, candidates, matched)
    (kecamatan,) = common
    desa = {
        e.desa_code for r, _ in used for e in r if e.desa_code and kecamatan in e.kecamatan_codes
    }
    desa_code = desa.pop() if len(desa) == 1 else None
    return LocationMatch(kecamatan, desa_code, False, (), matched)


def find_location(text: str, places: LocationIndex | Sequence[Place]) -> LocationMatch:
    """The kecamatan and desa that ``text`` names (see the module doc for the rules)."""
    index = places if isinstance(places, LocationIndex) else _index_for(tuple(places))
    return _resolve(_scan(index, normalize_words(text)))
