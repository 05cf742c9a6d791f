"""The chair's recorded figures against observers' confirmed counts (see hotline/domain/sources.py).

`reconcile` runs in the transaction of every change to either side: a chair's report confirmed
(reports.confirm, staff entries included) and an observation confirmed. A difference opens one
`source_conflict` backlog item per precinct and holds its figures back from the public results
(a hold of kind "conflict"); the conflict ends when the sources agree again (the chair corrects,
staff enter a correction, the observer corrects) or when a staff member confirms the chair's
figures with a note. A conflict staff have settled does not come back for the same differences;
new differences (a new observation, another correction) open it again. Everything is logged.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.adapters.models import BacklogItem, Observation, Observer, Precinct, Report
from hotline.config import Config
from hotline.domain import sources
from hotline.domain.lifecycle import ReportStatus
from hotline.domain.model import Stage
from hotline.domain.sources import Comparison, Corroboration, Observed, Tolerance
from hotline.services.log import chain
from hotline.services.records import backlog, holds
from hotline.services.units import UnitOfWork

CONFIRMED = "confirmed"
CHAIR_CONFIRMED = "chair_confirmed"  # the resolution of a conflict staff settled for the chair's figures

CONFIRMED_OF_PRECINCT = (select(Observation).where(Observation.precinct_id == bindparam("precinct_id"),
                                                   Observation.status == CONFIRMED)
                         .order_by(Observation.confirmed_at.desc(), Observation.id.desc()))


def tolerance(config: Config) -> Tolerance:
    """The configured tolerances (HOTLINE_CONFLICT_TOLERANCE_*)."""
    return Tolerance(alignment=config.conflict_tolerance_alignment, delegates=config.conflict_tolerance_delegates)


def _latest(rows: Iterable[Observation]) -> list[Observed]:
    """Each observer's newest confirmed counts per stage (rows newest first)."""
    stages: dict[int, dict[Stage, Mapping[str, int]]] = {}
    ids: dict[int, list[int]] = {}
    organisation: dict[int, str] = {}
    for row in rows:
        mine = stages.setdefault(row.observer_id, {})
        organisation[row.observer_id] = row.observer.organisation
        used = False
        for stage, counts in (row.stages or {}).items():
            if Stage(stage) not in mine:
                mine[Stage(stage)] = {str(k): int(v) for k, v in counts.items()}
                used = True
        if used:
            ids.setdefault(row.observer_id, []).append(row.id)
    return [Observed(oid, organisation[oid], st, tuple(sorted(ids.get(oid, ())))) for oid, st in stages.items()]


def latest(s: Session, precinct_id: int) -> list[Observed]:
    """Every observer's newest confirmed counts for one precinct."""
    return _latest(s.execute(CONFIRMED_OF_PRECINCT, {"precinct_id": precinct_id}).scalars())


def _key(code: str) -> str:
    return f"conflict:{code}"


def _signature(conflicts: Iterable[Comparison]) -> str:
    """What a conflict is about: the same differences are the same conflict."""
    rows = sorted((c.observer_id, d.stage.value, d.candidate, d.chair, d.observed)
                  for c in conflicts for d in c.differences)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:32]


def _settled(s: Session, precinct_id: int, signature: str) -> bool:
    """Whether staff already confirmed the chair's figures against exactly these differences."""
    rows = s.execute(select(BacklogItem.detail).where(
        BacklogItem.kind == "source_conflict", BacklogItem.precinct_id == precinct_id,
        BacklogItem.resolution == CHAIR_CONFIRMED)).scalars()
    return any((detail or {}).get("signature") == signature for detail in rows)


def _as_rows(conflicts: Iterable[Comparison]) -> list[dict[str, object]]:
    return [{"observer_id": c.observer_id, "organisation": c.organisation, "stage": d.stage.value,
             "candidate": d.candidate, "chair": d.chair, "observed": d.observed}
            for c in conflicts for d in c.differences]


def reconcile(uow: UnitOfWork, precinct: Precinct, chair: Mapping[Stage, Mapping[str, int]],
              trigger: str, actor: str | None = None) -> list[Comparison]:
    """Compare the precinct's recorded figures (`chair`) with every observer's latest counts and
    open, update or close its conflict. `trigger` says what changed ("chair report", "observation")."""
    s = uow.session
    observed = latest(s, precinct.id)
    if not observed:
        return []
    comparisons = sources.compare_all(chair, observed, tolerance(uow.config))
    conflicts = [c for c in comparisons if c.differences]
    key = _key(precinct.code)
    open_item = s.execute(backlog.OPEN_BY_KEY, {"key": key}).scalars().first()
    if not conflicts:
        if open_item is not None:
            note = f"the sources agree again (after a new {trigger})"
            chain.record(s, "source_conflict_cleared", precinct=precinct.code, actor=actor, item_id=open_item.id,
                         trigger=trigger, agreeing=[c.organisation for c in comparisons if c.agrees])
            backlog.auto_resolve(s, key, note)
            holds.release_conflict(uow, precinct, None, note)
        return comparisons
    signature = _signature(conflicts)
    if open_item is not None and (open_item.detail or {}).get("signature") == signature:
        return comparisons  # nothing new: the same differences
    if open_item is None and _settled(s, precinct.id, signature):
        return comparisons  # staff confirmed the chair's figures against exactly these
    rows = _as_rows(conflicts)
    described = "; ".join(f"{c.organisation}: {sources.describe(d)}" for c in conflicts for d in c.differences)
    summary = f"{precinct.code}: an observer's counts differ from the chair's ({described})"[:300]
    detail = {"signature": signature, "differences": rows, "trigger": trigger,
              "observation_ids": sorted({i for c in conflicts for i in c.observation_ids})}
    chain.record(s, "source_conflict", precinct=precinct.code, actor=actor, trigger=trigger,
                 differences=rows, signature=signature)
    if open_item is None:
        backlog.open_item(s, "source_conflict", precinct_id=precinct.id, dedupe_key=key, summary=summary,
                          detail=detail)
    else:
        open_item.summary, open_item.detail = summary, {**detail, "repeats": (open_item.detail or {}).get("repeats", 1) + 1}
    holds.hold_for_conflict(uow, precinct, f"observer counts differ: {described}"[:500])
    return comparisons


class NotInConflict(ValueError):
    """Only an open source conflict can be settled."""


def confirm_chair(uow: UnitOfWork, precinct: Precinct, staff: str, note: str) -> BacklogItem:
    """Staff confirm the chair's figures after looking (the photo, a call to the chair): the
    conflict closes with their note, the figures are published, and the same differences do not
    reopen it."""
    s = uow.session
    note = " ".join((note or "").split())
    if not note:
        raise ValueError("Say what you checked (the worksheet photo, a call to the chair, ...) before "
                         "confirming the chair's figures.")
    item = s.execute(backlog.OPEN_BY_KEY, {"key": _key(precinct.code)}).scalars().first()
    if item is None:
        raise NotInConflict(f"{precinct.code} has no open source conflict.")
    backlog.resolve(s, _key(precinct.code), staff, CHAIR_CONFIRMED, note[:1000])
    chain.record(s, "source_conflict_resolved", precinct=precinct.code, actor=staff, item_id=item.id,
                 resolution=CHAIR_CONFIRMED, note=note[:1000], signature=(item.detail or {}).get("signature"))
    holds.release_conflict(uow, precinct, staff, f"chair's figures confirmed by {staff}: {note}"[:500])
    return item


@dataclass(frozen=True)
class SideBySide:
    """A conflict as staff see it: the chair's figures and each observer's, stage by stage."""

    stages: list[Stage]
    chair: Mapping[Stage, Mapping[str, int]]
    observers: list[tuple[str, str, Mapping[Stage, Mapping[str, int]]]]  # organisation, name, counts
    comparisons: list[Comparison]


def side_by_side(s: Session, precinct: Precinct, config: Config) -> SideBySide:
    chair = _chair_counts(s, [precinct.id]).get(precinct.id, {})
    observed = latest(s, precinct.id)
    names = dict(s.execute(select(Observer.id, Observer.name).where(
        Observer.id.in_([o.observer_id for o in observed] or [0]))).all())
    stages = [st for st in Stage if st in chair or any(st in o.stages for o in observed)]
    return SideBySide(stages, chair, [(o.organisation, names.get(o.observer_id, ""), o.stages) for o in observed],
                      sources.compare_all(chair, observed, tolerance(config)))


def _chair_counts(s: Session, precinct_ids: list[int] | None) -> dict[int, dict[Stage, Mapping[str, int]]]:
    q = select(Report.precinct_id, Report.stage, Report.counts).where(Report.status == ReportStatus.CURRENT.value)
    if precinct_ids is not None:
        q = q.where(Report.precinct_id.in_(precinct_ids or [0]))
    out: dict[int, dict[Stage, Mapping[str, int]]] = {}
    for pid, stage, counts in s.execute(q):
        out.setdefault(pid, {})[Stage(stage)] = counts
    return out


def corroboration(s: Session, config: Config, precinct_ids: list[int] | None = None) -> dict[int, Corroboration]:
    """For every precinct with a confirmed observation (or those given): how many sources agree with
    the chair's recorded figures, and which organisations. Two queries whatever the count."""
    q = select(Observation).where(Observation.status == CONFIRMED).order_by(
        Observation.confirmed_at.desc(), Observation.id.desc())
    if precinct_ids is not None:
        q = q.where(Observation.precinct_id.in_(precinct_ids or [0]))
    by_precinct: dict[int, list[Observation]] = {}
    for row in s.execute(q).scalars():
        by_precinct.setdefault(row.precinct_id, []).append(row)
    if not by_precinct:
        return {}
    chair = _chair_counts(s, list(by_precinct))
    tol = tolerance(config)
    return {pid: sources.corroboration(sources.compare_all(chair.get(pid, {}), _latest(rows), tol))
            for pid, rows in by_precinct.items()}


def corroboration_by_code(s: Session, config: Config) -> dict[str, Corroboration]:
    """`corroboration` keyed by precinct code (for exports)."""
    found = corroboration(s, config)
    if not found:
        return {}
    codes = dict(s.execute(select(Precinct.id, Precinct.code).where(Precinct.id.in_(list(found)))).all())
    return {codes[pid]: c for pid, c in found.items() if pid in codes}
