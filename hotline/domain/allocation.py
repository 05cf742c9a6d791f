"""The allocation engine: one-at-a-time adjustments, exploring every coin-toss outcome, with plain-English steps."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator, Sequence

from hotline.domain.rules import Rounding, RuleSet, TieBreak

MAX_OPTIONS = 1000
"""Cap on enumerated outcomes (only reachable when the caucus may hand out many free delegates; such
outcomes are still recognised exactly by Allocation.is_consistent)."""

State = tuple[int, ...]


@dataclass(frozen=True)
class Step:
    """One line of the worked explanation, with the groups it is about."""

    text: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tie:
    """A coin toss the rules leave open: `kind` is over, under, free or largest."""

    kind: str
    groups: tuple[str, ...]


@dataclass
class SearchResult:
    """Every reachable final state, the first path to each, the ties met, and free-phase starts."""

    outcomes: dict[State, tuple[Step, ...]] = field(default_factory=dict)
    ties: list[Tie] = field(default_factory=list)
    free_starts: list[State] = field(default_factory=list)
    truncated: bool = False


def fmt(value: Fraction) -> str:
    """A number as a chair would write it: exact up to 3 decimals, else rounded to 2."""
    num, den = value.numerator, value.denominator
    if den == 1:
        return str(num)
    for places in (1, 2, 3):  # integer arithmetic: this runs for every group of every precinct audited
        scaled, rest = divmod(num * 10 ** places, den)
        if not rest:
            return _decimal_text(scaled, places)
    return _decimal_text((200 * num + den) // (2 * den), 2)


def _decimal_text(scaled: int, places: int) -> str:
    sign, scaled = ("-", -scaled) if scaled < 0 else ("", scaled)
    whole, part = divmod(scaled, 10 ** places)
    return f"{sign}{whole}.{part:0{places}d}".rstrip("0").rstrip(".")


def fraction_text(value: Fraction) -> str:
    """The fractional part of a raw share, written like '.6'."""
    text = fmt(value - math.floor(value))
    return text[1:] if text.startswith("0.") else text


def round_raw(raw: Fraction, rounding: Rounding) -> int:
    """The first rounding of a raw share, before any adjustment."""
    if rounding is Rounding.HALF_EVEN:
        return round(raw)
    return math.floor(raw + Fraction(1, 2))


def names_text(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class Explorer:
    """Depth-first search over every coin-toss choice; identical intermediate states are explored once."""

    def __init__(self, names: Sequence[str], counts: Sequence[int], raw: Sequence[Fraction],
                 delegates: int, rules: RuleSet) -> None:
        self.names, self.counts, self.raw = tuple(names), tuple(counts), tuple(raw)
        self.frac = tuple(r - math.floor(r) for r in raw)
        self.delegates, self.rules = delegates, rules
        self.result = SearchResult()
        self._seen: set[State] = set()

    def run(self, start: State) -> SearchResult:
        """Explore from the first rounding and return everything reachable."""
        self._visit(start, ())
        return self.result

    def _visit(self, state: State, path: tuple[Step, ...]) -> None:
        total = sum(state)
        if len(self.result.outcomes) >= MAX_OPTIONS:
            self.result.truncated = True
            return
        if total == self.delegates:
            self.result.outcomes.setdefault(state, path)
            return
        moves = self._take(state, total) if total > self.delegates else self._give(state, total)
        if moves is None:
            self._free(state, path, self.delegates - total)
            return
        for index, step in moves:
            delta = -1 if total > self.delegates else 1
            new = state[:index] + (state[index] + delta,) + state[index + 1:]
            if new not in self._seen:
                self._seen.add(new)
                self._visit(new, path + (step,))

    def _take(self, state: State, total: int) -> list[tuple[int, Step]]:
        """Candidates to give up one delegate: rounded up, smallest fraction, only-delegate protection."""
        up = [i for i, d in enumerate(state) if d > self.raw[i]]
        pool = up or [i for i, d in enumerate(state) if d > 0]
        qualifier = " among groups rounded up" if up else (
            " among groups with delegates (none was rounded up: the final alignment is larger"
            " than the attendance)")
        if self.rules.protect_only_delegate and up:
            multi = [i for i in up if state[i] > 1]
            if multi and len(multi) < len(up):
                pool = multi
                # Mention the protection only when it changed who gives the delegate up.
                if min(self.frac[i] for i in up) <= min(self.frac[i] for i in multi):
                    qualifier += " that have more than one delegate (a group's only delegate is protected)"
            elif not multi:
                qualifier += ("; every group rounded up has only one delegate, so the only-delegate"
                              " protection yields")
        chosen = self._tied(pool, min(self.frac[i] for i in pool), prefer_larger=False)
        head = f"one delegate too many ({total} for {self.delegates}): "
        return self._moves(chosen, head, "smallest", qualifier, "over", "gives one up")

    def _give(self, state: State, total: int) -> list[tuple[int, Step]] | None:
        """Candidates to receive one delegate: rounded down, largest fraction; None when none was rounded down."""
        down = [i for i, d in enumerate(state) if d < self.raw[i]]
        if not down:
            return None
        chosen = self._tied(down, max(self.frac[i] for i in down), prefer_larger=True)
        head = f"one delegate too few ({total} for {self.delegates}): "
        return self._moves(chosen, head, "largest", " among groups rounded down", "under", "gets it")

    def _tied(self, pool: list[int], target: Fraction, *, prefer_larger: bool) -> list[int]:
        """The groups in `pool` at the target fraction, narrowed by the rule set's tie-break."""
        tied = [i for i in pool if self.frac[i] == target]
        if self.rules.tie_break is TieBreak.LARGER_GROUP and len(tied) > 1:
            pick = max if prefer_larger else min
            best = pick(self.counts[i] for i in tied)
            tied = [i for i in tied if self.counts[i] == best]
        return tied

    def _moves(self, chosen: list[int], head: str, extreme: str, qualifier: str,
               kind: str, verb: str) -> list[tuple[int, Step]]:
        if len(chosen) == 1:
            i = chosen[0]
            action = "taken from" if kind == "over" else "given to"
            text = (f"{head}{action} {self.names[i]}, whose {fmt(self.raw[i])} has the {extreme}"
                    f" fraction{qualifier}")
            return [(i, Step(text, (self.names[i],)))]
        group = tuple(self.names[i] for i in chosen)
        self._note_tie(Tie(kind, group))
        base = (f"{head}{names_text(group)} tie at the {extreme} fraction"
                f" ({fraction_text(self.raw[chosen[0]])}){qualifier} - a coin toss decides")
        return [(i, Step(f"{base}; here {self.names[i]} {verb}", group)) for i in chosen]

    def _free(self, state: State, path: tuple[Step, ...], missing: int) -> None:
        """No group was rounded down: any viable group may take each missing delegate (all consistent)."""
        self.result.free_starts.append(state)
        if len(self.names) > 1:
            self._note_tie(Tie("free", self.names))
        plural = "delegate" if missing == 1 else "delegates"
        base = (f"{missing} {plural} still to give and no group was rounded down: any viable group"
                f" may take {'it' if missing == 1 else 'them'} (the caucus decides)")
        for extra in compositions(missing, len(state)):
            if len(self.result.outcomes) >= MAX_OPTIONS:
                self.result.truncated = True
                return
            new = tuple(d + e for d, e in zip(state, extra))
            takers = tuple(self.names[i] for i, e in enumerate(extra) if e)
            detail = ", ".join(f"{self.names[i]} +{e}" for i, e in enumerate(extra) if e)
            self.result.outcomes.setdefault(new, path + (Step(f"{base}; here {detail}", takers),))

    def _note_tie(self, tie: Tie) -> None:
        # A later draw among some of the same groups is part of the same drawing of lots.
        if not any(t.kind == tie.kind and set(tie.groups) <= set(t.groups) for t in self.result.ties):
            self.result.ties.append(tie)


def compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way to split `total` into `parts` non-negative integers, first parts largest first."""
    if parts == 1:
        yield (total,)
        return
    for head in range(total, -1, -1):
        for rest in compositions(total - head, parts - 1):
            yield (head,) + rest
