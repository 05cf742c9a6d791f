"""Caucus math: hand-computed worked examples for every rule and branch, plus property tests."""
from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.domain.caucus_math import (
    allocations,
    county_ratio,
    round_sde,
    sde,
    sde_by_county,
    sum_sde,
    viability_number,
    viable_groups,
)
from hotline.domain.rules import IOWA_2020, Rounding, RuleSet, TieBreak


def options(alloc) -> list[dict[str, int]]:
    """Options without the zero entries, for compact expectations."""
    return [{k: v for k, v in o.items() if v} for o in alloc.options]


# ---------------------------------------------------------------- viability

@pytest.mark.parametrize("attendance, d, expected", [
    (19, 3, 4),      # 19 / 6 = 3.17 -> 4 (caucus-rules.md)
    (18, 3, 3),      # exact: 18 / 6 = 3
    (100, 2, 25),    # 100 / 4 = 25 exactly
    (101, 2, 26),    # 25.25 -> 26
    (200, 7, 30),    # 15% of 200 = 30 exactly
    (201, 7, 31),    # 30.15 -> 31
    (667, 4, 101),   # 15% of 667 = 100.05 -> 101; A / 6.67 would give 100
    (40, 36, 6),     # every D >= 4 uses 15%
])
def test_viability_number(attendance, d, expected):
    assert viability_number(attendance, d) == expected


def test_viability_number_differs_from_the_6_67_shortcut():
    import math
    assert math.ceil(667 / 6.67) == 100
    assert viability_number(667, 5) == 101


def test_one_delegate_precinct_has_no_threshold():
    assert viability_number(100, 1) is None
    assert viable_groups({"A": 3, "B": 0}, None) == ("A",)


def test_viable_groups_at_least_v_in_input_order():
    assert viable_groups({"Warren": 24, "Sanders": 25, "Biden": 30}, 25) == ("Sanders", "Biden")
    assert viable_groups({"Uncommitted": 25}, 25) == ("Uncommitted",)  # a group like any other


def test_rule_set_rejects_bad_shares():
    with pytest.raises(ValueError):
        RuleSet("bad", ((2, Fraction(1, 4)),))          # must start at D = 1
    with pytest.raises(ValueError):
        RuleSet("bad", ((1, None), (2, Fraction(3, 2))))  # share above 1
    with pytest.raises(ValueError):
        IOWA_2020.share(0)


# ------------------------------------------------- worked examples of caucus-rules.md

def test_rules_example_200_attendees_7_delegates():
    a = allocations({"A": 100, "B": 50, "C": 50}, 7, 200)
    assert options(a) == [{"A": 3, "B": 2, "C": 2}]
    assert a.raw == {"A": Fraction(7, 2), "B": Fraction(7, 4), "C": Fraction(7, 4)}
    assert a.rounded == {"A": 4, "B": 2, "C": 2}
    assert "one delegate too many (8 for 7): taken from A, whose 3.5 has the smallest fraction" \
           " among groups rounded up" in a.steps
    assert not a.coin_toss


def test_rules_example_90_attendees_protection_of_only_delegate():
    a = allocations({"Sanders": 75, "Warren": 15}, 3, 90)
    assert options(a) == [{"Sanders": 2, "Warren": 1}]
    assert "Sanders: 75 x 3 / 90 = 2.5, rounds to 3" in a.steps
    # Both fractions are .5: only the protection of Warren's only delegate decides.
    assert any(s.startswith("one delegate too many (4 for 3): taken from Sanders, whose 2.5 has the smallest"
                            " fraction among groups rounded up that have more than one delegate")
               for s in a.steps)


def test_rules_example_19_attendees_all_rounded_up():
    a = allocations({"A": 10, "B": 5, "C": 4}, 3, 19)
    assert a.viability == 4
    assert options(a) == [{"A": 1, "B": 1, "C": 1}]
    assert not a.is_consistent({"A": 2, "B": 1, "C": 0})
    assert a.is_consistent({"A": 1, "B": 1, "C": 1})


def test_rules_example_40_attendees_coin_toss_between_the_two_at_point_six():
    a = allocations({"A": 6, "B": 8, "C": 8, "D": 9, "E": 9}, 8, 40)
    assert a.viability == 6
    assert sorted(map(sorted, (o.items() for o in a.options))) == sorted([
        sorted({"A": 1, "B": 1, "C": 2, "D": 2, "E": 2}.items()),
        sorted({"A": 1, "B": 2, "C": 1, "D": 2, "E": 2}.items())])
    assert a.coin_toss and a.tied_groups == ("B", "C")
    assert a.ties[0].kind == "over"


# ------------------------------------------------------------ rounding and adjustments

def test_two_delegates_no_adjustment():
    a = allocations({"A": 6, "B": 4}, 2, 10)  # V = 3; raw 1.2 / 0.8 -> 1 / 1
    assert a.viability == 3
    assert options(a) == [{"A": 1, "B": 1}]
    assert a.steps[-1] == "B: 4 x 2 / 10 = 0.8, rounds to 1"


def test_nonviable_group_appears_with_zero():
    a = allocations({"A": 60, "B": 30, "C": 10}, 4, 100)  # V = 15: C not viable
    assert a.viable == ("A", "B")
    assert a.options == ({"A": 3, "B": 1, "C": 0},)  # raw 2.4 / 1.2 -> 2 / 1, too few: A (.4) gets it


def test_exact_raw_is_neither_rounded_up_nor_down():
    a = allocations({"A": 50, "B": 50}, 4, 100)
    assert a.options == ({"A": 2, "B": 2},)
    assert "A: 50 x 4 / 100 = 2, exactly 2" in a.steps


def test_protected_single_delegate_even_with_the_smallest_fraction():
    # A = 30, D = 3 (V = 5): raw 1.7 / 0.6 / 0.7 -> 2 / 1 / 1 = 4. B's .6 is smallest
    # but B has only one delegate while A has two, so A gives one up.
    a = allocations({"A": 17, "B": 6, "C": 7}, 3, 30)
    assert options(a) == [{"A": 1, "B": 1, "C": 1}]


def test_over_allocation_by_two_takes_one_at_a_time():
    # A = 160, D = 8 (V = 24): raw 1.55 / 1.6 / 1.65 / 1.7 / 1.5 -> 2 each = 10, two too many.
    # First E (.5, has 2), then A (.55); the others keep 2.
    a = allocations({"A": 31, "B": 32, "C": 33, "D": 34, "E": 30}, 8, 160)
    assert options(a) == [{"A": 1, "B": 2, "C": 2, "D": 2, "E": 1}]
    adjustments = [s for s in a.steps if s.startswith("one delegate too many")]
    assert adjustments[0].startswith("one delegate too many (10 for 8): taken from E, whose 1.5")
    assert adjustments[1].startswith("one delegate too many (9 for 8): taken from A, whose 1.55")


def test_under_allocation_gives_to_largest_fraction_rounded_down():
    # A = 100, D = 4 (V = 15), 25 stayed in non-viable groups: raw 1.6 / 1.4 -> 2 / 1 = 3.
    a = allocations({"A": 40, "B": 35, "C": 14, "D": 11}, 4, 100)
    assert options(a) == [{"A": 2, "B": 2}]
    assert "one delegate too few (3 for 4): given to B, whose 1.4 has the largest fraction among groups" \
           " rounded down" in a.steps


def test_under_allocation_tie_between_rounded_down_groups():
    # A = 100, D = 6: raw 2.22 / 2.22 / 0.96 -> 2 / 2 / 1 = 5; A and B tie at .22.
    a = allocations({"A": 37, "B": 37, "C": 16, "X": 10}, 6, 100)
    assert options(a) == [{"A": 3, "B": 2, "C": 1}, {"A": 2, "B": 3, "C": 1}]
    assert a.ties[0].kind == "under" and a.tied_groups == ("A", "B")


def test_under_allocation_with_no_group_rounded_down_any_viable_group_may_take_it():
    # A = 100, D = 4, half the room left: raw 2 (exact) / 0.64 -> 2 / 1 = 3, nobody rounded down.
    a = allocations({"A": 50, "B": 16}, 4, 100)
    assert options(a) == [{"A": 3, "B": 1}, {"A": 2, "B": 2}]
    assert a.ties[0].kind == "free"


def test_under_allocation_rounded_down_first_then_free():
    # A = 100, D = 6: raw 3 / 1.02 -> 3 / 1 = 4; B (rounded down) gets one, then nobody is rounded down.
    a = allocations({"A": 50, "B": 17}, 6, 100)
    assert options(a) == [{"A": 4, "B": 2}, {"A": 3, "B": 3}]


def test_free_phase_can_favour_the_smaller_group():
    # A = 100, D = 4: raw 0.8 / 0.64 -> 1 / 1 = 2; two to give, nobody rounded down.
    a = allocations({"A": 20, "B": 16}, 4, 100)
    assert options(a) == [{"A": 3, "B": 1}, {"A": 2, "B": 2}, {"A": 1, "B": 3}]


def test_more_viable_groups_than_delegates_protection_yields():
    # A = 100, D = 2 (V = 25): four groups at 0.5 -> 1 each = 4; any two of the four end with 0.
    a = allocations({"A": 25, "B": 25, "C": 25, "D": 25}, 2, 100)
    assert len(a.options) == 6
    assert all(sum(o.values()) == 2 and max(o.values()) == 1 for o in a.options)
    assert a.tied_groups == ("A", "B", "C", "D")
    assert any("protection yields" in s for s in a.steps)


def test_protection_yields_when_every_rounded_up_group_has_one():
    # A = 100, D = 4: raw 2 (exact) / .6 / .6 / .6 -> 5. No rounded-up group has more than one,
    # so one of the three loses its only delegate (coin toss), although A keeps 2.
    a = allocations({"A": 50, "B": 15, "C": 15, "D": 15}, 4, 100)
    assert options(a) == [{"A": 2, "B": 1, "C": 1}, {"A": 2, "B": 1, "D": 1}, {"A": 2, "C": 1, "D": 1}]


def test_no_viable_group_gives_no_options():
    a = allocations({"A": 10, "B": 10}, 4, 100)
    assert a.options == () and a.viable == ()
    assert "no group reached the viability number 15" in a.steps[-1]


# ------------------------------------------------------------ one-delegate precincts

def test_one_delegate_goes_to_largest_final_group():
    a = allocations({"Warren": 20, "Sanders": 21, "Biden": 3}, 1, 50)
    assert options(a) == [{"Sanders": 1}]
    assert a.steps == ("no viability threshold: the delegate goes to the largest final group, Sanders (21)",)


def test_one_delegate_tie_is_a_coin_toss():
    a = allocations({"Warren": 21, "Sanders": 21, "Biden": 3}, 1, 50)
    assert options(a) == [{"Sanders": 1}, {"Warren": 1}]
    assert a.ties[0].kind == "largest" and a.tied_groups == ("Sanders", "Warren")


def test_one_delegate_nobody_in_final():
    assert allocations({"A": 0}, 1, 5).options == ()


# --------------------------------------------------------------- rule sets as data

def test_tie_break_larger_group_is_a_setting():
    # A = 100, D = 5: raw 2.6 / 1.6 / 0.8 -> 3 / 2 / 1 = 6; A and B (both >1) tie at .6.
    final = {"A": 52, "B": 32, "C": 16}
    assert options(allocations(final, 5, 100)) == [{"A": 3, "B": 1, "C": 1}, {"A": 2, "B": 2, "C": 1}]
    larger = RuleSet("larger group wins", IOWA_2020.viability_shares, tie_break=TieBreak.LARGER_GROUP)
    assert options(allocations(final, 5, 100, larger)) == [{"A": 3, "B": 1, "C": 1}]


def test_half_even_rounding_is_a_setting():
    # 90 attendees, D = 3: half-even rounds 2.5 -> 2 and 0.5 -> 0, then one too few: tie at .5.
    even = RuleSet("half even", IOWA_2020.viability_shares, rounding=Rounding.HALF_EVEN)
    a = allocations({"Sanders": 75, "Warren": 15}, 3, 90, even)
    assert options(a) == [{"Sanders": 3}, {"Sanders": 2, "Warren": 1}]


def test_another_state_with_a_threshold_for_one_delegate():
    flat = RuleSet("flat 15%", ((1, Fraction(15, 100)),))
    assert viability_number(100, 1, flat) == 15
    assert options(allocations({"A": 60, "B": 40}, 1, 100, flat)) == [{"A": 1}]
    assert options(allocations({"A": 50, "B": 50}, 1, 100, flat)) == [{"A": 1}, {"B": 1}]


def test_without_only_delegate_protection():
    bare = RuleSet("no protection", IOWA_2020.viability_shares, protect_only_delegate=False)
    # 90 attendees, D = 3: both at .5 -> a coin toss once the protection is gone.
    assert options(allocations({"Sanders": 75, "Warren": 15}, 3, 90, bare)) == [
        {"Sanders": 3}, {"Sanders": 2, "Warren": 1}]


# ----------------------------------------------------------------- explanations

def test_explain_names_only_the_candidates_steps():
    a = allocations({"Sanders": 75, "Warren": 15}, 3, 90)
    text = a.explain("Sanders")
    assert text.startswith("Sanders: 75 x 3 / 90 = 2.5, rounds to 3; one delegate too many")
    assert "Warren: 15" not in text


def test_closest_option_and_consistency_ignore_zero_entries():
    a = allocations({"A": 6, "B": 8, "C": 8, "D": 9, "E": 9}, 8, 40)
    assert a.is_consistent({"A": 1, "B": 1, "C": 2, "D": 2, "E": 2, "Z": 0})
    assert not a.is_consistent({"A": 1, "B": 1, "C": 2, "D": 2, "E": 2, "Z": 1})
    reported = {"A": 1, "B": 1, "C": 1, "D": 2, "E": 3}
    assert a.options[a.closest(reported)] in ({"A": 1, "B": 1, "C": 2, "D": 2, "E": 2},
                                              {"A": 1, "B": 2, "C": 1, "D": 2, "E": 2})


def test_invalid_inputs_raise():
    with pytest.raises(ValueError):
        allocations({"A": 1}, 0, 10)
    with pytest.raises(ValueError):
        allocations({"A": 1}, 3, 0)


# ---------------------------------------------------------------------------- SDEs

def test_county_ratio_is_exact():
    assert county_ratio(4, 51) == Fraction(4, 51)


def test_sde_rounds_per_candidate_to_four_decimals():
    assert sde({"Sanders": 2, "Warren": 1, "Biden": 0}, Fraction(4, 51)) == {
        "Sanders": Decimal("0.1569"), "Warren": Decimal("0.0784"), "Biden": Decimal("0.0000")}


def test_sde_rounds_half_up_exactly():
    assert round_sde(Fraction(125, 100000)) == Decimal("0.0013")      # 0.00125 -> up, not to even
    assert sde({"A": 1}, Fraction(125, 100000)) == {"A": Decimal("0.0013")}
    assert round_sde(Fraction(124999, 100000000)) == Decimal("0.0012")


def test_totals_are_sums_of_rounded_values():
    per_precinct = [sde({"A": 1}, Fraction(1, 3)), sde({"A": 1, "B": 2}, Fraction(1, 3))]
    assert sum_sde(per_precinct) == {"A": Decimal("0.6666"), "B": Decimal("0.6667")}
    assert sde_by_county([("Polk", per_precinct[0]), ("Polk", per_precinct[1]), ("Story", {"A": Decimal("1")})]) \
        == {"Polk": {"A": Decimal("0.6666"), "B": Decimal("0.6667")}, "Story": {"A": Decimal("1")}}


# -------------------------------------------------------------------- properties

@st.composite
def precincts(draw):
    d = draw(st.integers(1, 14))
    counts = draw(st.lists(st.integers(0, 60), min_size=1, max_size=7))
    final = {f"G{i}": n for i, n in enumerate(counts)}
    attendance = sum(counts) + draw(st.integers(0, 40))
    return final, d, max(attendance, 1)


@settings(max_examples=400, deadline=None)
@given(precincts())
def test_every_allocation_hands_out_exactly_d_and_nothing_to_nonviable(case):
    final, d, attendance = case
    a = allocations(final, d, attendance)
    v = viability_number(attendance, d)
    viable = [g for g, n in final.items() if n >= max(v or 0, 1)]
    if not viable:
        assert a.options == ()
        return
    assert a.options, "some allocation must exist when a group is viable"
    for option in a.options:
        assert sum(option.values()) == d
        assert all(option[g] == 0 for g in final if g not in viable)
        assert set(option) == set(final)
        assert a.is_consistent(option)
    assert len({tuple(sorted(o.items())) for o in a.options}) == len(a.options)
    assert a.coin_toss == (len(a.options) > 1)


@settings(max_examples=300, deadline=None)
@given(precincts(), st.randoms(use_true_random=False))
def test_allocations_do_not_depend_on_candidate_order(case, rnd: random.Random):
    final, d, attendance = case
    names = list(final)
    rnd.shuffle(names)
    shuffled = {g: final[g] for g in names}
    a, b = allocations(final, d, attendance), allocations(shuffled, d, attendance)
    assert a.options == b.options  # same dicts in the same order
    assert set(a.viable) == set(b.viable) and a.tied_groups == b.tied_groups


@settings(max_examples=200, deadline=None)
@given(precincts())
def test_over_allocation_takes_at_most_one_delegate_from_each_group(case):
    """Only groups rounded up give one up, and after that they are rounded down: at most one each."""
    final, d, attendance = case
    a = allocations(final, d, attendance)
    if not a.raw or sum(a.rounded.values()) <= d:
        return
    for option in a.options:
        assert all(option[g] >= a.rounded[g] - 1 for g in a.rounded)
