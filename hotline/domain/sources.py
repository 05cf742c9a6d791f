"""Two sources for one precinct: the chair's report and observers' counts of the same room.

An observation never counts; it is compared with the chair's recorded figures, stage by stage and
candidate by candidate. A difference larger than the stage's tolerance is a conflict (staff look,
and the precinct's figures wait); observations that agree corroborate the chair ("2 sources
agree"). Only stages both sides have are compared: an observer who counted the first alignment
says nothing about the delegates.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hotline.domain.model import Stage

Counts = Mapping[str, int]


@dataclass(frozen=True)
class Tolerance:
    """How far an observer's count may be from the chair's before it is a conflict. Alignment
    counts are people in a crowded room; delegates are the result and must match."""

    alignment: int = 0
    delegates: int = 0

    def of(self, stage: Stage) -> int:
        return self.delegates if stage is Stage.DELEGATES else self.alignment


@dataclass(frozen=True)
class Difference:
    stage: Stage
    candidate: str
    chair: int
    observed: int


@dataclass(frozen=True)
class Observed:
    """One observer's latest confirmed counts for a precinct, stage by stage."""

    observer_id: int
    organisation: str
    stages: Mapping[Stage, Counts]
    observation_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Comparison:
    observer_id: int
    organisation: str
    compared: tuple[Stage, ...]          # stages both sides have
    differences: tuple[Difference, ...]
    observation_ids: tuple[int, ...] = ()

    @property
    def agrees(self) -> bool:
        return bool(self.compared) and not self.differences


def differences(chair: Counts, observed: Counts, stage: Stage, tolerance: Tolerance) -> list[Difference]:
    """Candidate by candidate (a name one side leaves out counts as 0 there), in the chair's order,
    then names only the observer gave."""
    names = list(chair) + [n for n in observed if n not in chair]
    allowed = tolerance.of(stage)
    return [Difference(stage, n, chair.get(n, 0), observed.get(n, 0)) for n in names
            if abs(chair.get(n, 0) - observed.get(n, 0)) > allowed]


def compare(chair: Mapping[Stage, Counts], observed: Observed, tolerance: Tolerance) -> Comparison:
    """One observer's counts against the chair's recorded figures."""
    both = tuple(stage for stage in Stage if stage in chair and stage in observed.stages)
    found = tuple(d for stage in both for d in differences(chair[stage], observed.stages[stage], stage, tolerance))
    return Comparison(observed.observer_id, observed.organisation, both, found, observed.observation_ids)


def compare_all(chair: Mapping[Stage, Counts], observations: Iterable[Observed],
                tolerance: Tolerance) -> list[Comparison]:
    """Every observer's comparison; observers with no stage in common are left out."""
    return [c for c in (compare(chair, o, tolerance) for o in observations) if c.compared]


@dataclass(frozen=True)
class Corroboration:
    """What the public may know: how many sources agree, and the agreeing organisations."""

    sources: int                   # the chair plus each agreeing observer
    organisations: tuple[str, ...]
    conflicts: int                 # observers whose counts differ

    @property
    def corroborated(self) -> bool:
        return self.sources > 1


def corroboration(comparisons: Iterable[Comparison]) -> Corroboration:
    comparisons = list(comparisons)
    agreeing = [c for c in comparisons if c.agrees]
    organisations = tuple(sorted({c.organisation for c in agreeing}))
    return Corroboration(1 + len(agreeing), organisations, sum(1 for c in comparisons if c.differences))


def describe(diff: Difference) -> str:
    """`final alignment, Warren: chair 9, observer 11` (for staff and the log)."""
    return f"{diff.stage.value}, {diff.candidate}: chair {diff.chair}, observer {diff.observed}"
