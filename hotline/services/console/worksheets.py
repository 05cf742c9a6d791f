"""Paper worksheets: the numbers on a signed worksheet against the recorded reports."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.adapters.models import Precinct, Worksheet
from hotline.domain.model import Stage
from hotline.services.console.views import PrecinctView, SheetView, UnknownPrecinct, precinct_view, sheet_view
from hotline.services.log import chain as vlog
from hotline.services.records import reports, roster
from hotline.services.units import Units


@dataclass(frozen=True)
class Difference:
    stage: Stage
    candidate: str
    paper: int | None
    recorded: int | None


@dataclass(frozen=True)
class Reconciliation:
    """A precinct's worksheets, newest first, each with where it differs from the recorded report."""

    precinct: PrecinctView
    sheets: list[tuple[SheetView, list[Difference]]]


def compare(units: Units, code: str) -> Reconciliation:
    """Precinct `code`'s worksheets against its counting reports; UnknownPrecinct when there is none."""
    with units.reading() as s:
        precinct = roster.precinct_by_code(s, code)
        if precinct is None:
            raise UnknownPrecinct(code)
        rows = s.execute(select(Worksheet).where(Worksheet.precinct_id == precinct.id)
                         .order_by(Worksheet.id.desc())).scalars()
        sheets = [sheet_view(ws) for ws in rows]
        return Reconciliation(precinct_view(precinct),
                              [(ws, differences(s, precinct, ws.stages)) for ws in sheets])


def save(units: Units, code: str, stages: Mapping[Stage, Mapping[str, int]], attendance: int | None,
         user: str, note: str = "") -> None:
    """Store precinct `code`'s worksheet as `user` copied it (ValueError, UnknownPrecinct)."""
    with units.begin() as uow:
        precinct = roster.precinct_by_code(uow.session, code)
        if precinct is None:
            raise UnknownPrecinct(code)
        record(uow.session, precinct, stages, attendance, user, note)


def record(s: Session, precinct: Precinct, stages: Mapping[Stage, Mapping[str, int]],
           attendance: int | None, user: str, note: str = "") -> Worksheet:
    """Store the worksheet's numbers as an administrator copied them."""
    if not any(stages.values()):
        raise ValueError("Enter at least one number from the worksheet.")
    ws = Worksheet(precinct_id=precinct.id, first=dict(stages.get(Stage.FIRST, {})),
                   final=dict(stages.get(Stage.FINAL, {})), delegates=dict(stages.get(Stage.DELEGATES, {})),
                   attendance=attendance, entered_by=user, note=note.strip() or None)
    s.add(ws)
    s.flush()
    vlog.record(s, "worksheet_entered", precinct=precinct.code, actor=user, worksheet_id=ws.id,
                first=ws.first, final=ws.final, delegates=ws.delegates, attendance=attendance)
    return ws


def differences(s: Session, precinct: Precinct,
                paper_stages: Mapping[Stage, Mapping[str, int]]) -> list[Difference]:
    """Every candidate and stage where the paper and the counting report disagree."""
    current = reports.current_reports(s, precinct.id)
    out = []
    for stage, paper in paper_stages.items():
        recorded = current[stage].counts if stage in current else {}
        for name in dict.fromkeys(list(paper) + list(recorded)):
            p, r = paper.get(name), recorded.get(name)
            if (p or 0) != (r or 0) or (stage not in current):
                out.append(Difference(stage, name, p, r))
    return out
