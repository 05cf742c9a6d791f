"""Runs the domain's caucus-math checks on what the database holds for a precinct."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.domain import checks
from hotline.domain.checks import Finding, Severity
from hotline.domain.model import PrecinctResults, Stage
from hotline.models import Precinct, Report, Submission

__all__ = ["Finding", "preview", "current", "as_json", "is_flagged", "summary", "chair_warning"]


def _results(s: Session, precinct: Precinct, overlay: Mapping[Stage, Mapping[str, int]],
             attendance: int | None) -> PrecinctResults:
    rows = s.execute(select(Report).where(Report.precinct_id == precinct.id,
                                          Report.status == "current")).scalars()
    stages: dict[Stage, Mapping[str, int]] = {Stage(r.stage): r.counts for r in rows}
    stages.update(overlay)
    if attendance is None:
        attendance = s.execute(select(Submission.attendance).where(
            Submission.precinct_id == precinct.id, Submission.status == "confirmed",
            Submission.attendance.is_not(None)).order_by(Submission.confirmed_at.desc())
        ).scalars().first()
    return PrecinctResults(precinct=precinct.code, delegates_to_elect=precinct.delegates_to_elect,
                           first=stages.get(Stage.FIRST), final=stages.get(Stage.FINAL),
                           delegates=stages.get(Stage.DELEGATES), attendance=attendance,
                           county=precinct.county.name, past_turnout=precinct.past_turnout)


def _twins(s: Session, results: PrecinctResults, precinct_id: int) -> list[PrecinctResults]:
    """Other precincts whose current first and final alignments are identical to these."""
    if not results.first or not results.final:
        return []
    from hotline.services.reports import fingerprint  # local: reports imports this module
    firsts = set(s.execute(select(Report.precinct_id).where(
        Report.status == "current", Report.stage == "first",
        Report.fingerprint == fingerprint(results.first), Report.precinct_id != precinct_id)).scalars())
    if not firsts:
        return []
    twins = s.execute(select(Report.precinct_id).where(
        Report.status == "current", Report.stage == "final", Report.precinct_id.in_(firsts),
        Report.fingerprint == fingerprint(results.final))).scalars()
    out = []
    for pid in twins:
        other = s.get(Precinct, pid)
        if other is not None:
            out.append(_results(s, other, {}, None))
    return out


def _run(s: Session, precinct: Precinct, overlay: Mapping[Stage, Mapping[str, int]],
         attendance: int | None) -> list[Finding]:
    results = _results(s, precinct, overlay, attendance)
    return checks.check(results, expect_complete=precinct.chair_done_at is not None,
                        others=_twins(s, results, precinct.id))


def preview(s: Session, precinct: Precinct, sections: Sequence[tuple[Stage, Mapping[str, int]]],
            attendance: int | None) -> list[Finding]:
    """Findings the precinct would have if these sections were confirmed (for the read-back)."""
    return _run(s, precinct, dict(sections), attendance)


def current(s: Session, precinct: Precinct) -> list[Finding]:
    """Findings on the precinct's confirmed reports."""
    return _run(s, precinct, {}, None)


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


def chair_warning(findings: Sequence[Finding]) -> str:
    """One or two short sentences for the read-back; empty when nothing looks wrong."""
    if not any(f.severity in (Severity.ERROR, Severity.WARNING) for f in findings):
        return ""
    return checks.summarize_for_chair(findings)
