"""The shared starting point of every check: stages as dicts, A used, V and the rule-consistent allocations."""
from __future__ import annotations

from dataclasses import dataclass

from hotline.domain.caucus_math import Allocation, allocations, viability_number
from hotline.domain.findings import Severity
from hotline.domain.model import PrecinctResults
from hotline.domain.rules import RuleSet

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True)
class Context:
    """What every check needs, computed once: stages as dicts, A used, V and the allocation set."""

    results: PrecinctResults
    rules: RuleSet
    order: tuple[str, ...]
    first: dict[str, int] | None
    final: dict[str, int] | None
    delegates: dict[str, int] | None
    attendance: int | None
    viability: int | None
    allocation: Allocation | None
    toss: tuple[str, ...] | None = None  # the recorded coin-toss winners (None: not recorded)

    @property
    def attendance_reported(self) -> bool:
        return self.results.attendance is not None

    @property
    def satellite(self) -> bool:
        return self.results.delegates_to_elect is None


def stage_dict(counts: object) -> dict[str, int] | None:
    # An empty stage is as good as a missing one: nothing was reported.
    return dict(counts) if counts else None  # type: ignore[call-overload]


def build_context(results: PrecinctResults, rules: RuleSet,
                  toss: tuple[str, ...] | None = None) -> Context:
    """Compute A (reported, else the first-alignment total), V and the rule-consistent allocations;
    `toss` is the recorded coin-toss winners, if any."""
    first, final, dels = stage_dict(results.first), stage_dict(results.final), stage_dict(results.delegates)
    order = tuple(dict.fromkeys([*(first or {}), *(final or {}), *(dels or {})]))
    attendance = results.attendance if results.attendance is not None else (
        sum(first.values()) if first else None)
    attendance = attendance if attendance and attendance > 0 else None
    d = results.delegates_to_elect
    negative = any(n < 0 for stage in (first, final, dels) if stage for n in stage.values())
    viability = viability_number(attendance, d, rules) if d and attendance else None
    allocation = (allocations(final, d, attendance, rules)
                  if d and attendance and final and not negative else None)
    return Context(results, rules, order, first, final, dels, attendance, viability, allocation,
                   tuple(toss) if toss else None)
