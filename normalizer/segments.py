"""How many SMS segments a text costs: GSM 03.38 (GSM-7) when every character fits, else UCS-2.

Carriers bill per segment and long messages arrive split, so replies are budgeted in segments.
One segment holds 160 septets (GSM-7) or 70 UTF-16 code units (UCS-2); once a message needs
more, each part loses room to the concatenation header: 153 septets or 67 code units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet, in table order (0x00-0x7F). 0x1B is the escape to the extension
# table, not a character a text can contain, so it is left out.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ"
    "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each character is sent as ESC + code, two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_LIMITS: dict[Encoding, int] = {"GSM-7": 160, "UCS-2": 70}
MULTIPART_LIMITS: dict[Encoding, int] = {"GSM-7": 153, "UCS-2": 67}


@dataclass(frozen=True)
class SegmentCount:
    """The cost of one text: its encoding, its segments, and its size in units.

    ``units`` are septets for GSM-7 (extension characters count two) and UTF-16 code units
    for UCS-2 (characters outside the BMP, such as most emoji, count two).
    """

    encoding: Encoding
    segments: int
    units: int


_GSM7 = GSM7_BASIC | GSM7_EXTENSION


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the GSM-7 basic or extension table."""
    return _GSM7.issuperset(text)


def count_segments(text: str) -> SegmentCount:
    """Encoding, segment count and units of ``text`` as a handset or Twilio would send it.

    An empty text is one (empty) segment, as Twilio's segment calculator reports it.
    """
    encoding: Encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    # Every character is one unit but the two-unit ones (replies are checked a few times
    # each, so the common single segment is counted without a list of sizes).
    if encoding == "GSM-7":
        units = len(text) + sum(ch in GSM7_EXTENSION for ch in text)
    else:
        units = len(text) + sum(ord(ch) > 0xFFFF for ch in text)
    if units <= SINGLE_LIMITS[encoding]:
        return SegmentCount(encoding, 1, units)
    sizes = [_unit_size(ch, encoding) for ch in text]
    return SegmentCount(encoding, _pack(sizes, MULTIPART_LIMITS[encoding]), units)


def _unit_size(ch: str, encoding: Encoding) -> int:
    if encoding == "GSM-7":
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1  # a surrogate pair in UTF-16


def _pack(sizes: list[int], capacity: int) -> int:
    """Segments needed when no character (escape pair or surrogate pair) may be split."""
    segments, used = 1, 0
    for size in sizes:
        if used + size > capacity:
            segments, used = segments + 1, 0
        used += size
    return segments
