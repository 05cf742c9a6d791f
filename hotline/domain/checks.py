"""Consistency checks of a precinct report against the caucus rules (the 2020 failures, each one a check)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from hotline.domain import checks_delegates
from hotline.domain.caucus_math import Allocation
from hotline.domain.check_context import ERROR, INFO, WARNING, Context, build_context, stage_dict
from hotline.domain.findings import (Finding, Severity, by_severity, gsm_safe, is_flagged,
                                     summarize_for_chair)
from hotline.domain.languages import _
from hotline.domain.model import PrecinctResults, Stage
from hotline.domain.rules import IOWA_2020, RuleSet

__all__ = ["Context", "Evaluation", "Finding", "Severity", "check", "evaluate", "fingerprint",
           "gsm_safe", "is_flagged", "summarize_for_chair"]


@dataclass(frozen=True)
class Evaluation:
    """The findings together with the math they were judged against (for read-backs and the audit)."""

    findings: list[Finding]
    allocation: Allocation | None
    attendance: int | None
    viability: int | None


def evaluate(results: PrecinctResults, rules: RuleSet = IOWA_2020, *, expect_complete: bool = False,
             others: Iterable[PrecinctResults] = (), toss: tuple[str, ...] | None = None) -> Evaluation:
    """Run every check and return the findings (errors first) with the allocation they used;
    `toss` is the recorded coin-toss winners, if any."""
    ctx = build_context(results, rules, toss)
    findings: list[Finding] = _stage_missing(ctx) if expect_complete else []
    findings += _negative(ctx)
    if not any(f.code == "negative-count" for f in findings):
        for rule in COUNT_CHECKS + checks_delegates.DELEGATE_CHECKS:
            findings += rule(ctx)
        findings += _identical(ctx, others)
    return Evaluation(by_severity(findings), ctx.allocation, ctx.attendance, ctx.viability)


def check(results: PrecinctResults, rules: RuleSet = IOWA_2020, *, expect_complete: bool = False,
          others: Iterable[PrecinctResults] = (), toss: tuple[str, ...] | None = None) -> list[Finding]:
    """All findings for one precinct report, errors first; `others` are reports to compare for copies,
    `toss` the recorded coin-toss winners."""
    return evaluate(results, rules, expect_complete=expect_complete, others=others, toss=toss).findings


def _stage_missing(ctx: Context) -> list[Finding]:
    present = {Stage.FIRST: ctx.first, Stage.FINAL: ctx.final, Stage.DELEGATES: ctx.delegates}
    return [Finding("stage-missing", ERROR,
                    f"The {stage.label.lower()} {'are' if stage is Stage.DELEGATES else 'is'} missing:"
                    " a complete report has the first alignment,"
                    " the final alignment and the county delegates.",
                    short=_("Missing: {stage} - please send them.").format(stage=_(stage.label).lower()))
            for stage, counts in present.items() if counts is None]


def _negative(ctx: Context) -> list[Finding]:
    out = []
    for stage, counts in ((Stage.FIRST, ctx.first), (Stage.FINAL, ctx.final), (Stage.DELEGATES, ctx.delegates)):
        for name, n in (counts or {}).items():
            if n < 0:
                out.append(Finding("negative-count", ERROR,
                                   f"{name} has a negative number ({n}) in the {stage.label.lower()}.",
                                   name, _("{name} has a negative number ({n}) - please correct it.").format(name=name, n=n)))
    return out


def _totals(ctx: Context) -> list[Finding]:
    """Nobody joins after the first count: final <= first <= A; a smaller final total is allowed."""
    out: list[Finding] = []
    first = sum(ctx.first.values()) if ctx.first else None
    final = sum(ctx.final.values()) if ctx.final else None
    a = ctx.results.attendance
    if first is not None and a is not None and first > a:
        out.append(Finding("first-exceeds-attendance", ERROR,
                           f"The first alignment adds up to {first}, more than the {a} attendees counted"
                           " when the caucus was called to order.",
                           short=_("First total {first} is more than attendance {a} - check the counts.").format(
                               first=first, a=a)))
    if final is not None and first is not None and final > first:
        out.append(Finding("final-exceeds-first", ERROR,
                           f"The final alignment adds up to {final}, more than the first alignment"
                           f" ({first}); nobody can join after the first count.",
                           short=_("Final total {final} is more than first total {first} - nobody joins"
                                   " after the first count.").format(final=final, first=first)))
    if final is not None and a is not None and final > a:
        out.append(Finding("final-exceeds-attendance", ERROR,
                           f"The final alignment adds up to {final}, more than the {a} attendees counted.",
                           short=_("Final total {final} is more than attendance {a} - check the counts.").format(
                               final=final, a=a)))
    if final is not None and first is not None and final < first:
        out.append(Finding("final-smaller", INFO,
                           f"The final alignment adds up to {final}, {first - final} fewer than the first"
                           f" alignment ({first}): people left, which is allowed."))
    return out


def _attendance(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    a, past = ctx.attendance, ctx.results.past_turnout
    if not ctx.attendance_reported and a is not None:
        out.append(Finding("attendance-missing", INFO,
                           f"Attendance was not reported, so A = {a}, the first-alignment total, was used"
                           " for the viability number and the delegate math."))
    rules = ctx.rules
    if a is not None and past is not None and a > past * rules.turnout_factor \
            and a - past >= rules.turnout_min_excess:
        source = "" if ctx.attendance_reported else " (the first-alignment total)"
        out.append(Finding("attendance-above-turnout", WARNING,
                           f"Attendance {a}{source} is far above this precinct's past turnout ({past});"
                           " please confirm the count.",
                           short=_("Attendance {a} is far above past turnout {past} - please confirm.").format(
                               a=a, past=past)))
    return out


def _locking(ctx: Context) -> list[Finding]:
    """A group viable at the first alignment is locked: it should not have fewer members in the final."""
    v = ctx.viability
    if not ctx.rules.lock_first_viable or v is None or ctx.first is None or ctx.final is None:
        return []
    return [_lost_members(ctx, name, n, ctx.final.get(name, 0))
            for name, n in ctx.first.items() if n >= v and ctx.final.get(name, 0) < n]


def _lost_members(ctx: Context, name: str, first: int, final: int) -> Finding:
    v = ctx.viability
    if first == v and not ctx.attendance_reported:
        # A = first total is only a lower bound, so a group exactly at V may not have been viable.
        return Finding("viable-group-lost-members", WARNING,
                       f"{name} had exactly the viability number ({v}) at the first alignment and has"
                       f" {final} in the final alignment; attendance was not reported (A = {ctx.attendance},"
                       " the first-alignment total), so it may not really have been viable and locked.",
                       name, _("{name} went from {first} to {final} - was it viable? Please send attendance.").format(
                           name=name, first=first, final=final))
    return Finding("viable-group-lost-members", ERROR,
                   f"{name} was viable at the first alignment ({first}, viability number {v}) but has"
                   f" {final} in the final alignment; a viable group is locked and cannot lose members.",
                   name, _("{name} was viable with {first} at first but has {final} in final - viable"
                           " groups are locked.").format(name=name, first=first, final=final))


def _stayed(ctx: Context) -> list[Finding]:
    """Members staying in a non-viable group are allowed; record it."""
    v = ctx.viability
    if v is None or ctx.final is None:
        return []
    stayed = [(name, n) for name, n in ctx.final.items() if 0 < n < v]
    if not stayed:
        return []
    listing = ", ".join(f"{name} {n}" for name, n in stayed)
    return [Finding("stayed-nonviable", INFO,
                    f"Below the viability number {v} in the final alignment: {listing}. Allowed; they win"
                    " no delegates.", stayed[0][0] if len(stayed) == 1 else None)]


def _satellite(ctx: Context) -> list[Finding]:
    if not ctx.satellite:
        return []
    return [Finding("satellite", INFO, "No published delegate count for this site (satellite): the"
                    " delegates are taken as reported and only the counts are checked.")]


def fingerprint(results: PrecinctResults, rules: RuleSet = IOWA_2020) -> tuple[frozenset, frozenset] | None:
    """The first and final alignments as compared for copies; None when too small to mean anything."""
    first, final = stage_dict(results.first), stage_dict(results.final)
    if not first or not final:
        return None
    nonzero_first = frozenset((k, n) for k, n in first.items() if n)
    # Tiny or single-group precincts coincide by chance; only larger records are worth a warning.
    if sum(first.values()) < rules.identical_min_total or len(nonzero_first) < 2:
        return None
    return nonzero_first, frozenset((k, n) for k, n in final.items() if n)


def _identical(ctx: Context, others: Iterable[PrecinctResults]) -> list[Finding]:
    mine = fingerprint(ctx.results, ctx.rules)
    if mine is None:
        return []
    me = (ctx.results.county, ctx.results.precinct)
    for other in others:
        if (other.county, other.precinct) != me and fingerprint(other, ctx.rules) == mine:
            where = f"precinct {other.precinct}" + (f" ({other.county})" if other.county else "")
            return [Finding("identical-precinct", WARNING,
                            f"The first and final alignments are identical to {where}; the numbers may"
                            " have been entered twice.",
                            short=_("Same numbers as {where} - entered twice? Please check.").format(where=where))]
    return []


COUNT_CHECKS: tuple[Callable[[Context], list[Finding]], ...] = (
    _totals, _attendance, _locking, _stayed, _satellite)
