"""Value objects shared by the whole domain core."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Mapping


class Stage(str, Enum):
    """The three result sets a precinct reports."""

    FIRST = "first"
    FINAL = "final"
    DELEGATES = "delegates"

    @property
    def label(self) -> str:
        return {"first": "First alignment", "final": "Final alignment",
                "delegates": "County delegates"}[self.value]


@dataclass(frozen=True)
class Candidate:
    """A group a caucus-goer can stand in; `name` is the display name used as the key everywhere."""

    name: str
    aliases: tuple[str, ...] = ()
    ballot_order: int = 0


Counts = Mapping[str, int]
"""Head counts (or delegates) keyed by candidate display name."""


@dataclass(frozen=True)
class PrecinctResults:
    """Everything known about one precinct's report, as the checks need it.

    `delegates_to_elect` is the precinct's D (None for a satellite site with no
    published D). `attendance` is A as the chair counted it, None when not given.
    `county_ratio` is R_c (state delegates / county delegates) when known.
    A stage that has not been reported is None.
    """

    precinct: str
    delegates_to_elect: int | None
    first: Counts | None = None
    final: Counts | None = None
    delegates: Counts | None = None
    attendance: int | None = None
    county: str | None = None
    county_ratio: Fraction | None = None
    past_turnout: int | None = None

    def stage(self, stage: Stage) -> Counts | None:
        return {Stage.FIRST: self.first, Stage.FINAL: self.final,
                Stage.DELEGATES: self.delegates}[stage]
