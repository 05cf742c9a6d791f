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
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.adapters.models import Precinct, PrecinctHold, Report, utcnow
from hotline.domain.lifecycle import ReportStatus
from hotline.services.log import chain
from hotline.services.records import backlog, feed
from hotline.services.records.checking import Finding
from hotline.services.units import UnitOfWork

STAFF, AUTO, CONFLICT = "staff", "auto", "conflict"
# Warnings that suggest the numbers were copied from the wrong place: held until someone looks.
COPY_WARNINGS = ("identical-precinct", "column-shift")

OPEN = (select(PrecinctHold).where(PrecinctHold.precinct_id == bindparam("precinct_id"),
                                   PrecinctHold.released_at.is_(None)).order_by(PrecinctHold.id.desc()).limit(1))
# A conflict hold (an observer's counts differ) ends with the conflict (services/records/sources.py),
# not with the release button: staff holds and the checks' holds are the ones placed and released here.
OPEN_RELEASABLE = OPEN.where(PrecinctHold.kind != CONFLICT)
OPEN_CONFLICT = (select(PrecinctHold).where(PrecinctHold.precinct_id == bindparam("precinct_id"),
                                            PrecinctHold.released_at.is_(None), PrecinctHold.kind == CONFLICT))


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
    no_figures: bool = False      # held before any figures arrived (they stay out until released)
    refused: str | None = None    # a release refused (and logged) rather than done: why, for staff


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
    if s.execute(OPEN_RELEASABLE, {"precinct_id": precinct.id}).scalars().first() is not None:
        raise HoldRefused(f"{precinct.code} is already held for review.")
    # Allowed before any report: figures that arrive later stay out of the public results until released.
    none_yet = s.execute(select(Report.id).where(Report.precinct_id == precinct.id,
                                                 Report.status == ReportStatus.CURRENT.value).limit(1)).first() is None
    return _hold(uow, precinct, STAFF, reason + (" (no figures yet)" if none_yet else ""), staff, [],
                 no_figures=none_yet)


def _hold(uow: UnitOfWork, precinct: Precinct, kind: str, reason: str, staff: str | None,
          findings: list[str], no_figures: bool = False) -> HoldView:
    s = uow.session
    row = PrecinctHold(precinct_id=precinct.id, kind=kind, reason=reason, findings=findings, held_by=staff,
                       held_at=utcnow())
    s.add(row)
    s.flush()
    chain.record(s, "precinct_held", precinct=precinct.code, actor=staff, hold_id=row.id, hold_kind=kind,
                 reason=reason, findings=findings, **({"no_figures": True} if no_figures else {}))
    who = f"by {staff}" if staff else "by the checks"
    if kind != CONFLICT:  # a conflict has its own item (source_conflict)
        backlog.open_item(s, "precinct_held", precinct_id=precinct.id, dedupe_key=_key(precinct.code),
                          summary=f"{precinct.code} held for review {who}: {reason}"[:300],
                          detail={"hold_id": row.id, "kind": kind})
    feed.note(s, precinct.id, precinct.code, "staff", "held")
    uow.after_commit(uow.jobs.results_changed)
    return replace(_view(row), no_figures=no_figures)


def release(uow: UnitOfWork, precinct: Precinct, staff: str, note: str) -> HoldView:
    """`staff` releases the precinct's hold after review; a staff hold needs another staff member:
    its placer's try is logged (`hold_release_refused`) and answered with `refused` set, nothing
    released. HoldRefused when it is not held or the note is missing."""
    s = uow.session
    row = s.execute(OPEN_RELEASABLE, {"precinct_id": precinct.id}).scalars().first()
    if row is None:
        if s.execute(OPEN_CONFLICT, {"precinct_id": precinct.id}).scalars().first() is not None:
            raise HoldRefused(f"{precinct.code} is held because an observer's counts differ from the chair's: "
                              "settle the source conflict (confirm the chair's figures with a note, or enter a "
                              "correction) and the hold ends with it.")
        raise HoldRefused(f"{precinct.code} is not held.")
    if row.kind == STAFF and row.held_by == staff:
        # Returned, not raised, so the refusal's log entry is committed with the caller's transaction.
        chain.record(s, "hold_release_refused", precinct=precinct.code, actor=staff, hold_id=row.id,
                     reason="own hold")
        return replace(_view(row), refused=f"You placed this hold: another staff member must review "
                                           f"{precinct.code} and release it.")
    note = " ".join((note or "").split())
    if not note:
        raise HoldRefused("Say what you checked before releasing the hold.")
    row.released_by, row.released_at, row.release_note = staff, utcnow(), note[:500]
    chain.record(s, "precinct_released", precinct=precinct.code, actor=staff, hold_id=row.id, hold_kind=row.kind,
                 note=row.release_note)
    backlog.resolve(s, _key(precinct.code), staff, "released", f"released by {staff}: {row.release_note}")
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
    if uow.session.execute(OPEN_RELEASABLE, {"precinct_id": precinct.id}).scalars().first() is not None:
        return None
    first = next(f for f in findings if f.code in COPY_WARNINGS)
    reason = f"possible copy error ({', '.join(codes)}): {first.short or first.message}"
    return _hold(uow, precinct, AUTO, reason[:500], None, codes)


def hold_for_conflict(uow: UnitOfWork, precinct: Precinct, reason: str) -> HoldView | None:
    """Hold the precinct while an observer's counts differ from the chair's (one conflict hold at a
    time; other holds may be open beside it). Called by sources.reconcile in its transaction."""
    if uow.session.execute(OPEN_CONFLICT, {"precinct_id": precinct.id}).scalars().first() is not None:
        return None
    return _hold(uow, precinct, CONFLICT, reason, None, [])


def release_conflict(uow: UnitOfWork, precinct: Precinct, staff: str | None, note: str) -> None:
    """End the conflict hold: the sources agree again (`staff` None) or staff settled it."""
    s = uow.session
    rows = list(s.execute(OPEN_CONFLICT, {"precinct_id": precinct.id}).scalars())
    for row in rows:
        row.released_by, row.released_at, row.release_note = staff, utcnow(), note[:500]
        chain.record(s, "precinct_released", precinct=precinct.code, actor=staff, hold_id=row.id,
                     hold_kind=CONFLICT, note=row.release_note)
    if rows:
        feed.note(s, precinct.id, precinct.code, "staff", "released")
        uow.after_commit(uow.jobs.results_changed)
