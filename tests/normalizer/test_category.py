"""classify: what a complaint is about, from keywords, abbreviations and misspellings."""

from __future__ import annotations

import pytest

from config.reference import Category, load_categories
from normalizer.category import (
    NO_CATEGORY,
    CategoryIndex,
    CategoryMatch,
    build_category_index,
    classify,
    normalize_words,
)


def category(code: str, *keywords: str, priority: int = 0) -> Category:
    return Category(code, code.title(), code, keywords, "agency", priority)


# A small set that isolates each rule from the shipped keyword lists.
TOY = (
    category("jalan", "jalan", "jalan rusak", "jembatan", "gorong-gorong"),
    category("lampu", "lampu jalan"),
    category("listrik", "mati lampu", "pln"),
    category("air", "air mati", "pdam", "air tidak mengalir"),
    category("sekolah", "sekolah", "guru"),
    category("kesehatan", "puskesmas"),
    category("pungli", "pungli", "minta uang", priority=1),
)


@pytest.fixture(scope="module")
def toy() -> CategoryIndex:
    return build_category_index(TOY)


TOY_CASES = [
    # label, text, (code, ambiguous, candidates)
    ("single keyword", "jembatan putus", ("jalan", False, ("jalan",))),
    ("case and punctuation", "JEMBATAN!!! putus...", ("jalan", False, ("jalan",))),
    ("letters typed 3+ times", "jalannn rusakkkk", ("jalan", False, ("jalan",))),
    ("letter typed twice", "jembatann putus", ("jalan", False, ("jalan",))),
    ("suffix -nya", "jembatannya putus", ("jalan", False, ("jalan",))),
    ("abbreviation jln", "jln rusak parah", ("jalan", False, ("jalan",))),
    ("abbreviation jl.", "Jl. Lebe Kader", ("jalan", False, ("jalan",))),
    ("abbreviation tdk", "air tdk mengalir", ("air", False, ("air",))),
    ("abbreviation gk", "air gk mengalir", ("air", False, ("air",))),
    ("abbreviation skul", "skul tutup", ("sekolah", False, ("sekolah",))),
    ("abbreviation puskes", "puskes tutup", ("kesehatan", False, ("kesehatan",))),
    ("reduplication with 2", "gorong2 ambruk", ("jalan", False, ("jalan",))),
    ("reduplication with hyphen", "gorong-gorong ambruk", ("jalan", False, ("jalan",))),
    ("phrase consumes its words", "lampu jalan mati", ("lampu", False, ("lampu",))),
    ("word order matters", "mati lampu lagi", ("listrik", False, ("listrik",))),
    ("more points win", "jalan rusak dekat sekolah", ("jalan", False, ("jalan",))),
    ("tie is ambiguous", "sekolah dan puskesmas", (None, True, ("sekolah", "kesehatan"))),
    ("phrase tie", "jalan rusak dan air mati", (None, True, ("jalan", "air"))),
    ("priority wins", "guru sekolah minta uang", ("pungli", False, ("pungli",))),
    ("nothing", "halo min", (None, False, ())),
    ("empty", "", (None, False, ())),
]


@pytest.mark.parametrize(("label", "text", "expected"), TOY_CASES, ids=[c[0] for c in TOY_CASES])
def test_classify_rules(toy: CategoryIndex, label: str, text: str, expected: tuple) -> None:
    match = classify(text, toy)
    assert (match.code, match.ambiguous, match.candidates) == expected


def test_score_is_the_winners_share_of_points(toy: CategoryIndex) -> None:
    assert classify("jembatan putus", toy).score == 1.0
    assert classify("jalan rusak dekat sekolah", toy).score == pytest.approx(2 / 3)
    assert classify("sekolah dan puskesmas", toy).score == 0.5
    assert classify("apa kabar", toy) == NO_CATEGORY


def test_a_plain_list_of_categories_works_too() -> None:
    assert classify("PDAM mati", list(TOY)) == CategoryMatch("air", 1.0, False, ("air",))


def test_keywords_that_read_the_same_in_two_categories_are_refused() -> None:
    clash = (category("jalan", "jalan rusak"), category("lain", "jln rusak"))
    with pytest.raises(ValueError, match=r"'jln rusak' of category 'lain'.*'jalan'"):
        build_category_index(clash)


def test_normalize_words() -> None:
    assert normalize_words("Rmh sy dkt SKUL, 3kg gas!!") == [
        "rumah", "saya", "dkt", "sekolah", "3", "kg", "gas"
    ]  # fmt: skip


# The shipped categories on messages as citizens write them.
SHIPPED_CASES = [
    ("Jalan berlubang depan SD udh 3 bulan", "jalan"),
    ("aer mati trs di kampung kami", "air"),
    ("Tirta Tawar pipa bocor", "air"),
    ("mati lampu tiap malam, PLN kemana", "listrik"),
    ("lampu jln depan rmh mati", "lampu_jalan"),
    ("street light broken", "lampu_jalan"),
    ("puskes kehabisan obat", "kesehatan"),
    ("IGD RSUD Datu Beru lambat", "rumah_sakit"),
    ("guru honor blm gajian", "pendidikan"),
    ("e-KTP sy blm jadi", "adminduk"),
    ("KTP-el hilang", "adminduk"),
    ("PKH dicoret pdhl miskin", "bansos"),
    ("sampahhh numpukkk", "sampah"),
    ("limbah pabrik kopi ke sungai", "lingkungan"),
    ("balap liar tiap malam", "ketertiban"),
    ("oknum capil minta uang biar ktp cepat jadi", "korupsi"),
    ("lampu merah mati", "transportasi"),
    ("reje kampung tdk transparan", "pemerintahan_kampung"),
    ("longsor menutup jalan", "bencana"),
    ("pupuk subsidi langka", "pertanian"),
    ("gas elpiji 3kg langka", "perdagangan"),
    ("izin usaha blm keluar", "perizinan"),
    ("bantuan bedah rumah", "perumahan"),
    ("blank spot tdk ada sinyal", "telekomunikasi"),
]


@pytest.mark.parametrize(("text", "code"), SHIPPED_CASES)
def test_shipped_categories(text: str, code: str) -> None:
    assert classify(text, load_categories()).code == code
