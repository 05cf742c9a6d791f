"""Caucus rule sets as data: everything a state can set differently lives here, not in code branches."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction


class Rounding(str, Enum):
    """How a group's raw delegate share is rounded before the adjustments."""

    HALF_UP = "half_up"      # Iowa 2020: floor(raw + 1/2)
    HALF_EVEN = "half_even"  # banker's rounding, for rule sets that use it


class TieBreak(str, Enum):
    """How equal fractional parts (or equal largest groups) are settled."""

    LOT = "lot"                    # coin toss / drawing lots: every outcome is rule-consistent
    LARGER_GROUP = "larger_group"  # the larger final group wins the tie; lots only among equal groups


@dataclass(frozen=True)
class RuleSet:
    """A complete set of precinct caucus rules (viability, rounding, adjustments, SDEs, check limits).

    `viability_shares` maps a minimum D to the share of attendance a group needs;
    the entry with the largest minimum not above D applies. A share of None
    means no viability threshold: the largest final group takes the delegates.
    """

    name: str
    viability_shares: tuple[tuple[int, Fraction | None], ...]
    rounding: Rounding = Rounding.HALF_UP
    protect_only_delegate: bool = True
    tie_break: TieBreak = TieBreak.LOT
    lock_first_viable: bool = True
    sde_places: int = 4
    # Check limits (sanity warnings, not rules of the caucus itself).
    turnout_factor: Fraction = Fraction(2)
    turnout_min_excess: int = 25
    identical_min_total: int = 10

    def __post_init__(self) -> None:
        minimums = [minimum for minimum, _ in self.viability_shares]
        if not minimums or minimums != sorted(set(minimums)) or minimums[0] != 1:
            raise ValueError("viability_shares must start at D=1 and be strictly increasing")
        for _, share in self.viability_shares:
            if share is not None and not (0 < share <= 1):
                raise ValueError(f"viability share {share} is not in (0, 1]")

    def share(self, delegates_to_elect: int) -> Fraction | None:
        """The viability share for a precinct electing `delegates_to_elect` (None: largest group takes all)."""
        if delegates_to_elect < 1:
            raise ValueError(f"a precinct elects at least 1 delegate, not {delegates_to_elect}")
        chosen: Fraction | None = None
        for minimum, share in self.viability_shares:
            if minimum <= delegates_to_elect:
                chosen = share
        return chosen


IOWA_2020 = RuleSet(
    name="Iowa Democratic Party 2020",
    viability_shares=(
        (1, None),               # one delegate: largest final group, no threshold
        (2, Fraction(1, 4)),
        (3, Fraction(1, 6)),
        (4, Fraction(15, 100)),  # exactly 15%, not 1/6.67
    ),
)
"""The default rule set: the 2020 Iowa Democratic precinct caucus rules (see caucus-rules.md)."""
