"""Matching the names chairs type to candidates: aliases, full names, first names and misspellings."""
from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TypeVar

from hotline.domain.model import Candidate

T = TypeVar("T")

# A first name in a full-name alias also answers to its usual nicknames ("Michael Bennet" -> "Mike").
_NICKNAMES = [
    {"michael", "mike"}, {"elizabeth", "liz", "beth", "betsy"}, {"joseph", "joe"}, {"thomas", "tom"},
    {"andrew", "andy"}, {"peter", "pete"}, {"bernard", "bernie"}, {"john", "jack", "johnny"},
    {"robert", "bob", "rob"}, {"james", "jim", "jimmy"}, {"william", "bill", "billy"},
    {"richard", "rick", "dick"}, {"katherine", "kate", "kathy"},
]


def fold(text: str) -> str:
    """Fold text to the form names are compared in: lower case words, no accents, apostrophes or dots."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['.]", "", text.lower())
    return " ".join(re.findall(r"[^\W_]+", text))


def max_typos(length: int) -> int:
    """How many typos a word of this length may carry and still be recognised."""
    if length <= 4:
        return 0  # "amy" must not turn into "yang", nor "like" into "mike"
    if length <= 6:
        return 1
    return 2 if length <= 9 else 3


def edit_distance(a: str, b: str, limit: int) -> int:
    """Typos between a and b (insert, delete, replace, swap two letters); limit + 1 once past limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], before[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        before, previous = previous, row
    return min(previous[-1], limit + 1)


def closest(word: str, pool: Mapping[str, T]) -> list[T]:
    """The values of the pool words nearest to `word` within its typo allowance; several means a tie."""
    limit = max_typos(len(word))
    if limit == 0 or len(word) > 30:
        return []
    best, found = limit + 1, []
    for key, value in pool.items():
        distance = edit_distance(word, key, min(limit, best))
        if distance < best:
            best, found = distance, [value]
        elif distance == best <= limit and value not in found:
            found.append(value)
    return found


class NameIndex:
    """Every way the configured candidates can be written, for exact and forgiving look-ups."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self.phrases: dict[tuple[str, ...], frozenset[str]] = {}
        self._order: dict[str, tuple[int, str]] = {}
        derived: dict[str, set[str]] = {}
        for candidate in candidates:
            self._order[candidate.name] = (candidate.ballot_order, candidate.name)
            for written in (candidate.name, *candidate.aliases):
                words = tuple(fold(written).split())
                if words:
                    self.phrases[words] = self.phrases.get(words, frozenset()) | {candidate.name}
                for word in _parts(words, fold(candidate.name).split()):
                    derived.setdefault(word, set()).add(candidate.name)
        self.longest = max((len(words) for words in self.phrases), default=1)
        # An explicit one-word alias beats a first or last name taken from someone's full name.
        self.derived = {w: frozenset(n) for w, n in derived.items() if (w,) not in self.phrases}
        self._pool = {**self.derived, **{w[0]: n for w, n in self.phrases.items() if len(w) == 1}}
        self.guess = lru_cache(maxsize=4096)(self._guess)
        self.example = min(self._order, key=self._order.__getitem__, default="Name")

    def exact(self, words: Sequence[str]) -> frozenset[str] | None:
        """The candidates this exact (folded) phrase names, or None."""
        return self.phrases.get(tuple(words))

    def _guess(self, word: str) -> frozenset[str]:
        """The candidates a single folded word could mean by first/last name or misspelling (maybe none)."""
        if word in self.derived:
            return self.derived[word]
        return frozenset().union(*closest(word, self._pool))

    def suggest(self, word: str) -> str | None:
        """The one candidate an unknown word looks most like, for a "did you mean" hint."""
        pool = [key for key in self._pool if len(key) >= 4]
        matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
        names = self._pool[matches[0]] if matches and len(word) <= 30 else frozenset()
        return next(iter(names)) if len(names) == 1 else None

    def ordered(self, names: Iterable[str]) -> list[str]:
        """Candidate display names in ballot order."""
        return sorted(names, key=lambda name: self._order.get(name, (0, name)))


def _parts(words: tuple[str, ...], surname: list[str]) -> set[str]:
    """From a full name like "Michael Bennet": the first name, its nicknames, and the last name."""
    if len(words) < 2 or not surname or words[-1] != surname[-1]:
        return set()  # "Mayor Pete" or "Uncle Joe" do not make "mayor" or "uncle" a name
    firsts = set().union(*(group for group in _NICKNAMES if words[0] in group)) | {words[0]}
    return firsts | {words[-1]}
