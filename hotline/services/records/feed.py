"""The versioned results feed: every change to a precinct's published figures, numbered.

The publish rule lives here (`publishes`): a precinct's figures are public once all three stages
have a current report and its newest confirmation is not flagged (or was explained). `note`
runs inside the transaction that may have changed them (a confirmation, an explanation): it
locks the sequence row, compares the precinct's published figures with the ones the feed last
recorded for it, and when they differ takes the next sequence number and writes one row, so the
change and its row commit together. Nothing personal is written: no phone, no staff name.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from hotline.adapters.models import PrecinctHold, Report, ResultChange, ResultSequence, Submission, utcnow
from hotline.domain.lifecycle import ReportStatus, SubmissionStatus
from hotline.domain.model import Stage

STAGES = [stage.value for stage in Stage]
Figures = dict[str, dict[str, int]]

# Reasons, as the public feed gives them.
FIRST_REPORT = "first report"
CORRECTION = "correction by the chair"
STAFF_ENTRY = "staff entry approved"
FLAG_EXPLAINED = "flag explained"
COIN_TOSS = "coin toss recorded"
HELD_FOR_REVIEW = "held for review"
RELEASED = "released after review"
HELD = "held: the newest report failed the checks"

SEQUENCE_LOCK = select(ResultSequence.value).where(ResultSequence.id == 1).with_for_update()
CURRENT = select(Report.stage, Report.counts).where(Report.precinct_id == bindparam("precinct_id"),
                                                    Report.status == ReportStatus.CURRENT.value)
NEWEST_CONFIRMED = (select(Submission.flagged, Submission.explained_at)
                    .where(Submission.precinct_id == bindparam("precinct_id"),
                           Submission.status == SubmissionStatus.CONFIRMED.value)
                    .order_by(Submission.confirmed_at.desc(), Submission.id.desc()).limit(1))
OPEN_HOLD = select(PrecinctHold.id).where(PrecinctHold.precinct_id == bindparam("precinct_id"),
                                          PrecinctHold.released_at.is_(None)).limit(1)
LAST_RECORDED = (select(ResultChange.new).where(ResultChange.precinct_code == bindparam("code"))
                 .order_by(ResultChange.sequence.desc()).limit(1))


def publishes(stages: dict[str, Any], flagged: bool | None, explained_at: datetime | None,
              held: bool = False) -> bool:
    """The publish rule: all three stages current, the newest confirmation not flagged or explained,
    and the precinct not held for review."""
    return (not held and set(STAGES) <= stages.keys() and flagged is not None
            and (not flagged or explained_at is not None))


def figures(s: Session, precinct_id: int) -> Figures | None:
    """One precinct's published figures as they stand in this transaction (None: not published)."""
    stages = {r.stage: dict(r.counts) for r in s.execute(CURRENT, {"precinct_id": precinct_id})}
    newest = s.execute(NEWEST_CONFIRMED, {"precinct_id": precinct_id}).first()
    held = s.execute(OPEN_HOLD, {"precinct_id": precinct_id}).first() is not None
    if newest is None or not publishes(stages, newest.flagged, newest.explained_at, held):
        return None
    return {stage: stages[stage] for stage in STAGES}


def current(s: Session) -> tuple[int, datetime | None]:
    """The current sequence and when it was taken (0 and None before any change)."""
    row = s.execute(select(ResultSequence.value, ResultSequence.at).where(ResultSequence.id == 1)).first()
    return (row.value, row.at) if row is not None else (0, None)


def _lock(s: Session) -> int:
    """The current sequence, read under a row lock kept to the end of the transaction."""
    value = s.execute(SEQUENCE_LOCK).scalar_one_or_none()
    if value is None:  # a database made without the migration's first row
        s.execute(insert(ResultSequence).values(id=1, value=0))
        value = 0
    return value


def note(s: Session, precinct_id: int, precinct_code: str, channel: str, cause: str) -> ResultChange | None:
    """Record the change to one precinct's published figures, if there is one.

    `cause` is "confirmed" (a report was confirmed through `channel`), "explained" (staff
    explained its flag), "coin_toss" (a toss was recorded, which can hold or release figures),
    "held" or "released" (staff or the checks held the precinct for review, or staff released it). Called after the change is made, inside the same transaction."""
    sequence = _lock(s)  # first: a concurrent writer's row for this precinct is seen below
    last = s.execute(LAST_RECORDED, {"code": precinct_code}).first()  # None: never recorded
    had_row, old = last is not None, last.new if last is not None else None
    new = figures(s, precinct_id)
    if old == new:
        return None
    if cause == "explained":
        reason = FLAG_EXPLAINED
    elif cause == "held":
        reason = HELD_FOR_REVIEW
    elif cause == "released":
        reason = RELEASED
    elif new is None:
        reason = HELD
    elif cause == "coin_toss":
        reason = COIN_TOSS
    elif channel == "staff":
        reason = STAFF_ENTRY
    else:
        reason = CORRECTION if had_row else FIRST_REPORT
    now = utcnow()
    changed = [st for st in STAGES if (old or {}).get(st) != (new or {}).get(st)]
    row = ResultChange(sequence=sequence + 1, at=now, precinct_code=precinct_code, stages=changed,
                       old=old, new=new, reason=reason, channel=channel)
    s.add(row)
    s.execute(ResultSequence.__table__.update().where(ResultSequence.__table__.c.id == 1)
              .values(value=sequence + 1, at=now))
    return row
