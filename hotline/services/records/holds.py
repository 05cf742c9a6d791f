"""Holding a precinct back from the public results for review, and releasing it.

Any staff member can hold a precinct, with a reason ("worksheet photo shows different numbers",
"caller sounded unsure"); its figures stay recorded but leave the public results (the public
page says "held for review" and since when, never the reason). Releasing a staff hold needs a
second staff member: not the one who placed it. The checks hold a precinct on their own when
a warning suggests a copy error (`COPY_WARNINGS`) unless HOTLINE_HOLD_COPY_WARNINGS is off; any
staff member may release such a hold once they have looked. Every hold and release is logged,
opens or closes one backlog item, and takes a feed sequence when it changes what is published.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.adapters.models import Precinct, PrecinctHold, utcnow
from hotline.services.log import chain
from hotline.services.records import backlog, feed
from hotline.services.records.checking import Finding
from hotline.services.units import UnitOfWork

STAFF, AUTO = "staff", "auto"
# Warnings that suggest the numbers were copied from the wrong place: held until someone looks.
COPY_WARNINGS = ("identical-precinct", "column-shift")

OPEN = (select(PrecinctHold).where(PrecinctHold.precinct_id == bindparam("precinct_id"),
                                   PrecinctHold.released_at.is_(None)).order_by(PrecinctHold.id.desc()).limit(1))


class HoldRefused(ValueError):
    """A hold or release that cannot be done; the message says why, for staff."""


@dataclass(frozen=True)
class HoldView:
    """A hold as the console shows it (the reason and who are for staff eyes only)."""

    id: int
    kind: str
    reason: str
    held_by: str | None
    held_at: datetime
    released_by: str | None
    released_at: datetime | None
    release_note: str | None


def _view(row: PrecinctHold) -> HoldView:
    return HoldView(row.id, row.kind, row.reason, row.held_by, row.held_at, row.released_by, row.released_at,
                    row.release_note)


def current(s: Session, precinct_id: int) -> HoldView | None:
    """The precinct's open hold, if any."""
    row = s.execute(OPEN, {"precinct_id": precinct_id}).scalars().first()
    return _view(row) if row is not None else None


def history(s: Session, precinct_id: int) -> list[HoldView]:
    """Every hold of the precinct, newest first."""
    rows = s.execute(select(PrecinctHold).where(PrecinctHold.precinct_id == precinct_id)
                     .order_by(PrecinctHold.id.desc())).scalars()
    return [_view(r) for r in rows]


def held_ids(s: Session) -> set[int]:
    """Ids of every precinct with an open hold."""
    return set(s.execute(select(PrecinctHold.precinct_id).where(PrecinctHold.released_at.is_(None))).scalars())


def _key(code: str) -> str:
    return f"hold:{code}"


def place(uow: UnitOfWork, precinct: Precinct, staff: str, reason: str) -> HoldView:
    """`staff` holds the precinct for review; HoldRefused without a reason or when already held."""
    s = uow.session
    reason = " ".join((reason or "").split())
    if not reason:
        raise HoldRefused("Say why the precinct is held (the reason stays with staff; the public sees only "
                          "\"held for review\").")
    if len(reason) > 500:
        raise HoldRefused("Keep the reason under 500 characters.")
    if s.execute(OPEN, {"precinct_id": precinct.id}).scalars().first() is not None:
        raise HoldRefused(f"{precinct.code} is already held for review.")
    return _hold(uow, precinct, STAFF, reason, staff, [])


def _hold(uow: UnitOfWork, precinct: Precinct, kind: str, reason: str, staff: str | None,
          findings: list[str]) -> HoldView:
    s = uow.session
    row = PrecinctHold(precinct_id=precinct.id, kind=kind, reason=reason, findings=findings, held_by=staff,
                       held_at=utcnow())
    s.add(row)
    s.flush()
    chain.record(s, "precinct_held", precinct=precinct.code, actor=staff, hold_id=row.id, hold_kind=kind,
                 reason=reason, findings=findings)
    who = f"by {staff}" if staff else "by the checks"
    backlog.open_item(s, "precinct_held", precinct_id=precinct.id, dedupe_key=_key(precinct.code),
                      summary=f"{precinct.code} held for review {who}: {reason}"[:300],
                      detail={"hold_id": row.id, "kind": kind})
    feed.note(s, precinct.id, precinct.code, "staff", "held")
    uow.after_commit(uow.jobs.results_changed)
    return _view(row)


def release(uow: UnitOfWork, precinct: Precinct, staff: str, note: str) -> HoldView:
    """`staff` releases the precinct's hold after review; a staff hold needs another staff member."""
    s = uow.session
    row = s.execute(OPEN, {"precinct_id": precinct.id}).scalars().first()
    if row is None:
        raise HoldRefused(f"{precinct.code} is not held.")
    if row.kind == STAFF and row.held_by == staff:
        raise HoldRefused(f"You placed this hold: another staff member must review {precinct.code} and release it.")
    note = " ".join((note or "").split())
    if not note:
        raise HoldRefused("Say what you checked before releasing the hold.")
    row.released_by, row.released_at, row.release_note = staff, utcnow(), note[:500]
    chain.record(s, "precinct_released", precinct=precinct.code, actor=staff, hold_id=row.id, hold_kind=row.kind,
                 note=row.release_note)
    backlog.auto_resolve(s, _key(precinct.code), f"released by {staff}: {row.release_note}")
    feed.note(s, precinct.id, precinct.code, "staff", "released")
    uow.after_commit(uow.jobs.results_changed)
    return _view(row)


def after_checks(uow: UnitOfWork, precinct: Precinct, findings: Sequence[Finding]) -> HoldView | None:
    """Hold the precinct when its newest confirmed report has a copy-error warning (unless the
    setting is off or it is already held). Called by the confirmation, in its transaction."""
    if not uow.config.hold_copy_warnings:
        return None
    codes = sorted({f.code for f in findings if f.code in COPY_WARNINGS})
    if not codes:
        return None
    if uow.session.execute(OPEN, {"precinct_id": precinct.id}).scalars().first() is not None:
        return None
    first = next(f for f in findings if f.code in COPY_WARNINGS)
    reason = f"possible copy error ({', '.join(codes)}): {first.short or first.message}"
    return _hold(uow, precinct, AUTO, reason[:500], None, codes)
