"""Paper worksheets: the numbers on a signed worksheet against the recorded reports."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hotline.domain.model import Stage
from hotline.adapters.models import Precinct, Worksheet
from hotline.services.log import chain as vlog
from hotline.services.records import reports


@dataclass(frozen=True)
class Difference:
    stage: Stage
    candidate: str
    paper: int | None
    recorded: int | None


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


def stages_of(ws: Worksheet) -> dict[Stage, dict[str, int]]:
    """The worksheet's numbers by stage, leaving out stages it does not have."""
    raw = {Stage.FIRST: ws.first, Stage.FINAL: ws.final, Stage.DELEGATES: ws.delegates}
    return {stage: dict(counts) for stage, counts in raw.items() if counts}


def differences(s: Session, precinct: Precinct, ws: Worksheet) -> list[Difference]:
    """Every candidate and stage where the paper and the counting report disagree."""
    current = reports.current_reports(s, precinct.id)
    out = []
    for stage, paper in stages_of(ws).items():
        recorded = current[stage].counts if stage in current else {}
        for name in dict.fromkeys(list(paper) + list(recorded)):
            p, r = paper.get(name), recorded.get(name)
            if (p or 0) != (r or 0) or (stage not in current):
                out.append(Difference(stage, name, p, r))
    return out
