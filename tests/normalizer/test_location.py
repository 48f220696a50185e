"""find_location: kecamatan and desa names of Aceh Tengah in free text, one rule per row."""

from __future__ import annotations

import pytest

from config.reference import Place, load_gazetteer
from normalizer.location import (
    NO_LOCATION,
    LocationIndex,
    LocationMatch,
    build_location_index,
    find_location,
)

LINGE, SILIH_NARA, BEBESEN, PEGASING, BINTANG, KETOL = (
    "11.04.01", "11.04.02", "11.04.03", "11.04.07", "11.04.08", "11.04.10"
)  # fmt: skip
KEBAYAKAN, KUTE_PANANG, LAUT_TAWAR, ATU_LINTANG, JAGONG_JEGET, RUSIP_ANTARA = (
    "11.04.11", "11.04.12", "11.04.17", "11.04.18", "11.04.19", "11.04.21"
)  # fmt: skip


@pytest.fixture(scope="module")
def index() -> LocationIndex:
    return build_location_index(load_gazetteer())


def found(kecamatan: str, desa: str | None = None) -> tuple[str | None, str | None, bool, tuple]:
    return kecamatan, desa, False, ()


def ambiguous(*candidates: str) -> tuple[str | None, str | None, bool, tuple]:
    return None, None, True, candidates


NOTHING = (None, None, False, ())

CASES = [
    # label, text, (kecamatan, desa, ambiguous, candidates)
    ("desa after kampung", "jln di kampung Kenawat rusak", found(LAUT_TAWAR, "11.04.17.2008")),
    ("desa without marker", "air mati di Bale Atu", found(LAUT_TAWAR, "11.04.17.2004")),
    ("kecamatan name", "puskesmas Ketol tutup", found(KETOL)),
    ("kecamatan after Kec.", "Kec. Celala, jembatan lapuk", found("11.04.13")),
    ("upper case and spacing", "LAMPU MATI DI   KUTE   PANANG", found(KUTE_PANANG)),
    ("Lut Tawar for Laut Tawar", "warga Lut Tawar mengeluh", found(LAUT_TAWAR)),
    ("Laut Tawar as written", "kecamatan laut tawar", found(LAUT_TAWAR)),
    ("hyphenated desa", "kampung Asir-Asir gelap", found(LAUT_TAWAR, "11.04.17.2002")),
    ("hyphen written as space", "Pedemun One One", found(LAUT_TAWAR, "11.04.17.2010")),
    ("one-word spelling", "puskesmas Silihnara", found(SILIH_NARA)),
    ("one-word spelling 2", "dari Atulintang ke kota", found(ATU_LINTANG)),
    ("roman numeral", "Blang Kolak II", found(BEBESEN, "11.04.03.2010")),
    ("numeral as digit", "blang kolak 1", found(BEBESEN, "11.04.03.2001")),
    ("numeral as word", "Simpang Empat Bebesen", found(BEBESEN, "11.04.03.2012")),
    ("Belang for Blang", "belang gele", found(BEBESEN, "11.04.03.2007")),
    ("longest name wins", "desa Bintang Kekelip", found(ATU_LINTANG, "11.04.18.2008")),
    ("longest name wins 2", "Paya Tumpi Baru", found(KEBAYAKAN, "11.04.11.2017")),
    ("family name", "eceng gondok di Toweren", found(LAUT_TAWAR)),
    ("family with numerals", "jalan di Blang Kolak", found(BEBESEN)),
    ("short form of kecamatan", "mati lampu di Jagong", found(JAGONG_JEGET)),
    ("shared name means kecamatan", "SD Negeri 5 Linge", found(LINGE)),
    ("shared name after desa", "desa Linge", found(LINGE, "11.04.01.2015")),
    ("letters typed 3 times", "di Kenawattt", found(LAUT_TAWAR, "11.04.17.2008")),
    ("typo after di", "air mati di Bebsen", found(BEBESEN)),
    ("typo: doubled letter", "Jln di Kebayakkan", found(KEBAYAKAN)),
    ("typo without marker", "Bebsen", NOTHING),
    ("typo in long name", "desa kala lengkoi", found(KEBAYAKAN, "11.04.11.2015")),
    ("typo in second word", "Toweren Ukem", found(LAUT_TAWAR, "11.04.17.2015")),
    ("no typo on short names", "di Kunk", NOTHING),
    ("no typo on numerals", "desa Kuala 3", NOTHING),
    ("common word needs marker", "di balik rumah ada sampah", NOTHING),
    ("common word with marker", "kp. Balik", found(KUTE_PANANG, "11.04.12.2002")),
    ("common phrase needs marker", "lubang di jalan tengah kota", NOTHING),
    ("common phrase as one word", "di jalantengah", NOTHING),
    ("common phrase with marker", "kampung Jalan Tengah", found(KETOL, "11.04.10.2022")),
    ("Bintang needs kec", "Puskesmas Bintang tutup", NOTHING),
    ("Bintang after kec", "KTP di kecamatan Bintang", found(BINTANG)),
    ("short name needs marker", "bah, jalan longsor", NOTHING),
    ("short common name needs kp", "di bah", NOTHING),
    ("short name after kp", "sy di kp. Bah", found(KETOL, "11.04.10.2001")),
    ("short name after di", "hama kopi di Bies", found("11.04.20")),
    ("short name after English in", "potholes in Bies", found("11.04.20")),
    ("lake is not the kecamatan", "sampah di danau Lut Tawar", NOTHING),
    ("desa in two kecamatan", "judi di kampung Umang", ambiguous(LINGE, BEBESEN)),
    ("settled by kecamatan", "Reje kampung Umang kec Linge", found(LINGE, "11.04.01.2023")),
    ("settled by kecamatan after", "miras di Jerata, Ketol", found(KETOL, "11.04.10.2023")),
    (
        "two desa in two kecamatan",
        "jalan dari Kenawat ke Mendale",
        ambiguous(KEBAYAKAN, LAUT_TAWAR),
    ),
    ("two desa in one kecamatan", "dari Kenawat ke Bale Atu", found(LAUT_TAWAR)),
    ("town alone", "pasar Takengon", ambiguous(BEBESEN, KEBAYAKAN, LAUT_TAWAR)),
    ("town yields to desa", "Kenawat, Takengon", found(LAUT_TAWAR, "11.04.17.2008")),
    ("town yields to kecamatan", "ke kec Pegasing lalu ke Takengon", found(PEGASING)),
    ("desa named after town", "Takengon Barat", found(LAUT_TAWAR, "11.04.17.2012")),
    ("English text", "Road to Jagong Jeget is damaged", found(JAGONG_JEGET)),
    ("nothing", "halo min, sy mau lapor", NOTHING),
    ("empty", "", NOTHING),
    (
        "outside the district",
        "jalan Takengon-Bireuen arah Pondok Baru",
        ambiguous(BEBESEN, KEBAYAKAN, LAUT_TAWAR),
    ),
    ("kecamatan multi-word", "flood in Rusip Antara", found(RUSIP_ANTARA)),
]


@pytest.mark.parametrize(("label", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_find_location(index: LocationIndex, label: str, text: str, expected: tuple) -> None:
    match = find_location(text, index)
    assert (match.kecamatan_code, match.desa_code, match.ambiguous, match.candidates) == expected


def test_matched_names_are_reported(index: LocationIndex) -> None:
    assert find_location("Reje kampung Umang kec Linge", index).matched == "umang, linge"
    assert find_location("di Bebsen", index).matched == "bebsen"
    assert find_location("tidak ada tempat", index) == NO_LOCATION


def test_a_plain_list_of_places_works_too() -> None:
    places = [
        Place("11.04", "Kabupaten Aceh Tengah", 2, None),
        Place("11.04.17", "Laut Tawar", 3, "11.04"),
        Place("11.04.17.2008", "Kenawat", 4, "11.04.17"),
    ]
    assert find_location("desa kenawat", places) == LocationMatch(
        "11.04.17", "11.04.17.2008", False, (), "kenawat"
    )
    assert find_location("lut tawar", places).kecamatan_code == "11.04.17"
    assert find_location("Bebesen", places) == NO_LOCATION


def test_a_desa_shared_by_two_kecamatan_in_a_small_gazetteer() -> None:
    places = [
        Place("1", "Kabupaten", 2, None),
        Place("1.1", "Hulu", 3, "1"),
        Place("1.2", "Hilir", 3, "1"),
        Place("1.1.1", "Sukamaju", 4, "1.1"),
        Place("1.2.1", "Sukamaju", 4, "1.2"),
    ]
    index = build_location_index(places)
    assert find_location("kampung sukamaju", index).candidates == ("1.1", "1.2")
    assert find_location("kampung sukamaju, kec hilir", index) == LocationMatch(
        "1.2", "1.2.1", False, (), "sukamaju, hilir"
    )
