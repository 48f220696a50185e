"""Which language to answer in: Bahasa Indonesia unless the citizen clearly wrote English.

A count of common function words is enough for the two languages we answer in, and it never
surprises anyone: short or mixed messages get Indonesian, the language of the service.
"""

from __future__ import annotations

import re

DEFAULT_LANGUAGE = "id"

# English needs this many of its own words, and more than Indonesian has, to win.
MIN_ENGLISH_WORDS = 2
# Fewer words than this is too little to judge.
MIN_WORDS = 3


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Function words and the commonest words of complaints. A word used in both languages, or
# often used inside Indonesian texts, is in neither list: "no" (nomor), "ok", "info", "status",
# "internet", "online", and place-name parts.
INDONESIAN = _word_set(
    """
    yang dan di ke dari ini itu tidak tak belum sudah sedang akan ada adalah dengan untuk
    pada oleh karena atau juga tapi tetapi namun sejak sampai hingga masih sangat saja lagi
    bisa dapat harus mohon tolong terima kasih saya kami kita kamu anda mereka dia beliau
    kenapa mengapa bagaimana kapan mana dimana apa siapa berapa bapak ibu pak bu warga desa
    kampung jalan rusak banyak sekali para atas bawah dalam luar setiap tiap sering selalu
    segera agar supaya jika kalau bila tersebut bahwa seperti tanpa antara hari minggu bulan
    tahun lalu kemarin sekarang pagi siang sore malam tetap hanya baru lama
    """
)
ENGLISH = _word_set(
    """
    the and is are was were be been being to of in on at for with this that these those it
    its not there their they we our us you your my me he she his her have has had do does
    did please since because why when where how what which who still very from by an will
    would could should can cannot about into after before than then street road broken
    help thank thanks yesterday today week month year morning evening night near until
    """
)

_WORD = re.compile(r"[^\W\d_]+")


def guess_language(text: str) -> str:
    """ "en" when English function words clearly outnumber Indonesian ones, else "id"."""
    words = [word.casefold() for word in _WORD.findall(text)]
    if len(words) < MIN_WORDS:
        return DEFAULT_LANGUAGE
    english = sum(word in ENGLISH for word in words)
    indonesian = sum(word in INDONESIAN for word in words)
    if english >= MIN_ENGLISH_WORDS and english > indonesian:
        return "en"
    return DEFAULT_LANGUAGE
