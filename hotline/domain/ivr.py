"""How the voice hotline reads a keypad: what keys mean, precinct codes as keys, answers, waits.

A keypad cannot type letters, so a precinct is keyed as its code spelled on the phone's
letter keys with punctuation skipped: DSM-42 is 3 7 6 4 2 (D=3, S=7, M=6, then 42). This
needs no new roster column and nothing printed beyond the code already on the worksheet;
when two codes share the same keys the caller picks one from a spoken list.

What a caller hears is in `hotline.domain.wording.voice`; this module holds no sentences.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

_LETTER_KEYS = {**dict.fromkeys("ABC", "2"), **dict.fromkeys("DEF", "3"), **dict.fromkeys("GHI", "4"),
                **dict.fromkeys("JKL", "5"), **dict.fromkeys("MNO", "6"), **dict.fromkeys("PQRS", "7"),
                **dict.fromkeys("TUV", "8"), **dict.fromkeys("WXYZ", "9")}
MAX_COUNT_DIGITS = 4  # no precinct has 10,000 caucus-goers; longer input is a slip of the finger
LANGUAGE_KEY = "4"  # main menu: the other language (1, 2, 3 are taken, and 9 is the unannounced staff line)
MAX_MISSES = 3  # silences or bad entries in a row before a person takes over


@dataclass(frozen=True)
class Ask:
    """A keypad question (<Gather>): which step receives the keys, and how they end."""

    step: str
    num_digits: int | None = None  # None: until pound (or the timeout)
    timeout: int = 6
    post_empty: bool = True  # silence is posted too, so the step can repeat its prompt


@dataclass(frozen=True)
class Reply:
    """One answer to the phone company, independent of TwiML: what to say, then what to do."""

    says: tuple[str, ...] = ()
    ask: Ask | None = None
    music: bool = False
    record: bool = False
    enqueue: str | None = None
    dial_queue: str | None = None
    dial_number: str | None = None  # a call-back: the staff member is connected to this number
    leave: bool = False
    redirect: str | None = None
    hangup: bool = False
    language: str = "en"  # the language `says` are in, so the right voice speaks them
    aside: tuple[str, str] | None = None  # (language, text): said after `says` in that language's voice


class Key(str, Enum):
    """What a caller's key presses mean before the step looks at them."""

    SILENCE = "silence"
    BACK = "back"
    PERSON = "person"
    VALUE = "value"


def classify(digits: str | None, *, zero_is_value: bool = False) -> Key:
    """Star goes back, star-zero (or a lone 0 where 0 is not a number) reaches a person."""
    keys = (digits or "").strip()
    if not keys:
        return Key.SILENCE
    if keys.startswith("*") and keys.lstrip("*") == "0":
        return Key.PERSON
    if "*" in keys:
        return Key.BACK
    if keys == "0" and not zero_is_value:
        return Key.PERSON
    return Key.VALUE


def parse_count(digits: str) -> int | None:
    """A head count or delegate count keyed on the phone, or None if it is not one."""
    keys = digits.strip()
    if not keys.isdigit() or len(keys.lstrip("0")) > MAX_COUNT_DIGITS:
        return None
    return int(keys)


def keypad_digits(code: str) -> str:
    """The keys that spell a precinct code: letters by their keypad digit, punctuation dropped."""
    return "".join(_LETTER_KEYS.get(ch, ch) for ch in code.upper() if ch.isalnum())


def keypad_index(codes: Iterable[str]) -> dict[str, list[str]]:
    """Precinct codes grouped by the keys that spell them (usually one code per key string)."""
    index: dict[str, list[str]] = {}
    for code in sorted(codes):
        index.setdefault(keypad_digits(code), []).append(code)
    return index


CHOICES_PER_PAGE = 8  # keys 1-8; 9 is "more" when the keys fit more precincts than that


def choice_page(codes: Sequence[str], page: int) -> list[str]:
    """The codes offered on one page of the choice prompt (pages wrap around)."""
    pages = max(1, -(-len(codes) // CHOICES_PER_PAGE))
    start = (page % pages) * CHOICES_PER_PAGE
    return list(codes[start:start + CHOICES_PER_PAGE])


def estimate_wait(position: int, bridge_times: Sequence[float], recent_waits: Sequence[float],
                  now: float, window: float = 900.0) -> float | None:
    """Seconds until a caller at `position` is answered, from how fast staff answered lately.

    With two or more callers answered in the window, the pace (answers per second over the
    window actually observed, at least a minute) gives position / pace. With less, the moving
    average of recent waits is the best honest figure; with nothing at all, None.
    """
    recent = [t for t in bridge_times if now - window <= t <= now]
    if len(recent) >= 2:
        span = max(now - min(recent), 60.0)
        return position * span / len(recent)
    if recent_waits:
        return sum(recent_waits) / len(recent_waits)
    return None


def counts_in_order(names: Sequence[str], counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Counts in ballot order, zero for anyone not keyed."""
    return [(name, int(counts.get(name, 0))) for name in names]
