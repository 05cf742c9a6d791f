"""Cleaning raw SMS text from old phones and cutting it into word and number tokens."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from hotline.domain.names import fold

_LOOKALIKES = str.maketrans({
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\ufe58\ufe63", "-"),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\u00b4`", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2236\ua789\u02d0", ":"),
    **dict.fromkeys("\u3001\uff64\u060c", ","),
    "\u2044": "/", "\r": "\n", "\t": " ", "\x85": "\n", "\u2028": "\n", "\u2029": "\n",
})

# A comma, semicolon, newline, full stop, slash, bar, "!" or "?" ends one "name number" pair.
STRONG_SEPARATORS = frozenset(",;\n./|!?")

_TOKEN = re.compile(
    r"(?P<word>[0-9]+(?:st|nd|rd|th)(?![^\W_])|[^\W\d_]+(?:'[^\W\d_]+)*)"
    r"|(?P<number>(?<![^\W_])-[0-9]+(?:[.,/][0-9]+)*"  # a minus not glued to a word: "-5", not "Pete-5"
    r"|[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])"              # 1,200
    r"|[0-9]+(?:[./][0-9]+)?)",                        # 45, 12.5, 1/2
    re.IGNORECASE)


@dataclass(frozen=True)
class Token:
    """A word or number in the cleaned text, with the raw text between it and the previous token."""

    kind: str  # "word" or "number"
    text: str  # folded word ("pete", "1st"), or the number as typed ("45", "-5")
    raw: str
    start: int
    end: int
    gap: str

    @property
    def strong(self) -> bool:
        """Whether a separator that ends a pair comes before this token."""
        return any(ch in STRONG_SEPARATORS for ch in self.gap)


def clean(text: str) -> str:
    """Fold look-alike punctuation to ASCII and any digits to 0-9; drop emoji, controls and marks."""
    text = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    return "".join(_clean_char(ch) for ch in text).strip()


def _clean_char(ch: str) -> str:
    if " " <= ch <= "~" or ch == "\n":
        return ch
    if ch.isdecimal():
        return str(unicodedata.decimal(ch))
    category = unicodedata.category(ch)
    if category[0] == "L":
        return ch
    # Zero-width joiners and emoji variation selectors would otherwise split a word in two.
    return "" if category in ("Cf", "Mn", "Me", "Mc") else " "


def tokenize(text: str) -> list[Token]:
    """Split cleaned text into word and number tokens, remembering what separated them."""
    tokens: list[Token] = []
    last = 0
    for match in _TOKEN.finditer(text):
        raw = match.group()
        value = fold(raw).replace(" ", "") if match.lastgroup == "word" else raw
        if not value:
            continue
        tokens.append(Token(match.lastgroup or "", value, raw, match.start(), match.end(),
                            text[last:match.start()]))
        last = match.end()
    return tokens


def quote(raw: str) -> str:
    """What the chair typed, quoted in plain ASCII and short enough for an SMS."""
    text = unicodedata.normalize("NFKD", " ".join(raw.split()))
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in text if not unicodedata.combining(ch))
    return f"'{text[:21]}...'" if len(text) > 24 else f"'{text}'"
