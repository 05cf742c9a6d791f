"""A precinct's second sources on the console: the chair's figures beside each observer's, the
open conflict if any, and staff settling it for the chair's figures."""
from __future__ import annotations

from dataclasses import dataclass

from hotline.domain import sources as source_rules
from hotline.domain.wording.sms import STAGE_LABELS
from hotline.services.console.views import UnknownPrecinct
from hotline.services.records import backlog, roster, sources
from hotline.services.units import Units

NotInConflict = sources.NotInConflict


@dataclass(frozen=True)
class Line:
    """One candidate in one stage: the chair's count and each observer's (None: not given)."""

    candidate: str
    chair: int | None
    observed: tuple[int | None, ...]
    differs: tuple[bool, ...]


@dataclass(frozen=True)
class StageTable:
    stage: str
    label: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class SourcesPanel:
    code: str
    observers: tuple[tuple[str, str], ...]   # (organisation, name), in column order
    tables: tuple[StageTable, ...]
    agreeing: int                             # sources that agree, the chair included
    conflict_item_id: int | None              # the open source_conflict item
    conflict_summary: str = ""


def view(units: Units, code: str) -> SourcesPanel | None:
    """The precinct's sources side by side; None when no observer has confirmed a count for it."""
    with units.reading() as s:
        precinct = roster.precinct_by_code(s, code)
        if precinct is None:
            raise UnknownPrecinct(code)
        seen = sources.side_by_side(s, precinct, units.config)
        if not seen.observers:
            return None
        code = precinct.code
        item = s.execute(backlog.OPEN_BY_KEY, {"key": f"conflict:{code}"}).scalars().first()
        item_id, summary = (item.id, item.summary) if item is not None else (None, "")
    differing = {(c.organisation, d.stage, d.candidate) for c in seen.comparisons for d in c.differences}
    tables = []
    for stage in seen.stages:
        chair = seen.chair.get(stage, {})
        names = list(chair) + [n for _, _, counts in seen.observers for n in counts.get(stage, {}) if n not in chair]
        names = list(dict.fromkeys(names))
        lines = tuple(Line(n, chair.get(n, 0) if chair else None,
                           tuple((counts[stage].get(n, 0) if stage in counts else None) for _, _, counts in seen.observers),
                           tuple((org, stage, n) in differing for org, _, _ in seen.observers))
                      for n in names)
        tables.append(StageTable(stage.value, STAGE_LABELS[stage], lines))
    corroborated = source_rules.corroboration(seen.comparisons)
    return SourcesPanel(code, tuple((org, name) for org, name, _ in seen.observers), tuple(tables),
                        corroborated.sources, item_id, summary)


def confirm_chair(units: Units, code: str, staff: str, note: str) -> str:
    """`staff` settle the precinct's conflict for the chair's figures; ValueError without a note,
    NotInConflict when there is none open."""
    with units.begin() as uow:
        precinct = roster.precinct_by_code(uow.session, code)
        if precinct is None:
            raise UnknownPrecinct(code)
        sources.confirm_chair(uow, precinct, staff, note)
        code = precinct.code
    return f"{code}: the chair's figures are confirmed and published again; your note is logged."
