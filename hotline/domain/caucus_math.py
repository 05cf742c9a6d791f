"""Caucus math: viability, the set of rule-consistent delegate allocations, and SDEs (exact arithmetic only)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Mapping

from hotline.domain.allocation import Explorer, SearchResult, Step, Tie, fmt, names_text, round_raw
from hotline.domain.model import Counts
from hotline.domain.rules import IOWA_2020, RuleSet

__all__ = ["Allocation", "Step", "Tie", "allocations", "county_ratio", "round_sde", "sde",
           "sum_sde", "sde_by_county", "viability_number", "viable_groups"]


def viability_number(attendance: int, delegates_to_elect: int, rules: RuleSet = IOWA_2020) -> int | None:
    """The fewest members a group needs to be viable, ceil(share x A) exactly; None when there is no threshold."""
    share = rules.share(delegates_to_elect)
    if share is None:
        return None
    # Integer ceiling of a fraction: never floats (0.15 * A in floats is off for some A).
    return -(-(share.numerator * attendance) // share.denominator)


def viable_groups(counts: Counts, viability: int | None) -> tuple[str, ...]:
    """Groups with at least `viability` members (any member at all when there is no threshold), in input order."""
    floor = max(viability or 0, 1)
    return tuple(name for name, count in counts.items() if count >= floor)


@dataclass(frozen=True)
class Allocation:
    """Every rule-consistent allocation of a precinct's delegates, with the worked steps and raw shares.

    `options` holds more than one allocation only when a coin toss decides
    (`ties` names the tied groups). Each option maps every group in the final
    alignment to its delegates. `raw` and `rounded` cover the viable groups.
    """

    delegates_to_elect: int
    attendance: int
    viability: int | None
    viable: tuple[str, ...]
    raw: Mapping[str, Fraction]
    rounded: Mapping[str, int]
    options: tuple[dict[str, int], ...]
    ties: tuple[Tie, ...] = ()
    preamble: tuple[Step, ...] = ()
    paths: tuple[tuple[Step, ...], ...] = ()
    free_starts: tuple[dict[str, int], ...] = field(default=(), repr=False)
    truncated: bool = False

    @property
    def steps(self) -> tuple[str, ...]:
        """The worked explanation (for the first option) as sentences staff can read to a chair."""
        return tuple(step.text for step in self.preamble + (self.paths[0] if self.paths else ()))

    @property
    def coin_toss(self) -> bool:
        """True when more than one allocation is rule-consistent."""
        return len(self.options) > 1 or self.truncated

    @property
    def tied_groups(self) -> tuple[str, ...]:
        """Every group named in a coin toss, in first-seen order."""
        return tuple(dict.fromkeys(name for tie in self.ties for name in tie.groups))

    def is_consistent(self, reported: Counts) -> bool:
        """Whether the reported delegates are one of the rule-consistent allocations."""
        wanted = _nonzero(reported)
        if any(_nonzero(option) == wanted for option in self.options):
            return True
        # Beyond the enumeration cap, free-phase outcomes are recognised directly.
        if not self.truncated or set(wanted) - set(self.viable):
            return False
        if sum(wanted.values()) != self.delegates_to_elect:
            return False
        return any(all(wanted.get(g, 0) >= n for g, n in start.items()) for start in self.free_starts)

    def closest(self, reported: Counts) -> int:
        """Index of the option nearest the reported delegates (fewest delegates moved; first on a tie)."""
        def distance(option: dict[str, int]) -> int:
            names = set(option) | set(reported)
            return sum(abs(option.get(n, 0) - reported.get(n, 0)) for n in names)
        return min(range(len(self.options)), key=lambda i: distance(self.options[i]))

    def explain(self, candidate: str, option: int = 0) -> str:
        """The steps that decided `candidate`'s delegates in option `option`, joined into one passage."""
        path = self.paths[option] if self.paths else ()
        lines = [s.text for s in self.preamble + path if candidate in s.groups]
        return "; ".join(lines)


def _nonzero(counts: Counts) -> dict[str, int]:
    return {name: n for name, n in counts.items() if n}


def allocations(final_counts: Counts, delegates_to_elect: int, attendance: int,
                rules: RuleSet = IOWA_2020) -> Allocation:
    """All rule-consistent allocations of `delegates_to_elect` from the final alignment over attendance A."""
    if delegates_to_elect < 1 or attendance < 1:
        raise ValueError("delegates to elect and attendance must both be at least 1")
    final = {name: int(n) for name, n in final_counts.items()}
    if rules.share(delegates_to_elect) is None:
        return _largest_group(final, delegates_to_elect, attendance, rules)
    viability = viability_number(attendance, delegates_to_elect, rules)
    assert viability is not None
    share = rules.share(delegates_to_elect)
    exact = share * attendance
    rounding = "" if exact.denominator == 1 else f", rounded up to {viability}"
    preamble = [Step(f"viability number: {fmt(share * 100)}% of {attendance} attendees is"
                     f" {fmt(exact)}{rounding}")]
    viable = viable_groups(final, viability)
    if not viable:
        preamble.append(Step(f"no group reached the viability number {viability} in the final"
                             " alignment, so the formula gives no delegates"))
        return Allocation(delegates_to_elect, attendance, viability, (), {}, {}, (), (), tuple(preamble))
    names = sorted(viable)  # canonical order: the result must not depend on the input order
    raw = {g: Fraction(final[g] * delegates_to_elect, attendance) for g in names}
    rounded = {g: round_raw(raw[g], rules.rounding) for g in names}
    preamble += [Step(_raw_text(g, final[g], delegates_to_elect, attendance, raw[g], rounded[g]), (g,))
                 for g in viable]
    result = Explorer(names, [final[g] for g in names], [raw[g] for g in names],
                      delegates_to_elect, rules).run(tuple(rounded[g] for g in names))
    return _build(final, names, result, delegates_to_elect, attendance, viability,
                  viable, raw, rounded, tuple(preamble))


def _raw_text(group: str, count: int, delegates: int, attendance: int, raw: Fraction, rounded: int) -> str:
    if raw.denominator == 1:
        return f"{group}: {count} x {delegates} / {attendance} = {fmt(raw)}, exactly {rounded}"
    return f"{group}: {count} x {delegates} / {attendance} = {fmt(raw)}, rounds to {rounded}"


def _build(final: dict[str, int], names: list[str], result: SearchResult, delegates: int,
           attendance: int, viability: int | None, viable: tuple[str, ...],
           raw: Mapping[str, Fraction], rounded: Mapping[str, int],
           preamble: tuple[Step, ...]) -> Allocation:
    """Turn engine states into per-group dicts in a deterministic, input-order-independent order."""
    def as_dict(state: tuple[int, ...]) -> dict[str, int]:
        won = dict(zip(names, state))
        return {g: won.get(g, 0) for g in final}
    rank = sorted(final, key=lambda g: (-final[g], g))
    items = sorted(((as_dict(s), p) for s, p in result.outcomes.items()),
                   key=lambda item: tuple(-item[0][g] for g in rank))
    return Allocation(
        delegates_to_elect=delegates, attendance=attendance, viability=viability, viable=viable,
        raw=dict(raw), rounded=dict(rounded), options=tuple(o for o, _ in items),
        ties=tuple(Tie(t.kind, tuple(sorted(t.groups))) for t in result.ties), preamble=preamble,
        paths=tuple(p for _, p in items),
        free_starts=tuple(dict(zip(names, s)) for s in result.free_starts), truncated=result.truncated)


def _largest_group(final: dict[str, int], delegates: int, attendance: int, rules: RuleSet) -> Allocation:
    """No threshold (D = 1 in Iowa): the largest final group takes the delegates; a tie is a coin toss."""
    present = {g: n for g, n in final.items() if n > 0}
    if not present:
        step = Step("nobody is in the final alignment, so no group can take the delegate")
        return Allocation(delegates, attendance, None, (), {}, {}, (), (), (step,))
    top = max(present.values())
    winners = sorted(g for g, n in present.items() if n == top)
    what = "the delegate goes" if delegates == 1 else f"all {delegates} delegates go"
    if len(winners) == 1:
        paths: list[tuple[Step, ...]] = [(Step(f"no viability threshold: {what} to the largest final"
                                               f" group, {winners[0]} ({top})", (winners[0],)),)]
        ties: tuple[Tie, ...] = ()
    else:
        base = (f"no viability threshold: {what} to the largest final group; {names_text(winners)}"
                f" tie at {top} - a coin toss decides")
        paths = [(Step(f"{base}; here {w}", tuple(winners)),) for w in winners]
        ties = (Tie("largest", tuple(winners)),)
    options = tuple({g: (delegates if g == w else 0) for g in final} for w in winners)
    return Allocation(delegates, attendance, None, tuple(g for g in final if g in present), {}, {},
                      options, ties, (), tuple(paths))


def county_ratio(state_delegates: int, county_delegates: int) -> Fraction:
    """R_c: the county's state-convention delegates per county-convention delegate, exactly."""
    return Fraction(state_delegates, county_delegates)


def round_sde(value: Fraction, places: int = 4) -> Decimal:
    """Round an exact value half up to `places` decimals (no float ever touches it)."""
    # floor(x * 10^p + 1/2) in integers: Fraction arithmetic is the audit's hot spot.
    scaled = (2 * value.numerator * 10 ** places + value.denominator) // (2 * value.denominator)
    return Decimal(scaled).scaleb(-places)


def sde(delegates_by_candidate: Counts, county_ratio: Fraction, rules: RuleSet = IOWA_2020,
        places: int | None = None) -> dict[str, Decimal]:
    """State delegate equivalents per candidate for one precinct: d x R_c, rounded half up per candidate."""
    num, den = county_ratio.numerator, county_ratio.denominator
    places = rules.sde_places if places is None else places
    unit, half = 2 * 10 ** places * num, 2 * den
    return {name: Decimal((unit * d + den) // half).scaleb(-places)
            for name, d in delegates_by_candidate.items()}


def sum_sde(per_precinct: Iterable[Mapping[str, Decimal]]) -> dict[str, Decimal]:
    """Sum already-rounded per-precinct SDEs per candidate (how totals are published)."""
    totals: dict[str, Decimal] = {}
    for sdes in per_precinct:
        for name, value in sdes.items():
            totals[name] = totals.get(name, Decimal(0)) + value
    return totals


def sde_by_county(per_precinct: Iterable[tuple[str, Mapping[str, Decimal]]]) -> dict[str, dict[str, Decimal]]:
    """Sum per-precinct SDEs per county: takes (county, sdes) pairs."""
    counties: dict[str, dict[str, Decimal]] = {}
    for county, sdes in per_precinct:
        totals = counties.setdefault(county, {})
        for name, value in sdes.items():
            totals[name] = totals.get(name, Decimal(0)) + value
    return counties
