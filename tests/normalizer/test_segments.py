"""SMS segment counting against Twilio's own calculator tests, plus the edges around them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from normalizer.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SegmentCount,
    count_segments,
    is_gsm7,
)

FIXTURE = Path(__file__).parent.parent / "fixtures" / "twilio_segment_calculator_vectors.json"
VECTORS = json.loads(FIXTURE.read_text(encoding="utf-8"))
BITS_PER_UNIT = {"GSM-7": 7, "UCS-2": 16}


def test_fixture_keeps_its_source_note():
    assert "TwilioDevEd/message-segment-calculator" in VECTORS["_source"]
    assert set(VECTORS["gsm7_escape_chars"]) <= GSM7_EXTENSION


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: case["testDescription"])
def test_twilio_calculator_vectors(case):
    result = count_segments(case["body"])
    assert result.encoding == case["encoding"]
    assert result.segments == case["segments"]
    # messageSize is the payload in bits without headers: units times the unit width.
    assert result.units * BITS_PER_UNIT[case["encoding"]] == case["messageSize"]


COUNT_CASES = [
    ("empty is one empty sms", "", "GSM-7", 1, 0),
    ("indonesian text", "Jalan rusak di Bebesen sejak Maret.", "GSM-7", 1, 35),
    ("newline and at sign are basic", "a@b\nc", "GSM-7", 1, 5),
    ("euro is an escape", "€", "GSM-7", 1, 2),
    ("80 escapes fill one segment", "{" * 80, "GSM-7", 1, 160),
    ("81 escapes need two", "{" * 81, "GSM-7", 2, 162),
    # 152 septets then an escape: splitting it would fit 306 septets in two segments, but
    # the escape moves whole to the second segment, so one septet spills into a third.
    ("escape never split", "a" * 152 + "[" + "a" * 152, "GSM-7", 3, 306),
    ("exactly two gsm segments", "a" * 306, "GSM-7", 2, 306),
    ("one septet more", "a" * 307, "GSM-7", 3, 307),
    ("curly quote forces ucs-2", "Jl. \u201cMerdeka\u201d", "UCS-2", 1, 13),
    ("ellipsis char forces ucs-2", "tunggu\u2026", "UCS-2", 1, 7),
    ("lowercase c cedilla is not gsm", "ç", "UCS-2", 1, 1),
    ("arabic script", "\u0645\u0631\u062d\u0628\u0627", "UCS-2", 1, 5),
    ("emoji is a surrogate pair", "\U0001f600", "UCS-2", 1, 2),
    ("70 ucs-2 units fit one", "\u00e7" * 70, "UCS-2", 1, 70),
    ("71 ucs-2 units need two", "\u00e7" * 71, "UCS-2", 2, 71),
    # 66 units then a pair: the pair moves whole to the second segment, so 134 units that
    # would fit two segments if split spill one unit into a third.
    ("surrogate pair never split", "\u00e7" * 66 + "\U0001f600" + "x" * 66, "UCS-2", 3, 134),
    ("pair fits exactly at the end", "\u00e7" * 65 + "\U0001f600" + "x" * 67, "UCS-2", 2, 134),
]


@pytest.mark.parametrize(
    ("label", "text", "encoding", "segments", "units"),
    COUNT_CASES,
    ids=[case[0] for case in COUNT_CASES],
)
def test_counts(label, text, encoding, segments, units):
    assert count_segments(text) == SegmentCount(encoding, segments, units)


def test_basic_and_extension_tables_have_gsm_sizes():
    # 128 codes minus ESC; the extension characters used in text are ten.
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION
    assert "\x1b" not in GSM7_BASIC


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Selamat pagi", True), ("{[]}~|^\\€", True), ("Tab\there", False), ("`backtick`", False)],
)
def test_is_gsm7(text, expected):
    assert is_gsm7(text) is expected
