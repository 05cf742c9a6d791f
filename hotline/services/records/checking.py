"""Runs the domain's caucus-math checks on what the database holds for a precinct."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.adapters.models import CoinTossRow, Precinct, Report, Submission
from hotline.domain import checks, coin_toss
from hotline.domain.checks import Finding, Severity
from hotline.domain.lifecycle import ReportStatus, SubmissionStatus, counts_fingerprint
from hotline.domain.model import PrecinctResults, Stage

__all__ = ["Finding", "preview", "current", "evaluation", "preview_ties", "toss_winners", "as_json", "is_flagged",
           "summary", "chair_warning", "readback_warning", "earlier_figures", "flag_reason"]


CURRENT, CONFIRMED = ReportStatus.CURRENT.value, SubmissionStatus.CONFIRMED.value

# Built once: a chair's report and YES each run the checks, and building a statement costs
# more than running it on SQLite.
CURRENT_COUNTS = select(Report.stage, Report.counts).where(
    Report.precinct_id == bindparam("precinct_id"), Report.status == CURRENT)
LATEST_ATTENDANCE = (select(Submission.attendance).where(
    Submission.precinct_id == bindparam("precinct_id"), Submission.status == CONFIRMED,
    Submission.attendance.is_not(None)).order_by(Submission.confirmed_at.desc()).limit(1))
SAME_FIRST = select(Report.precinct_id).where(
    Report.status == CURRENT, Report.stage == "first", Report.fingerprint == bindparam("fingerprint"),
    Report.precinct_id != bindparam("precinct_id"))
SAME_FINAL = select(Report.precinct_id).where(
    Report.status == CURRENT, Report.stage == "final", Report.fingerprint == bindparam("fingerprint"),
    Report.precinct_id.in_(bindparam("precinct_ids", expanding=True)))
LATEST_TOSS = (select(CoinTossRow.winners).where(CoinTossRow.precinct_id == bindparam("precinct_id"))
               .order_by(CoinTossRow.id.desc()).limit(1))

Stages = Mapping[Stage, Mapping[str, int]]


def _results(s: Session, precinct: Precinct, overlay: Stages, attendance: int | None,
             current: Stages | None = None) -> PrecinctResults:
    """The precinct's figures: `current` (read here unless given) with `overlay` on top."""
    if current is None:
        current = {Stage(stage): counts for stage, counts in s.execute(CURRENT_COUNTS, {"precinct_id": precinct.id})}
    stages: dict[Stage, Mapping[str, int]] = {**current, **overlay}
    if attendance is None:
        attendance = s.execute(LATEST_ATTENDANCE, {"precinct_id": precinct.id}).scalar()
    return PrecinctResults(precinct=precinct.code, delegates_to_elect=precinct.delegates_to_elect,
                           first=stages.get(Stage.FIRST), final=stages.get(Stage.FINAL),
                           delegates=stages.get(Stage.DELEGATES), attendance=attendance,
                           county=precinct.county.name, past_turnout=precinct.past_turnout)


def _twins(s: Session, results: PrecinctResults, precinct_id: int) -> list[PrecinctResults]:
    """Other precincts whose current first and final alignments are identical to these."""
    if not results.first or not results.final:
        return []
    firsts = list(s.execute(SAME_FIRST, {"fingerprint": counts_fingerprint(results.first),
                                         "precinct_id": precinct_id}).scalars())
    if not firsts:
        return []
    twins = s.execute(SAME_FINAL, {"fingerprint": counts_fingerprint(results.final), "precinct_ids": firsts}).scalars()
    out = []
    for pid in twins:
        other = s.get(Precinct, pid)
        if other is not None:
            out.append(_results(s, other, {}, None))
    return out


def toss_winners(s: Session, precinct_id: int) -> tuple[str, ...] | None:
    """The winners of the precinct's newest recorded coin toss (None: none recorded)."""
    winners = s.execute(LATEST_TOSS, {"precinct_id": precinct_id}).scalar()
    return tuple(winners) if winners else None


def _evaluate(s: Session, precinct: Precinct, overlay: Stages, attendance: int | None,
              current: Stages | None = None) -> checks.Evaluation:
    results = _results(s, precinct, overlay, attendance, current)
    return checks.evaluate(results, expect_complete=precinct.chair_done_at is not None,
                           others=_twins(s, results, precinct.id), toss=toss_winners(s, precinct.id))


def _run(s: Session, precinct: Precinct, overlay: Stages, attendance: int | None,
         current: Stages | None = None) -> list[Finding]:
    return _evaluate(s, precinct, overlay, attendance, current).findings


def evaluation(s: Session, precinct: Precinct) -> checks.Evaluation:
    """The checks on the precinct's confirmed reports, with the allocation they were judged against."""
    return _evaluate(s, precinct, {}, None)


def preview_ties(s: Session, precinct: Precinct, sections: Sequence[tuple[Stage, Mapping[str, int]]],
                 attendance: int | None) -> tuple[tuple[str, ...], ...]:
    """The coin tosses a read-back should ask about: the ties the precinct's math would have with
    these sections confirmed, unless the newest recorded toss already decides them."""
    alloc = _evaluate(s, precinct, dict(sections), attendance).allocation
    if coin_toss.applies(alloc, toss_winners(s, precinct.id)):
        return ()
    return coin_toss.questions(alloc)


def preview(s: Session, precinct: Precinct, sections: Sequence[tuple[Stage, Mapping[str, int]]],
            attendance: int | None) -> list[Finding]:
    """Findings the precinct would have if these sections were confirmed (for the read-back)."""
    return _run(s, precinct, dict(sections), attendance)


def earlier_figures(s: Session, precinct: Precinct, sections: Sequence[tuple[Stage, Mapping[str, int]]],
                    attendance: int | None) -> tuple[list[tuple[Stage, int]], int | None]:
    """What a read-back's checks take from earlier confirmed reports, not from the text itself:
    each other stage with its total (in stage order), and the attendance when the text has none."""
    sent = {stage for stage, _ in sections}
    current = {Stage(stage): counts for stage, counts in s.execute(CURRENT_COUNTS, {"precinct_id": precinct.id})}
    stages = [(stage, sum(current[stage].values())) for stage in Stage if stage in current and stage not in sent]
    earlier = None if attendance is not None else s.execute(LATEST_ATTENDANCE, {"precinct_id": precinct.id}).scalar()
    return stages, earlier


def current(s: Session, precinct: Precinct, stages: Stages | None = None,
            attendance: int | None = None) -> list[Finding]:
    """Findings on the precinct's confirmed reports.

    A caller that already holds them passes `stages` (the current counts per stage) and, when it
    knows it, the newest confirmed `attendance`; each is otherwise read here.
    """
    return _run(s, precinct, {}, attendance, stages)


def as_json(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    return [{"code": f.code, "severity": f.severity.value, "candidate": f.candidate,
             "message": f.message} for f in findings]


def is_flagged(findings: Sequence[Finding]) -> bool:
    return checks.is_flagged(findings)


def summary(findings: Sequence[Finding], limit: int = 280) -> str:
    """Errors and warnings in their one-sentence form, most useful first, for a queue row."""
    serious = [f.short or f.message for f in checks.by_severity(findings)
               if f.severity in (Severity.ERROR, Severity.WARNING)]
    text = " ".join(dict.fromkeys(serious)) or "no findings"
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."


def readback_warning(s: Session, precinct: Precinct, findings: Sequence[Finding]) -> str:
    """The read-back's CHECK: what this text changes comes first. Problems the recorded reports already
    had (the chair was told when confirming them) are said only when the text adds none."""
    if not chair_warning(findings):
        return ""
    before = set(current(s, precinct))
    return chair_warning([f for f in findings if f not in before]) or chair_warning(findings)


def flag_reason(findings: Sequence[Finding]) -> str:
    """Why confirmed reports are flagged, in the chair's short form (the errors only)."""
    return checks.summarize_for_chair([f for f in findings if f.severity is Severity.ERROR])


def chair_warning(findings: Sequence[Finding]) -> str:
    """One or two short sentences for the read-back; empty when nothing looks wrong."""
    if not any(f.severity in (Severity.ERROR, Severity.WARNING) for f in findings):
        return ""
    return checks.summarize_for_chair(findings)
