"""Holding a precinct for review from the console's precinct page, and releasing it."""
from __future__ import annotations

from dataclasses import dataclass

from hotline.domain.central_time import clock_and_day
from hotline.services.console.views import UnknownPrecinct
from hotline.services.records import holds, roster
from hotline.services.units import Units

HoldRefused = holds.HoldRefused


@dataclass(frozen=True)
class HoldPanel:
    """What the precinct page shows: the open hold (if any) and whether this staff member may release it."""

    current: holds.HoldView | None
    status: str            # "Not held" or "Held since 9:12 pm CST by alice: ..."
    may_release: bool
    earlier: int           # holds placed and released before
    conflict: bool = False  # also held while an observer's counts differ (settled under "Second source")


def view(units: Units, code: str, staff: str) -> HoldPanel:
    """The precinct's hold as `staff` sees it; UnknownPrecinct when there is no such precinct."""
    with units.reading() as s:
        precinct = roster.precinct_by_code(s, code)
        if precinct is None:
            raise UnknownPrecinct(code)
        every = holds.history(s, precinct.id)
    # A conflict hold ends with the conflict (the "Second source" panel), not with the release button.
    conflict = any(h.released_at is None and h.kind == holds.CONFLICT for h in every)
    current = next((h for h in every if h.released_at is None and h.kind != holds.CONFLICT), None)
    earlier = sum(1 for h in every if h.released_at is not None)
    if current is None:
        return HoldPanel(None, "Not held by staff or the checks", False, earlier, conflict) if conflict \
            else HoldPanel(None, "Not held", False, earlier)
    who = current.held_by or "the checks"
    status = f"Held since {clock_and_day(current.held_at)} by {who}: {current.reason}"
    return HoldPanel(current, status, not (current.kind == holds.STAFF and current.held_by == staff), earlier, conflict)


def hold(units: Units, code: str, staff: str, reason: str) -> holds.HoldView:
    """`staff` holds the precinct; HoldRefused (no reason, already held), UnknownPrecinct."""
    with units.begin() as uow:
        precinct = roster.precinct_by_code(uow.session, code)
        if precinct is None:
            raise UnknownPrecinct(code)
        return holds.place(uow, precinct, staff, reason)


def release(units: Units, code: str, staff: str, note: str) -> holds.HoldView:
    """`staff` releases the precinct's hold; HoldRefused (not held, own hold, no note), UnknownPrecinct."""
    with units.begin() as uow:
        precinct = roster.precinct_by_code(uow.session, code)
        if precinct is None:
            raise UnknownPrecinct(code)
        return holds.release(uow, precinct, staff, note)
