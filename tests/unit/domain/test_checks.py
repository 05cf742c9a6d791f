"""Each check firing and not firing at its boundary, plus the chair summary."""
from __future__ import annotations

from fractions import Fraction

import pytest

from hotline.domain.checks import check, evaluate, fingerprint
from hotline.domain.findings import Finding, Severity, gsm_safe, is_flagged, summarize_for_chair
from hotline.domain.model import PrecinctResults
from hotline.domain.rules import IOWA_2020, RuleSet


def report(first=None, final=None, delegates=None, d=4, attendance=None, precinct="P-1", **kw):
    return PrecinctResults(precinct, d, first, final, delegates, attendance, **kw)


def codes(findings, severity=None):
    return [f.code for f in findings if severity is None or f.severity is severity]


def only(findings, code):
    found = [f for f in findings if f.code == code]
    assert found, f"no {code} in {codes(findings)}"
    return found


# A clean 4-delegate precinct: A = 100, V = 15; raw 2 / 1.2 / 0.8 -> 2 / 1 / 1.
CLEAN = dict(first={"A": 45, "B": 30, "C": 20, "D": 5}, final={"A": 50, "B": 30, "C": 20},
             delegates={"A": 2, "B": 1, "C": 1}, attendance=100)


def test_clean_report_has_no_errors_or_warnings():
    findings = check(report(**CLEAN), expect_complete=True)
    assert codes(findings) == []
    assert not is_flagged(findings)
    assert summarize_for_chair(findings) == ""


# ------------------------------------------------------------------ stages

def test_stage_missing_only_when_complete_expected():
    partial = report(first=CLEAN["first"], attendance=100)
    assert "stage-missing" not in codes(check(partial))
    missing = only(check(partial, expect_complete=True), "stage-missing")
    assert [f.message.split(" missing")[0] for f in missing] == ["The final alignment is", "The county delegates are"]
    assert all(f.severity is Severity.ERROR for f in missing)
    assert "stage-missing" not in codes(check(report(**CLEAN), expect_complete=True))


def test_empty_stage_counts_as_missing():
    assert "stage-missing" in codes(check(report(**{**CLEAN, "delegates": {}}), expect_complete=True))


def test_negative_count_is_an_error_and_stops_the_math():
    findings = check(report(**{**CLEAN, "final": {"A": -1, "B": 30}}))
    assert codes(findings) == ["negative-count"]


# ------------------------------------------------------------------ totals

def test_final_total_above_first_total():
    base = dict(first={"A": 60, "B": 35, "C": 5}, delegates={"A": 3, "B": 1})
    over = check(report(final={"A": 61, "B": 35, "C": 5}, **base))
    assert "final-exceeds-first" in codes(over, Severity.ERROR)
    assert "101, more than the first alignment (100)" in only(over, "final-exceeds-first")[0].message
    equal = check(report(final={"A": 60, "B": 35, "C": 5}, **base))
    assert "final-exceeds-first" not in codes(equal) and "final-smaller" not in codes(equal)
    fewer = check(report(final={"A": 60, "B": 35}, **base))  # the 5 non-viable went home
    assert "final-smaller" in codes(fewer, Severity.INFO) and not is_flagged(fewer)
    assert "95, 5 fewer than the first alignment (100)" in only(fewer, "final-smaller")[0].message


def test_totals_against_reported_attendance():
    first = {"A": 60, "B": 40}
    assert "first-exceeds-attendance" in codes(check(report(first=first, attendance=99)))
    assert "first-exceeds-attendance" not in codes(check(report(first=first, attendance=100)))
    above = check(report(final={"A": 61, "B": 40}, attendance=100))
    assert "final-exceeds-attendance" in codes(above, Severity.ERROR)
    assert "final-exceeds-attendance" not in codes(check(report(final={"A": 60, "B": 40}, attendance=100)))


def test_attendance_missing_says_first_total_was_used():
    findings = check(report(first={"A": 60, "B": 40}, final={"A": 60, "B": 40}))
    msg = only(findings, "attendance-missing")[0]
    assert msg.severity is Severity.INFO and "A = 100, the first-alignment total" in msg.message
    assert "attendance-missing" not in codes(check(report(**CLEAN)))


@pytest.mark.parametrize("past, attendance, fires", [
    (50, 100, False),   # exactly twice past turnout: not above
    (50, 101, True),    # above 2x and 51 more
    (5, 29, False),     # above 2x but only 24 more (small precinct noise)
    (5, 30, True),      # 25 more: fires
])
def test_attendance_far_above_past_turnout(past, attendance, fires):
    findings = check(report(first={"A": attendance}, attendance=attendance, past_turnout=past))
    assert ("attendance-above-turnout" in codes(findings, Severity.WARNING)) is fires


def test_turnout_factor_is_configurable():
    strict = RuleSet("strict", IOWA_2020.viability_shares, turnout_factor=Fraction(3, 2), turnout_min_excess=1)
    r = report(first={"A": 76}, attendance=76, past_turnout=50)
    assert "attendance-above-turnout" in codes(check(r, strict))
    assert "attendance-above-turnout" not in codes(check(r))


# ------------------------------------------------------------------ locking

def test_first_viable_group_losing_members_is_an_error():
    # A = 100 reported, D = 4: V = 15. B is viable at exactly 15 and loses one.
    first = {"A": 60, "B": 15, "C": 14, "D": 11}
    lost = check(report(first=first, final={"A": 74, "B": 14}, attendance=100))
    f = only(lost, "viable-group-lost-members")[0]
    assert f.severity is Severity.ERROR and f.candidate == "B"
    assert "B was viable at the first alignment (15, viability number 15) but has 14" in f.message
    kept = check(report(first=first, final={"A": 74, "B": 15}, attendance=100))
    assert "viable-group-lost-members" not in codes(kept)
    # C (14) was not viable: its members may realign.
    assert "viable-group-lost-members" not in codes(check(report(first=first, final={"A": 85, "B": 15},
                                                                 attendance=100)))


def test_group_exactly_at_v_without_reported_attendance_is_only_a_warning():
    first = {"A": 70, "B": 15, "C": 15}  # A = first total = 100, V = 15
    findings = check(report(first=first, final={"A": 85, "B": 15}))
    f = only(findings, "viable-group-lost-members")[0]
    assert f.severity is Severity.WARNING and f.candidate == "C"
    above_v = check(report(first={"A": 69, "B": 15, "C": 16}, final={"A": 85, "B": 15}))
    assert only(above_v, "viable-group-lost-members")[0].severity is Severity.ERROR


def test_locking_is_a_rule_set_setting():
    unlocked = RuleSet("no locking", IOWA_2020.viability_shares, lock_first_viable=False)
    r = report(first={"A": 60, "B": 40}, final={"A": 70, "B": 30}, attendance=100)
    assert "viable-group-lost-members" in codes(check(r))
    assert "viable-group-lost-members" not in codes(check(r, unlocked))


def test_staying_in_a_nonviable_group_is_info_only():
    assert "stayed-nonviable" not in codes(check(report(**CLEAN)))  # D's 5 left: not "stayed"
    stayed = check(report(first={"A": 86, "B": 14}, final={"A": 86, "B": 14}, delegates={"A": 4},
                          attendance=100))
    f = only(stayed, "stayed-nonviable")[0]
    assert f.severity is Severity.INFO and "B 14" in f.message and not is_flagged(stayed)


# -------------------------------------------------------------- delegates

def test_delegates_to_group_below_viability():
    # A = 100, D = 4, V = 15: B with 14 gets a delegate.
    r = report(first={"A": 86, "B": 14}, final={"A": 86, "B": 14}, delegates={"A": 3, "B": 1}, attendance=100)
    f = only(check(r), "delegates-to-nonviable")[0]
    assert f.candidate == "B" and "has 14 in the final alignment, below the viability number 15" in f.message
    at_v = report(first={"A": 85, "B": 15}, final={"A": 85, "B": 15}, delegates={"A": 3, "B": 1}, attendance=100)
    assert "delegates-to-nonviable" not in codes(check(at_v))


def test_viable_group_without_delegate_when_there_were_enough():
    r = report(**{**CLEAN, "delegates": {"A": 3, "B": 1, "C": 0}})
    f = only(check(r), "viable-group-without-delegate")[0]
    assert f.candidate == "C" and "the caucus math gives C 1" in f.message


def test_viable_group_without_delegate_not_flagged_when_a_coin_toss_can_leave_it_out():
    # D = 2, four groups at 0.5: any two end with nothing.
    r = report(first={"A": 25, "B": 25, "C": 25, "D": 25}, final={"A": 25, "B": 25, "C": 25, "D": 25},
               delegates={"A": 1, "C": 1}, d=2, attendance=100)
    findings = check(r)
    assert "viable-group-without-delegate" not in codes(findings)
    assert codes(findings, Severity.INFO) == ["coin-toss"] and not is_flagged(findings)


def test_delegates_not_adding_up_to_d():
    r = report(**{**CLEAN, "delegates": {"A": 2, "B": 2, "C": 1}})
    f = only(check(r), "delegates-sum")[0]
    assert f.message == "The county delegates add up to 5, but this precinct elects 4."
    assert "delegates-sum" not in codes(check(report(**CLEAN)))


def test_reported_allocation_not_among_rule_consistent_ones_names_who_and_why():
    # caucus-rules.md: 90 attendees, D = 3, 75 / 15 -> 2 / 1. Reported 3 / 0 adds up but is wrong.
    r = report(first={"Sanders": 75, "Warren": 15}, final={"Sanders": 75, "Warren": 15},
               delegates={"Sanders": 3, "Warren": 0}, d=3, attendance=90)
    findings = check(r)
    mismatch = only(findings, "allocation-mismatch")
    assert [f.candidate for f in mismatch] == ["Sanders", "Warren"]
    assert mismatch[0].message.startswith("Sanders: the caucus math gives 2 county delegates, not 3. Why:"
                                          " Sanders: 75 x 3 / 90 = 2.5, rounds to 3; one delegate too many")
    assert summarize_for_chair(findings).startswith(
        "Delegates: the caucus math gives Sanders 2, not 3 - check the worksheet.")
    assert "allocation-mismatch" not in codes(check(report(first=r.first, final=r.final,
                                                           delegates={"Sanders": 2, "Warren": 1}, d=3,
                                                           attendance=90)))


def test_rules_example_19_attendees_reported_2_1_0_is_an_error():
    r = report(first={"A": 10, "B": 5, "C": 4}, final={"A": 10, "B": 5, "C": 4},
               delegates={"A": 2, "B": 1, "C": 0}, d=3, attendance=19)
    findings = check(r)
    assert {"allocation-mismatch", "viable-group-without-delegate"} <= set(codes(findings, Severity.ERROR))
    assert only(findings, "viable-group-without-delegate")[0].candidate == "C"


def test_coin_toss_outcome_is_info_and_other_outcomes_are_errors():
    first = final = {"A": 6, "B": 8, "C": 8, "D": 9, "E": 9}
    ok = check(report(first=first, final=final, delegates={"A": 1, "B": 1, "C": 2, "D": 2, "E": 2}, d=8,
                      attendance=40))
    toss = only(ok, "coin-toss")[0]
    assert toss.severity is Severity.INFO and "which of B and C gives up a delegate" in toss.message
    assert not is_flagged(ok)
    wrong = check(report(first=first, final=final, delegates={"A": 2, "B": 2, "C": 2, "D": 1, "E": 1}, d=8,
                         attendance=40))
    assert "coin-toss" not in codes(wrong)
    assert "A coin toss between B and C" in only(wrong, "allocation-mismatch")[0].message


def test_one_delegate_precinct():
    first = final = {"Sanders": 21, "Warren": 20}
    right = check(report(first=first, final=final, delegates={"Sanders": 1}, d=1, attendance=41))
    assert not is_flagged(right) and "delegates-to-nonviable" not in codes(right)
    wrong = check(report(first=first, final=final, delegates={"Warren": 1}, d=1, attendance=41))
    assert [f.candidate for f in only(wrong, "allocation-mismatch")] == ["Sanders", "Warren"]
    tie = check(report(first={"Sanders": 20, "Warren": 20}, final={"Sanders": 20, "Warren": 20},
                       delegates={"Warren": 1}, d=1, attendance=40))
    assert codes(tie, Severity.INFO) == ["coin-toss"] and not is_flagged(tie)


def test_more_final_votes_fewer_delegates():
    first = final = {"A": 100, "B": 50, "C": 50}
    swapped = check(report(first=first, final=final, delegates={"A": 2, "B": 3, "C": 2}, d=7, attendance=200))
    f = only(swapped, "more-votes-fewer-delegates")[0]
    assert f.message == "A has more final votes (100) than B (50) but fewer county delegates (2 vs 3)."
    right = check(report(first=first, final=final, delegates={"A": 3, "B": 2, "C": 2}, d=7, attendance=200))
    assert "more-votes-fewer-delegates" not in codes(right)


def test_more_votes_fewer_delegates_allowed_when_the_caucus_decided_a_free_delegate():
    # A = 100, D = 4: 20 / 16 -> 1 / 1, two left and nobody rounded down: 1 / 3 is rule-consistent.
    base = dict(first={"A": 20, "B": 16, "X": 64}, final={"A": 20, "B": 16}, d=4, attendance=100)
    assert "more-votes-fewer-delegates" not in codes(check(report(delegates={"A": 1, "B": 3}, **base)))


def test_no_viable_group_in_final():
    r = report(first={"A": 50, "B": 50}, final={"A": 14, "B": 14}, delegates={"A": 2, "B": 2}, attendance=100)
    assert "no-viable-group" in codes(check(r), Severity.ERROR)
    ok = report(first={"A": 50, "B": 50}, final={"A": 15, "B": 14}, delegates={"A": 4}, attendance=100)
    assert "no-viable-group" not in codes(check(ok))


def test_satellite_checks_only_the_counts():
    r = report(first={"A": 10, "B": 3}, final={"A": 12, "B": 1}, delegates={"A": 1, "B": 5}, d=None)
    findings = check(r, expect_complete=True)
    assert "satellite" in codes(findings, Severity.INFO)
    assert not set(codes(findings)) & {"delegates-sum", "allocation-mismatch", "delegates-to-nonviable",
                                       "more-votes-fewer-delegates", "viable-group-lost-members"}
    bad_counts = check(report(first={"A": 10}, final={"A": 11}, d=None))
    assert "final-exceeds-first" in codes(bad_counts)


# ----------------------------------------------------- copies and column shifts

def test_identical_to_another_precinct():
    mine = report(**CLEAN, precinct="P-1", county="Polk")
    copy = report(**CLEAN, precinct="P-2", county="Polk")
    f = only(check(mine, others=[copy]), "identical-precinct")[0]
    assert f.severity is Severity.WARNING and "precinct P-2 (Polk)" in f.message
    differs = report(**{**CLEAN, "final": {"A": 49, "B": 31, "C": 20}}, precinct="P-2", county="Polk")
    assert "identical-precinct" not in codes(check(mine, others=[differs]))
    assert "identical-precinct" not in codes(check(mine, others=[mine]))  # itself is no copy


def test_identical_tiny_precincts_are_not_warned():
    tiny = dict(first={"A": 5, "B": 4}, final={"A": 5, "B": 4})  # 9 < identical_min_total 10
    assert fingerprint(report(**tiny)) is None
    assert "identical-precinct" not in codes(check(report(**tiny), others=[report(**tiny, precinct="P-9")]))
    single = dict(first={"A": 50}, final={"A": 50})  # one group only
    assert fingerprint(report(**single)) is None
    assert fingerprint(report(first={"A": 5, "B": 5}, final={"A": 10})) is not None


BALLOT = ["Bennet", "Biden", "Buttigieg", "Klobuchar", "Sanders", "Warren", "Yang"]


def _ballot(values):
    return dict(zip(BALLOT, values))


def test_final_alignment_shifted_one_row_down():
    first = _ballot([0, 12, 45, 8, 40, 30, 0])           # A = 135, D = 5, V = 21
    true_final = _ballot([0, 0, 55, 0, 48, 32, 0])
    shifted = _ballot([0, 0, 0, 55, 0, 48, 32])           # each number under the next name
    findings = check(report(first=first, final=shifted, d=5, attendance=135))
    f = only(findings, "column-shift")[0]
    assert f.severity is Severity.WARNING and "55 under Klobuchar looks like Buttigieg's" in f.message
    assert summarize_for_chair(findings).startswith("The final-alignment numbers look shifted by one name")
    assert "column-shift" not in codes(check(report(first=first, final=true_final, d=5, attendance=135)))


def test_lost_members_without_a_shift_is_not_called_a_shift():
    first = _ballot([0, 12, 45, 8, 40, 30, 0])
    final = _ballot([0, 0, 40, 0, 55, 40, 0])             # Buttigieg lost 5; no one-row reading fixes it
    findings = check(report(first=first, final=final, d=5, attendance=135))
    assert "viable-group-lost-members" in codes(findings) and "column-shift" not in codes(findings)


def test_delegates_shifted_one_row():
    first = final = _ballot([0, 0, 55, 0, 48, 32, 0])     # A = 135, D = 5: 2.04 / 1.78 / 1.19 -> 2 / 2 / 1
    right = _ballot([0, 0, 2, 0, 2, 1, 0])
    assert not is_flagged(check(report(first=first, final=final, delegates=right, d=5, attendance=135)))
    shifted = _ballot([0, 2, 0, 2, 1, 0, 0])              # each number under the previous name
    findings = check(report(first=first, final=final, delegates=shifted, d=5, attendance=135))
    assert "column-shift" in codes(findings, Severity.WARNING)
    swapped = _ballot([0, 0, 1, 0, 2, 2, 0])              # wrong, but no shift explains it
    assert "column-shift" not in codes(check(report(first=first, final=final, delegates=swapped, d=5,
                                                    attendance=135)))


# ------------------------------------------------------------- summary & misc

def test_evaluate_returns_the_allocation_used():
    ev = evaluate(report(**CLEAN))
    assert ev.attendance == 100 and ev.viability == 15
    assert ev.allocation is not None and ev.allocation.options == ({"A": 2, "B": 1, "C": 1},)


def test_findings_are_sorted_errors_first():
    findings = check(report(first={"A": 60, "B": 40}, final={"A": 61, "B": 30}))
    ranks = [["error", "warning", "info"].index(f.severity.value) for f in findings]
    assert ranks == sorted(ranks) and ranks[0] == 0


def test_is_flagged_only_for_errors():
    assert is_flagged([Finding("x", Severity.ERROR, "m")])
    assert not is_flagged([Finding("x", Severity.WARNING, "m"), Finding("y", Severity.INFO, "m")])


def test_summary_fits_the_limit_and_is_plain_ascii():
    findings = [Finding("final-exceeds-first", Severity.ERROR, "long " * 80, short="Final total 140 is more"
                        " than first total 135 - nobody joins after the first count."),
                Finding("allocation-mismatch", Severity.ERROR, "m", "Pe\u00f1a",
                        short="Delegates: the caucus math gives Pe\u00f1a 2, not 3 \u2014 check the worksheet.")]
    # The delegates sentence comes first (the chair can fix it from the worksheet); both fit in 160.
    assert summarize_for_chair(findings) == ("Delegates: the caucus math gives Pena 2, not 3 - check the"
                                             " worksheet. Final total 140 is more than first total 135 -"
                                             " nobody joins after the first count.")
    assert summarize_for_chair(findings, limit=100) == \
        "Delegates: the caucus math gives Pena 2, not 3 - check the worksheet."
    short = summarize_for_chair(findings, limit=40)
    assert short.endswith("...") and len(short) <= 40


def test_summary_ignores_info():
    assert summarize_for_chair([Finding("coin-toss", Severity.INFO, "A coin toss decides")]) == ""


def test_gsm_safe_drops_characters_outside_gsm7_ascii():
    assert gsm_safe("Caf\u00e9 {x} ~ \u201cok\u201d") == 'Cafe x  "ok"'
