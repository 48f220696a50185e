"""What a complaint is about: the category whose keywords a free text uses most.

Pure, no I/O: ``build_category_index(categories)`` compiles the keywords once, and
``classify(text, index)`` runs for every message.

How a text is read:

- Words are lower-cased; accents and punctuation go; a letter typed three or more times
  counts once ("rusakkkk"); "3kg" is "3 kg"; a reduplicated word counts once ("jalan2",
  "gorong-gorong" and "gorong gorong" all read "gorong").
- General SMS abbreviations are expanded (``SMS_ABBREVIATIONS``: yg, tdk, gk, jln, rmh, skul,
  puskes ...); keywords are read the same way, so "jln rusak" in the data means "jalan rusak".
- A word that is not a keyword is retried without doubled letters ("sampahh") and without the
  suffix -nya ("jalannya").
- Keywords are matched longest first, left to right, and a word belongs to one keyword only:
  in "lampu jalan mati" the phrase "lampu jalan" is found and "jalan" is not counted again.
  A keyword scores one point per word, so phrases outweigh single words.
- The category with the most points wins, except that a category with a higher ``priority``
  wins whenever it matched at all (korupsi: pungli is the Inspektorat's whatever the service).
  Two categories with the same top points are a tie: ``ambiguous``, and no code.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from config.reference import Category

# General SMS/chat spellings -> the words keywords are written in. Category-specific slang
# (puskes, pju, ektp ...) belongs in categories.toml instead.
SMS_ABBREVIATIONS: dict[str, str] = {
    "yg": "yang", "tdk": "tidak", "tak": "tidak", "gk": "tidak", "gak": "tidak",
    "ga": "tidak", "gx": "tidak", "ngga": "tidak", "nggak": "tidak", "enggak": "tidak",
    "kagak": "tidak", "blm": "belum", "blom": "belum", "belom": "belum", "sdh": "sudah",
    "udh": "sudah", "udah": "sudah", "dah": "sudah", "dgn": "dengan", "dg": "dengan",
    "krn": "karena", "karna": "karena", "rmh": "rumah", "jln": "jalan", "jl": "jalan",
    "jaln": "jalan", "skul": "sekolah", "sklh": "sekolah", "sekul": "sekolah",
    "skolah": "sekolah", "puskes": "puskesmas", "pkm": "puskesmas", "rs": "rumah sakit",
    "bgt": "banget", "sy": "saya", "aq": "saya", "org": "orang", "tlg": "tolong",
    "utk": "untuk", "untk": "untuk", "dr": "dari", "dpn": "depan", "bln": "bulan",
    "thn": "tahun", "hr": "hari", "mlm": "malam", "sgt": "sangat", "lg": "lagi",
    "jg": "juga", "trs": "terus", "pdhl": "padahal", "bs": "bisa", "msh": "masih",
    "kmrn": "kemarin", "smua": "semua", "knp": "kenapa", "dlm": "dalam", "spt": "seperti",
    "tp": "tapi", "tpi": "tapi", "sm": "sama", "dmn": "dimana", "kpd": "kepada",
    "bbrp": "beberapa", "hrs": "harus", "aer": "air", "lstrik": "listrik", "lmpu": "lampu",
    "smpah": "sampah", "rsk": "rusak", "skrg": "sekarang", "bkn": "bukan", "byk": "banyak",
    "bnyk": "banyak", "mhn": "mohon", "kp": "kampung", "ds": "desa", "kab": "kabupaten",
    "kec": "kecamatan",
}  # fmt: skip

_REDUPLICATED = re.compile(r"\b([a-z]{2,})2\b")  # "jalan2", "anak2": the word repeated
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_LONG_RUN = re.compile(r"([a-z])\1{2,}")
_DOUBLE = re.compile(r"([a-z])\1")
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class CategoryMatch:
    """The category a text is about.

    ``score`` is the winner's share of all keyword points found (0.0 when nothing matched).
    When two categories tie, ``ambiguous`` is set, ``code`` is None and ``candidates`` names
    them; otherwise ``candidates`` is ``(code,)`` or empty.
    """

    code: str | None
    score: float
    ambiguous: bool
    candidates: tuple[str, ...]


NO_CATEGORY = CategoryMatch(None, 0.0, False, ())


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: it holds dicts
class CategoryIndex:
    """Keywords compiled for matching; build it with ``build_category_index``."""

    phrases: dict[tuple[str, ...], str]  # keyword words -> category code
    vocabulary: frozenset[str]
    priorities: dict[str, int]
    order: tuple[str, ...]  # category codes as listed in the data file
    max_words: int


# --- text ---------------------------------------------------------------------------------


def _raw_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _REDUPLICATED.sub(r"\1", text)
    text = _LONG_RUN.sub(r"\1", _LETTER_DIGIT.sub(" ", text))
    words: list[str] = []
    for word in _TOKEN.findall(text):
        for part in SMS_ABBREVIATIONS.get(word, word).split():
            # "gorong-gorong" and "gorong2" are one word, as keywords are written either way.
            if not words or words[-1] != part:
                words.append(part)
    return words


def _repair(word: str, vocabulary: frozenset[str]) -> str:
    """``word``, or the keyword word it is a stretched or suffixed spelling of."""
    if word in vocabulary:
        return word
    for candidate in (_DOUBLE.sub(r"\1", word), word.removesuffix("nya")):
        if candidate in vocabulary:
            return candidate
    return word


def normalize_words(text: str, vocabulary: frozenset[str] = frozenset()) -> list[str]:
    """The words of ``text`` as keywords are written (see the module doc)."""
    return [_repair(word, vocabulary) for word in _raw_words(text)]


# --- index --------------------------------------------------------------------------------


def build_category_index(categories: Iterable[Category]) -> CategoryIndex:
    """Compile every category's keywords for ``classify``."""
    categories = tuple(categories)
    phrases: dict[tuple[str, ...], str] = {}
    for category in categories:
        for keyword in category.keywords:
            words = tuple(_raw_words(keyword))
            owner = phrases.setdefault(words, category.code)
            if words and owner != category.code:
                raise ValueError(
                    f"keyword {keyword!r} of category {category.code!r} reads the same as a "
                    f"keyword of {owner!r}"
                )
    phrases.pop((), None)
    return CategoryIndex(
        phrases=phrases,
        vocabulary=frozenset(word for words in phrases for word in words),
        priorities={c.code: c.priority for c in categories},
        order=tuple(c.code for c in categories),
        max_words=max((len(words) for words in phrases), default=1),
    )


@lru_cache(maxsize=4)
def _index_for(categories: tuple[Category, ...]) -> CategoryIndex:
    return build_category_index(categories)


# --- classifying --------------------------------------------------------------------------


def keyword_points(text: str, index: CategoryIndex) -> Counter[str]:
    """Points per category: each keyword found, longest first, scores its number of words."""
    words = normalize_words(text, index.vocabulary)
    points: Counter[str] = Counter()
    position = 0
    while position < len(words):
        for size in range(min(index.max_words, len(words) - position), 0, -1):
            code = index.phrases.get(tuple(words[position : position + size]))
            if code is not None:
                points[code] += size
                position += size
                break
        else:
            position += 1
    return points


def classify(text: str, categories: CategoryIndex | Sequence[Category]) -> CategoryMatch:
    """The category ``text`` is about, or none, or a tie (see the module doc)."""
    index = categories if isinstance(categories, CategoryIndex) else _index_for(tuple(categories))
    points = keyword_points(text, index)
    if not points:
        return NO_CATEGORY
    top_priority = max(index.priorities[code] for code in points)
    contenders = {c: p for c, p in points.items() if index.priorities[c] == top_priority}
    best = max(contenders.values())
    winners = tuple(c for c in index.order if contenders.get(c) == best)
    score = best / sum(points.values())
    if len(winners) > 1:
        return CategoryMatch(None, score, True, winners)
    return CategoryMatch(winners[0], score, False, winners)
