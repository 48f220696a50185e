"""What triage reads in a text: junk signals as features, SMS shorthand read in context, and
stemmed words. Pure, no I/O: the stemmer arrives as an argument (config/triage_model.py
builds Sastrawi's once per process).

A signal is a thing spam and fraud are made of but that is not a word: a phone number in any
Indonesian spelling (0852-3377-1855, 0852 3173 7479, +62 812..., 6281...), a link or a
shortened link, a base64 blob, an APK file name, "ketik REG ... kirim ke 1234", a USSD code
(*123#), an amount of money (Rp 50.000, 100rb, 2jt), a one-time code. Signals are cut out of
the text before its words are read, so "0852" never becomes a word and "sd 30 Nov" is read
as "sampai 30 Nov", not as a primary school.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from normalizer.category import SMS_ABBREVIATIONS

Stemmer = Callable[[str], str]

# Shorthand the category matcher does not expand (it keeps its table for keywords), read
# for triage only. Context-dependent ones (sd, km, dr) are handled in ``_shorthand``.
TRIAGE_ABBREVIATIONS: dict[str, str] = {
    **SMS_ABBREVIATIONS,
    "pd": "pada", "td": "tadi", "bsk": "besok", "besuk": "besok", "nnti": "nanti",
    "ntar": "nanti", "ntr": "nanti", "mksh": "makasih", "makasi": "makasih", "tks": "makasih",
    "thx": "makasih", "tlp": "telepon", "telp": "telepon", "tf": "transfer", "trf": "transfer",
    "trnsfr": "transfer", "norek": "rekening", "rek": "rekening", "dpt": "dapat",
    "dapet": "dapat", "slmt": "selamat", "selamet": "selamat", "gmn": "bagaimana",
    "gimana": "bagaimana", "bgmn": "bagaimana", "kalo": "kalau", "klo": "kalau",
    "aja": "saja", "aj": "saja", "gw": "saya", "gue": "saya", "ane": "saya", "ak": "saya",
    "lu": "kamu", "lo": "kamu", "u": "kamu", "kmu": "kamu", "sampe": "sampai",
    "smpe": "sampai", "smp2": "sampai", "emg": "memang", "emang": "memang", "bkin": "bikin",
    "nyampe": "sampai", "otw": "jalan", "pls": "tolong", "plis": "tolong", "mhon": "mohon",
    "msk": "masuk", "kluar": "keluar", "klr": "keluar", "brp": "berapa", "brapa": "berapa",
    "jd": "jadi", "jdi": "jadi", "kyk": "seperti", "kek": "seperti", "bnr": "benar",
    "sblm": "sebelum", "stlh": "setelah", "ttg": "tentang", "sbg": "sebagai",
    "skt": "sakit", "lbh": "lebih", "spy": "supaya", "tsb": "tersebut", "hub": "hubungi",
    "info": "informasi", "gratiss": "gratis",
}  # fmt: skip

_MONTHS = [
    "jan",
    "feb",
    "mar",
    "apr",
    "mei",
    "jun",
    "jul",
    "agu",
    "agt",
    "ags",
    "sep",
    "okt",
    "nov",
    "des",
    "januari",
    "februari",
    "maret",
    "april",
    "juni",
    "juli",
    "agustus",
    "september",
    "oktober",
    "november",
    "desember",
    "akhir",
    "awal",
    "tgl",
    "tanggal",
    "jam",
    "hari",
    "minggu",
    "bulan",
    "besok",
    "nanti",
    "skrg",
    "sekarang",
    "selesai",
    "habis",
]

# Neighbours that make "sd" the school, or "until" (promos: "berlaku sd", "diskon sd 70%").
_SCHOOL_AFTER = frozenset({"negeri", "n", "inpres", "swasta", "it", "islam", "muhammadiyah",
                           "kelas", "sederajat"})  # fmt: skip
_SCHOOL_BEFORE = frozenset({"anak", "murid", "siswa", "siswi", "guru", "kepala", "kepsek",
                            "sekolah", "lulus", "lulusan", "tamat", "gedung"})  # fmt: skip
_UNTIL_BEFORE = frozenset({"berlaku", "promo", "diskon", "potongan", "cashback", "hemat",
                           "bonus", "mulai", "buka", "pukul", "tgl", "tanggal", "periode",
                           "hari", "gratis", "harga"})  # fmt: skip

# --- signals ----------------------------------------------------------------------------

_SHORTENERS = "|".join(
    re.escape(host)
    for host in (
        "bit.ly",
        "bitly.com",
        "s.id",
        "tinyurl.com",
        "cutt.ly",
        "goo.gl",
        "shorturl.at",
        "linktr.ee",
        "shp.ee",
        "tsel.me",
        "t.co",
        "rb.gy",
        "is.gd",
        "ow.ly",
        "v.gd",
        "wa.me",
        "t.me",
        "lnkd.in",
        "youtu.be",
    )
)
_TLDS = "com|id|net|org|xyz|co|ly|me|io|site|online|info|top|vip|click|link|pro|biz|app|club"
_REG = r"\b(?:ketik|ktk)\s+(?:\S+\s+){0,5}?(?:kirim|krm|sms)\s+(?:ke\s+)?\d{3,5}\b"
_MOBILE = r"(?<![\w])(?:\+?62[\s.-]?|0)8\d{1,3}(?:[\s.-]?\d{2,5}){1,4}(?![\w])"
_LANDLINE = r"(?<![\w])(?:\(0\d{2,3}\)|0\d{2,3})[\s.-]\d{3,4}[\s.-]?\d{3,5}(?![\w])"
_AMOUNT = r"\brp\.?\s?\d[\d.,]*|\b\d[\d.,]*\s?(?:rb|ribu|jt|juta|k|m|miliar)\b"
_LINK = rf"https?://\S+|www\.\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:{_TLDS})(?:/\S*)?\b"
_OTP = r"\b(?:otp|kode verifikasi|verification code|code:)\b|\b\d{3}-\d{3}\b"
SIGNAL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("shortlink", re.compile(rf"(?:https?://)?(?:www\.)?(?:{_SHORTENERS})/\S*", re.I)),
    ("link", re.compile(_LINK, re.I)),
    ("apk", re.compile(r"\b[\w-]+\.apk\b", re.I)),
    ("reg", re.compile(_REG, re.I)),
    ("ussd", re.compile(r"\*\d{2,4}(?:\*\d{1,4})*#")),
    ("phone", re.compile(_MOBILE)),
    ("phone", re.compile(_LANDLINE)),
    ("money", re.compile(_AMOUNT, re.I)),
    ("money", re.compile(r"\b\d{1,3}(?:[.,]\d{3})+\b")),
    ("otp", re.compile(_OTP, re.I)),
    ("base64", re.compile(r"(?<![\w/+])[A-Za-z0-9+/_-]{16,}={0,2}(?![\w/+=])")),
)
_BANK_LIKE = re.compile(r"\b\d{8,}\b")  # a long bare number left: an account or a phone
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


def _looks_base64(token: str) -> bool:
    """A long run of letters and digits that no one types: mixed case or digits inside, or
    padded with '='. Long Indonesian words ("ditindaklanjuti") are all lower case."""
    if token.endswith("="):
        return True
    has_upper = any(c.isupper() for c in token[1:])
    has_lower = any(c.islower() for c in token)
    has_digit = any(c.isdigit() for c in token)
    return (has_upper and has_lower and (has_digit or len(token) >= 20)) or (
        has_digit and has_lower and len(token) >= 20
    )


@dataclass(frozen=True)
class TextReading:
    """A text as triage reads it: its signals, its words (shorthand expanded) and their stems."""

    signals: tuple[str, ...]
    words: tuple[str, ...]
    stems: tuple[str, ...]
    letters: int  # letters left once signals are cut out


def find_signals(text: str) -> tuple[tuple[str, ...], str]:
    """The signals in ``text`` (one entry per occurrence) and the text with them cut out."""
    found: list[str] = []
    rest = text
    for name, pattern in SIGNAL_PATTERNS:

        def cut(match: re.Match[str], name: str = name) -> str:
            if name == "base64" and not _looks_base64(match.group(0)):
                return match.group(0)
            found.append(name)
            return " "

        rest = pattern.sub(cut, rest)
    for _ in _BANK_LIKE.finditer(rest):
        found.append("account")
    rest = _BANK_LIKE.sub(" ", rest)
    return tuple(found), rest


# --- words ------------------------------------------------------------------------------

_REDUPLICATED = re.compile(r"\b([a-z]{2,})2\b")
_LONG_RUN = re.compile(r"([a-z])\1{2,}")
_TOKEN = re.compile(r"[a-z]+|\d+")
_SLASH_SD = re.compile(r"\bs/d\b|\bs\.d\.?(?=\s)")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _SLASH_SD.sub(" sampai ", text)
    text = _REDUPLICATED.sub(r"\1", text)
    return _LONG_RUN.sub(r"\1", text)


def _shorthand(tokens: list[str]) -> list[str]:
    """Expand SMS shorthand, reading the ambiguous ones by their neighbours."""
    words: list[str] = []
    for i, word in enumerate(tokens):
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        before = tokens[i - 1] if i else ""
        if word == "sd":
            # "sd 30 nov", "sd jam 5", "sd akhir bulan", "berlaku sd 20", "10 sd 15": until.
            # "sd negeri 2", "anak sd", "guru sd": the primary school.
            school = after in _SCHOOL_AFTER or before in _SCHOOL_BEFORE
            until = not school and (
                after in _MONTHS
                or before in _UNTIL_BEFORE
                or before.isdigit()
                or (after.isdigit() and len(tokens) > i + 2 and tokens[i + 2] in _MONTHS)
            )
            words.append("sampai" if until else "sd")
        elif word == "km":
            words.append("kilometer" if after.isdigit() or before.isdigit() else "kamu")
        elif word == "dr":
            words.append("dokter" if after in ("spesialis", "gigi", "umum") else "dari")
        else:
            words.extend(TRIAGE_ABBREVIATIONS.get(word, word).split())
    return words


def read_text(text: str, stem: Stemmer) -> TextReading:
    """Signals, words and stems of ``text`` (see the module doc)."""
    signals, rest = find_signals(text)
    plain = _plain(rest)
    words = _shorthand(_TOKEN.findall(plain))
    words = [w for w in words if not w.isdigit()]
    stems = tuple(stem(w) if len(w) > 3 else w for w in words)
    return TextReading(signals, tuple(words), stems, len(_LETTERS.findall(rest)))


# --- features ---------------------------------------------------------------------------


def _length_bucket(count: int) -> str:
    if count == 0:
        return "len:0"
    if count <= 2:
        return "len:1-2"
    if count <= 5:
        return "len:3-5"
    if count <= 12:
        return "len:6-12"
    return "len:13+"


def features(reading: TextReading) -> dict[str, float]:
    """Counts of the features the model weighs: stems, stem pairs, character n-grams of the
    words (typos and unknown spellings still share most of them), signals and length."""
    counts: dict[str, float] = {}

    def add(name: str) -> None:
        counts[name] = counts.get(name, 0.0) + 1.0

    for name in reading.signals:
        add("s:" + name)
    add(_length_bucket(len(reading.words)))
    if reading.letters == 0:
        add("s:noletters")
    for stem_ in reading.stems:
        add("w:" + stem_)
    for left, right in zip(reading.stems, reading.stems[1:], strict=False):
        add(f"b:{left}_{right}")
    for word in reading.words:
        padded = f"<{word}>"
        for size in (3, 4, 5):
            for start in range(max(len(padded) - size + 1, 0)):
                add("c:" + padded[start : start + size])
    return counts


def tfidf(counts: dict[str, float], idf: dict[str, float]) -> dict[str, float]:
    """Sublinear tf x idf, L2-normalised, over the features the model knows (as scikit-learn's
    TfidfTransformer(sublinear_tf=True) computes it, so trained weights score the same)."""
    vector = {f: (1.0 + math.log(c)) * idf[f] for f, c in counts.items() if f in idf and c > 0}
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {f: v / norm for f, v in vector.items()} if norm else {}
