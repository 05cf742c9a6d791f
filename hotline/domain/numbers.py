"""Reading the numbers a chair typed: plain digits become counts, anything odd becomes a named problem."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_COUNT = 3000
"""More people than any one precinct site holds: a bigger count is surely a typo."""

# Past this many digits a count is absurd anyway, and int() refuses strings over 4300 digits.
_MAX_DIGITS = 6

NEGATIVE, FRACTION, TOO_BIG, SPELLED = "negative", "fraction", "too_big", "spelled"

_UNITS = {word: value for value, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_UNITS["none"] = 0
_TENS = {word: 10 * value for value, word in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_SCALES = {"hundred": 100, "thousand": 1000}
NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TENS) | frozenset(_SCALES)


@dataclass(frozen=True)
class Number:
    """One number as typed; usable as a count only when `problem` is None."""

    raw: str
    value: int | None
    problem: str | None = None


def read_digits(raw: str) -> Number:
    """Read a digit token such as '45', '1,200', '-5', '12.5' or '1/2'."""
    if raw.startswith("-"):
        return Number(raw, None, NEGATIVE)
    if "." in raw or "/" in raw:
        return Number(raw, None, FRACTION)
    digits = raw.replace(",", "").lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS or int(digits) > MAX_COUNT:
        return Number(raw, None, TOO_BIG)
    return Number(raw, int(digits))


def read_words(raw: str, words: Sequence[str]) -> Number:
    """Read a spelled-out number like 'twelve' or 'twenty five': always a problem, its value a hint."""
    return Number(raw, spelled_value(words), SPELLED)


def spelled_value(words: Sequence[str]) -> int | None:
    """The value of number words like ('one', 'hundred', 'twelve'), or None if they are not one number."""
    total = current = 0
    previous = ""
    for word in words:
        if word in _UNITS and previous not in _UNITS and (previous not in _TENS or _UNITS[word] < 10):
            current += _UNITS[word]
        elif word in _TENS and previous not in _UNITS and previous not in _TENS:
            current += _TENS[word]
        elif word == "hundred" and current < 100:
            current = max(current, 1) * 100
        elif word == "thousand" and total == 0:
            total, current = max(current, 1) * 1000, 0
        else:
            return None
        previous = word
    return total + current
