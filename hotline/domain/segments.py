"""How many SMS segments a text costs: GSM-7 (160 characters, 153 a part) or UCS-2 (70, 67 a part).

Twilio bills and rate-limits segments, not texts (../shared/reference/twilio-rq.md, "Long texts"
and "Throughput"): one accented letter outside the GSM 03.38 set (Spanish "á", "í", "ó", "ú" are
outside; "é", "ñ", "ü", "¿", "¡" are inside) or a curly quote turns the whole text into UCS-2.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# GSM 03.38: the basic set costs one septet, the extension set two; anything else forces UCS-2.
GSM_BASIC = ("@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5\u0394_\u03a6\u0393\u039b\u03a9"
             "\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9 !\"#\u00a4%&'()*+,-./0123456789:;<=>?"
             "\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7\u00bfabcdefghijklmnopqrstuvwxyz"
             "\u00e4\u00f6\u00f1\u00fc\u00e0")
GSM_EXTENDED = "^{}\\[~]|\u20ac\f"
GSM7, UCS2 = "GSM-7", "UCS-2"
# (characters in a single segment, characters per part of a longer text)
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class Segments:
    """A text's encoding, its length in that encoding's units, and the segments it costs."""

    encoding: str
    units: int
    count: int

    @property
    def per_segment(self) -> int:
        single, part = LIMITS[self.encoding]
        return single if self.count <= 1 else part


def is_gsm7(body: str) -> bool:
    return all(c in GSM_BASIC or c in GSM_EXTENDED for c in body)


def measure(body: str) -> Segments:
    """The encoding Twilio will use for `body`, its length in septets or UTF-16 units, its segments."""
    if is_gsm7(body):
        encoding, units = GSM7, len(body) + sum(1 for c in body if c in GSM_EXTENDED)
    else:
        encoding, units = UCS2, len(body.encode("utf-16-le")) // 2
    single, part = LIMITS[encoding]
    return Segments(encoding, units, 1 if units <= single else math.ceil(units / part))


def segments(body: str) -> int:
    """SMS segments Twilio bills and rate-limits: GSM-7 160/153 septets, otherwise UCS-2 70/67."""
    return measure(body).count
