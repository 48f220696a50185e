"""Language guess on realistic messages: Indonesian by default, English only when clear."""

from __future__ import annotations

import pytest

from normalizer.language import ENGLISH, INDONESIAN, guess_language

# label, message, expected
# fmt: off
CASES = [
    ("indonesian complaint", "Jalan di Kampung Kung rusak parah sejak bulan lalu, mohon segera "
     "diperbaiki", "id"),
    ("indonesian sms style", "pak tolong lampu jalan di depan sd negeri 2 takengon mati udh "
     "seminggu", "id"),
    ("indonesian shouting", "AIR PDAM TIDAK MENGALIR SUDAH 3 HARI DI KEBAYAKAN", "id"),
    ("indonesian status question", "kenapa laporan saya belum ada tanggapan sampai sekarang?",
     "id"),
    ("english complaint", "The road to Bebesen has been broken for two months, please fix it",
     "en"),
    ("english lowercase", "there is no water in our house since yesterday", "en"),
    ("english question", "When will the street lights in Lut Tawar be repaired?", "en"),
    ("english shouting", "THE BRIDGE IS BROKEN AND CHILDREN CANNOT GO TO SCHOOL", "en"),
    ("mixed, mostly indonesian", "Tolong pak, the road di desa kami rusak dan belum diperbaiki",
     "id"),
    ("mixed, mostly english", "The garbage near pasar inpres has not been collected for a week",
     "en"),
    ("mixed tie goes to indonesian", "the road di desa is rusak", "id"),
    ("english loanwords in indonesian", "Sinyal internet dan wifi di kantor desa offline terus",
     "id"),
    ("one english word", "Help", "id"),
    ("two english words", "please help", "id"),
    ("short english", "thank you", "id"),
    ("command only", "CEK ABCDE-12345", "id"),
    ("empty", "", "id"),
    ("only numbers", "1708 1708 1708", "id"),
    ("emoji only", "\U0001f621\U0001f621\U0001f621", "id"),
    ("arabic script", "\u0627\u0644\u0637\u0631\u064a\u0642 \u0645\u0643\u0633\u0648\u0631 "
     "\u062c\u062f\u0627", "id"),
    ("place names are not words of either", "Bebesen Kebayakan Pegasing Silih Nara", "id"),
]
# fmt: on


@pytest.mark.parametrize(("label", "message", "expected"), CASES, ids=[c[0] for c in CASES])
def test_guess_language(label, message, expected):
    assert guess_language(message) == expected


def test_no_word_counts_for_both_languages():
    assert not ENGLISH & INDONESIAN


def test_word_lists_are_lowercase_words():
    for word in ENGLISH | INDONESIAN:
        assert word.isalpha()
        assert word == word.casefold()
