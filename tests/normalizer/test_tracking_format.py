"""Reading tracking ids back from what citizens type, and showing them as XXXXX-XXXXX."""

from __future__ import annotations

import pytest

from normalizer.tracking import (
    ALPHABET,
    derive_tracking_id,
    format_tracking_id,
    normalize_tracking_id,
)

NORMALIZE_CASES = [
    ("canonical", "ABCDE12345", "ABCDE12345"),
    ("with hyphen", "ABCDE-12345", "ABCDE12345"),
    ("lower case", "abcde-12345", "ABCDE12345"),
    ("mixed case", "aBcDe12345", "ABCDE12345"),
    ("surrounding spaces", "  ABCDE-12345 \n", "ABCDE12345"),
    ("space for hyphen", "ABCDE 12345", "ABCDE12345"),
    ("en dash", "ABCDE\u201312345", "ABCDE12345"),
    ("full-width", "ＡＢＣＤＥ－１２３４５", "ABCDE12345"),
    ("O for zero", "ABCDE-O2345", "ABCDE02345"),
    ("o for zero", "abcde-o2345", "ABCDE02345"),
    ("I for one", "ABCDE-I2345", "ABCDE12345"),
    ("l for one", "abcde-l2345", "ABCDE12345"),
    ("whole alphabet tail", "VWXYZ-vwxyz", "VWXYZVWXYZ"),
    ("U is not crockford", "ABCDU12345", None),
    ("too short", "ABCDE1234", None),
    ("too long", "ABCDE123456", None),
    ("empty", "", None),
    ("only hyphen", "-", None),
    ("punctuation inside", "ABCDE.12345", None),
    ("star", "ABCDE*12345", None),
    ("sql-ish", "' OR 1=1--", None),
    ("emoji", "ABCDE1234\U0001f600", None),
    ("nul byte", "ABCDE\x0012345", None),
]


@pytest.mark.parametrize(
    ("label", "typed", "expected"), NORMALIZE_CASES, ids=[case[0] for case in NORMALIZE_CASES]
)
def test_normalize_tracking_id(label, typed, expected):
    assert normalize_tracking_id(typed) == expected


def test_format_tracking_id():
    assert format_tracking_id("ABCDE12345") == "ABCDE-12345"


@pytest.mark.parametrize("bad", ["abcde12345", "ABCDE-12345", "ABCDE1234", "ABCDU12345", ""])
def test_format_refuses_non_canonical(bad):
    with pytest.raises(ValueError, match="not a canonical tracking id"):
        format_tracking_id(bad)


@pytest.mark.parametrize("key", ["sms:SM1", "sms:SM2", "twitter:1460323737035677698", "web:x"])
def test_generated_ids_survive_the_round_trip(key):
    canonical = derive_tracking_id(key, "test-secret")
    shown = format_tracking_id(canonical)
    assert normalize_tracking_id(shown) == canonical
    assert normalize_tracking_id(shown.lower()) == canonical
    assert normalize_tracking_id(shown.replace("-", " ")) == canonical


def test_every_alphabet_character_is_kept():
    for start in range(0, len(ALPHABET), 10):
        chunk = (ALPHABET * 2)[start : start + 10]
        assert normalize_tracking_id(chunk) == chunk
