"""Staff explain a flagged report that is right as it stands (a coin toss, say): it is published and
the chair is told. From the console (an item staff hold) or the command line."""
from __future__ import annotations

from hotline.services.console import claims, contact
from hotline.services.console.views import UnknownPrecinct
from hotline.services.records import reports, roster
from hotline.services.units import Units

NotFlagged = reports.NotFlagged  # the precinct has no flagged report to explain


def explain(units: Units, code: str, staff: str, note: str) -> None:
    """Publish precinct `code`'s flagged report with `staff`'s note; the chair is told.

    Refusals: UnknownPrecinct, NotFlagged (nothing to explain), ValueError (no note).
    """
    with units.begin() as uow:
        precinct = roster.precinct_by_code(uow.session, code)
        if precinct is None:
            raise UnknownPrecinct(code)
        reports.explain(uow, precinct, staff, note)


def explain_item(units: Units, item_id: int, staff: str, note: str) -> None:
    """Explain the flagged report of the precinct whose item `staff` holds (the item closes with it)."""
    with claims.holding(units, item_id, staff) as (uow, item):
        reports.explain(uow, contact.precinct_of(item), staff, note)
