"""Coin tosses in the checks: what a recorded toss allows, the warning before it is recorded, COIN texts."""
from __future__ import annotations

import pytest

from hotline.domain import coin_toss
from hotline.domain.caucus_math import allocations
from hotline.domain.checks import check
from hotline.domain.findings import Severity, is_flagged
from hotline.domain.model import Candidate, PrecinctResults
from hotline.domain.parsing import Coin, Report, parse_message

# caucus-rules.md: 40 attendees, D = 8, final 6 / 8 / 8 / 9 / 9: B and C tie at .6.
FORTY = {"A": 6, "B": 8, "C": 8, "D": 9, "E": 9}
C_WON = {"A": 1, "B": 1, "C": 2, "D": 2, "E": 2}
# 14 attendees, D = 7, final 6 / 5 / 2 / 1: A and B share 7; the toss may give B (5) more than A (6).
SMALL = {"A": 6, "B": 5, "C": 2, "D": 1}


def forty(delegates, toss=None):
    return check(PrecinctResults("P-2", 8, FORTY, FORTY, delegates, 40), toss=toss)


def coin(findings):
    return [(f.code, f.severity) for f in findings if f.code.startswith("coin")]


def test_the_forty_attendee_example_leaves_two_outcomes_and_a_toss_picks_one():
    alloc = allocations(FORTY, 8, 40)
    assert coin_toss.questions(alloc) == (("B", "C"),)
    assert coin_toss.consistent_options(alloc, ["C"]) == (C_WON,)
    assert coin_toss.consistent_options(alloc, ["B"]) == ({"A": 1, "B": 2, "C": 1, "D": 2, "E": 2},)
    assert coin_toss.matches(alloc, ["C"], C_WON) and not coin_toss.matches(alloc, ["B"], C_WON)


def test_before_the_toss_is_recorded_the_forty_example_is_info_saying_so():
    findings = forty(C_WON)
    assert coin(findings) == [("coin-toss", Severity.INFO)]
    assert "not recorded yet" in findings[-1].message and not is_flagged(findings)


def test_a_recorded_toss_that_fits_is_info_naming_the_winner():
    findings = forty(C_WON, toss=("C",))
    assert coin(findings) == [("coin-toss", Severity.INFO)]
    assert "recorded as won by C" in findings[-1].message and not is_flagged(findings)


def test_a_recorded_toss_that_contradicts_the_delegates_is_an_error():
    findings = forty(C_WON, toss=("B",))
    assert coin(findings) == [("coin-toss-mismatch", Severity.ERROR)] and is_flagged(findings)
    assert findings[0].message == ("The worksheet gives C the delegate, but the coin toss was recorded as"
                                   " won by B.")


def test_a_toss_from_another_tie_does_not_apply():
    assert coin(forty(C_WON, toss=("D",))) == [("coin-toss", Severity.INFO)]


def test_delegates_that_fit_no_outcome_stay_allocation_errors_whatever_the_toss():
    wrong = forty({"A": 2, "B": 2, "C": 2, "D": 1, "E": 1}, toss=("C",))
    assert "allocation-mismatch" in [f.code for f in wrong] and coin(wrong) == []


def test_more_votes_fewer_delegates_only_a_toss_explains_is_a_warning_until_recorded():
    reported = {"A": 3, "B": 4}
    alloc = allocations(SMALL, 7, 14)
    assert alloc.coin_toss and alloc.is_consistent(reported)
    before = check(PrecinctResults("P-3", 7, SMALL, SMALL, reported, 14))
    assert coin(before) == [("coin-toss-unrecorded", Severity.WARNING)] and not is_flagged(before)
    assert "more-votes-fewer-delegates" not in [f.code for f in before]  # that one is for inconsistent ones
    after = check(PrecinctResults("P-3", 7, SMALL, SMALL, reported, 14), toss=("B",))
    assert coin(after) == [("coin-toss", Severity.INFO)]
    lost = check(PrecinctResults("P-3", 7, SMALL, SMALL, reported, 14), toss=("A",))
    assert coin(lost) == [("coin-toss-mismatch", Severity.ERROR)]
    # The other outcome gives the larger group more: no warning, only info.
    fair = check(PrecinctResults("P-3", 7, SMALL, SMALL, {"A": 4, "B": 3}, 14))
    assert coin(fair) == [("coin-toss", Severity.INFO)]


def test_winners_outside_the_tie_are_refused():
    alloc = allocations(FORTY, 8, 40)
    assert coin_toss.check_winners(alloc, ["C"]) == ("C",)
    with pytest.raises(coin_toss.WinnerProblem, match="D is not in the coin toss"):
        coin_toss.check_winners(alloc, ["D"])
    with pytest.raises(coin_toss.WinnerProblem, match="no coin toss"):
        coin_toss.check_winners(allocations({"A": 10, "B": 5}, 3, 15), ["A"])
    assert coin_toss.resolve([frozenset({"C"}), frozenset({"D"})], ("B", "C")) == (
        ["C"], ["D is not in the coin toss (between B and C)"])


CANDIDATES = [Candidate("Sanders", ("Bernie",), 1), Candidate("Warren", ("Liz",), 2), Candidate("Biden", (), 3)]


@pytest.mark.parametrize("body, precinct, winners", [
    ("COIN Sanders", None, [{"Sanders"}]),
    ("coin sandrs", None, [{"Sanders"}]),
    ("coin toss won by Bernie", None, [{"Sanders"}]),
    ("DSM-6 COIN Sanders Warren", "DSM-6", [{"Sanders"}, {"Warren"}]),
    ("dsm 6 coin: warren", "DSM-6", [{"Warren"}]),
])
def test_coin_texts(body, precinct, winners):
    parsed = parse_message(body, CANDIDATES, known_precincts=frozenset({"DSM-6"}))
    assert isinstance(parsed, Coin)
    assert parsed.precinct == precinct and [set(c) for c in parsed.choices] == winners and not parsed.unknown


def test_a_coin_text_with_an_unknown_name_keeps_the_word_and_reports_are_not_coin_texts():
    assert parse_message("COIN Xyzzy", CANDIDATES).unknown == ("Xyzzy",)
    assert isinstance(parse_message("first: Sanders 12, Warren 10", CANDIDATES), Report)
