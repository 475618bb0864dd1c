"""How many SMS segments a text costs: GSM-7 or UCS-2, as carriers count them.

A text made only of GSM 03.38 characters is sent in GSM-7: 160 septets in one segment, 153 per
segment when it needs several (the rest carries the concatenation header). Characters of the
extension table (``^ { } \\ [ ~ ] | €`` and form feed) cost two septets. One character outside
GSM 03.38 (an emoji, Chinese, a curly quote) switches the whole text to UCS-2: 70 UTF-16 code
units in one segment, 67 per segment otherwise; characters beyond the BMP cost two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
_GSM7 = GSM7_BASIC | GSM7_EXTENSION
_EXTENDED = re.compile("[" + re.escape("".join(sorted(GSM7_EXTENSION))) + "]")
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int

    @property
    def first_segment_capacity(self) -> int:
        """Units that fit in the first segment of this text as it will be sent."""
        if self.encoding == "GSM-7":
            return GSM7_SINGLE if self.segments == 1 else GSM7_PART
        return UCS2_SINGLE if self.segments == 1 else UCS2_PART


def is_gsm7(text: str) -> bool:
    return _GSM7.issuperset(text)


def units(text: str, gsm7: bool) -> int:
    if gsm7:  # an extension character costs two septets
        if GSM7_EXTENSION.isdisjoint(text):
            return len(text)
        return len(text) + len(_EXTENDED.findall(text))
    return len(text.encode("utf-16-le")) // 2


@lru_cache(maxsize=256)  # a message is priced at the budget gate, then paced: counted once
def count_segments(text: str) -> SegmentCount:
    gsm7 = is_gsm7(text)
    size = units(text, gsm7)
    single, part = (GSM7_SINGLE, GSM7_PART) if gsm7 else (UCS2_SINGLE, UCS2_PART)
    segments = 1 if size <= single else -(-size // part)
    return SegmentCount("GSM-7" if gsm7 else "UCS-2", size, segments)


def fits_first_segment(line: str, whole: str) -> bool:
    """Whether ``line`` (the start of ``whole``) arrives entirely in the first segment."""
    count = count_segments(whole)
    return units(line, count.encoding == "GSM-7") <= count.first_segment_capacity
