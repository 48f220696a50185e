"""Are two complaints about the same thing? Is a message too thin to be one? Pure functions.

Text similarity is the Jaccard index of the two texts' content words: the words as the
category matcher reads them (lower case, SMS abbreviations expanded, "jalan2" = "jalan"),
without Indonesian function words, greetings and politeness, with doubled letters collapsed
("kebayakkan" = "kebayakan") and the suffix -nya dropped. An operator can check a score by
hand: shared words / all words. Two messages whose category, kecamatan or desa are both known
and differ are not the same problem, whatever their words (``conflict``). The thresholds were
set on tests/fixtures/similarity_pairs.csv (tests/dispatcher/test_similarity.py prints how
they do there).

Low information: a message that is only greetings and politeness, has fewer than
``MIN_CONTENT_WORDS`` content words and names neither a category nor a place, or reads like
promotional spam (several promotion markers, with a link or a phone number).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from normalizer.category import normalize_words

# Same contact within 72 hours: the message joins the open case (an operator can split it).
FOLLOW_UP_THRESHOLD = 0.3
# Different contacts, same category and kecamatan within 7 days: only a suggestion that an
# operator confirms or rejects, so it may err towards asking.
DUPLICATE_THRESHOLD = 0.25
MIN_CONTENT_WORDS = 3


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words, greetings, politeness and complaint filler: words that say nothing about
# which problem a message is about. Written as normalize_words() returns them.
STOPWORDS = _words(
    """
    yang dan di ke dari dengan untuk pada dalam ini itu ada adalah akan atau juga sudah belum
    tidak bukan sangat banget sekali lagi masih terus sama saja pun kah lah nya karena sejak
    sampai hingga oleh para bagi agar supaya kalau jika bila tapi tetapi namun lalu kemudian
    saya kami kita aku anda kamu dia mereka beliau warga kampung desa kecamatan kabupaten
    pak bapak bu ibu min admin mas mbak bang kak dek
    halo hallo hai hi hello assalamualaikum asalamualaikum assalamu alaikum salam wr wb
    selamat pagi siang sore malam permisi maaf terima kasih makasih thanks thank you tks
    mohon tolong minta harap segera cepat mau ingin lapor melapor laporan aduan mengadu
    keluhan pengaduan menyampaikan sampaikan info informasi tanya bertanya
    ditindak tindak lanjut lanjuti ditindaklanjuti ditangani perhatian diperhatikan
    sekarang kemarin hari ini tadi the a an of to in is and please
    ok oke okay ya iya yaa sip test tes testing coba p ping
    """
)

_DOUBLE = re.compile(r"([a-z])\1")
_LINK = re.compile(r"https?://|www\.|\b[a-z0-9-]+\.(?:com|id|net|xyz|co|ly|me|io|site)\b|wa\.me/")
_PHONE = re.compile(r"(?:\+?62|0)8\d{7,11}")
# Promotion and scam markers as they appear in Indonesian spam SMS.
SPAM_MARKERS = _words(
    """
    promo diskon gratis hadiah undian pemenang menang selamat klik daftar bonus deposit
    slot gacor judi togel jackpot maxwin pinjaman pinjol dana cair tanpa jaminan kredit
    pulsa kuota voucher cashback investasi profit untung transfer rekening hubungi wa
    """
)
MIN_SPAM_MARKERS = 3


def content_words(text: str) -> frozenset[str]:
    """The words of ``text`` that say what it is about (see the module doc)."""
    words = set()
    for word in normalize_words(text):
        if word in STOPWORDS or word.isdigit() or len(word) < 2:
            continue
        if len(word) > 5:
            word = word.removesuffix("nya")
        words.add(_DOUBLE.sub(r"\1", word))
    return frozenset(words)


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    left, right = set(a), set(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def text_similarity(a: str, b: str) -> float:
    """0.0 (nothing shared) to 1.0 (the same content words)."""
    return jaccard(content_words(a), content_words(b))


@dataclass(frozen=True)
class Gist:
    """What a message is about, as far as comparing it with another goes."""

    words: frozenset[str]
    category: str | None = None
    kecamatan_code: str | None = None
    desa_code: str | None = None

    @classmethod
    def of(
        cls,
        text: str,
        category: str | None = None,
        kecamatan_code: str | None = None,
        desa_code: str | None = None,
    ) -> Gist:
        return cls(content_words(text), category, kecamatan_code, desa_code)


def conflict(a: Gist, b: Gist) -> str | None:
    """The field both name and disagree on ("category", "kecamatan", "desa"), or None."""
    for name in ("category", "kecamatan_code", "desa_code"):
        left, right = getattr(a, name), getattr(b, name)
        if left and right and left != right:
            return name.removesuffix("_code")
    return None


def similarity(a: Gist, b: Gist) -> float:
    """Jaccard of the content words, 0.0 when the two name different categories or places."""
    return 0.0 if conflict(a, b) else jaccard(a.words, b.words)


def low_information(text: str, *, has_category: bool, has_place: bool) -> str | None:
    """Why ``text`` is too thin to open a case ("greeting", "too_short", "spam"), or None."""
    lowered = text.casefold()
    markers = {word for word in normalize_words(text) if word in SPAM_MARKERS}
    if len(markers) >= MIN_SPAM_MARKERS and (_LINK.search(lowered) or _PHONE.search(lowered)):
        return "spam"
    words = content_words(text)
    if not words:
        return "greeting"
    if len(words) < MIN_CONTENT_WORDS and not has_category and not has_place:
        return "too_short"
    return None
