"""What staff see about an item or a precinct: the chair, the phones, every message, report and worksheet."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hotline.adapters.models import BacklogItem, Precinct
from hotline.services.console import accounts, claims, contact, history
from hotline.services.console.views import (
    ItemView,
    PrecinctView,
    SheetView,
    SubmissionView,
    UnknownPrecinct,
    item_view,
    precinct_view,
    sheet_view,
    submission_view,
)
from hotline.services.records import roster
from hotline.services.records.photos import PhotoView
from hotline.services.units import Units


class UnknownItem(LookupError):
    """No backlog item has this id."""

    def __init__(self, item_id: int) -> None:
        super().__init__(f"There is no item {item_id}.")
        self.item_id = item_id


@dataclass(frozen=True)
class CaseFile:
    """Everything the item and precinct pages show, as plain values."""

    item: ItemView | None
    holder: str | None              # who holds a live claim on the item
    precinct: PrecinctView | None
    chair: str | None               # the chair's name
    phones: list[str]               # numbers staff may call or text
    registered: list[str]           # the chair's registered phones
    events: list[history.Event]
    submissions: list[SubmissionView]
    photos: list[PhotoView]
    worksheets: list[SheetView]
    identity: str | None            # "sent" or "verified": the newest callback code
    my_phone: str | None            # the phone click-to-call rings first for the viewer


def item(units: Units, item_id: int, viewer: str) -> CaseFile:
    """One item with its precinct's whole history, as `viewer` sees it; UnknownItem when there is none."""
    with units.reading() as s:
        found = s.get(BacklogItem, item_id)
        if found is None:
            raise UnknownItem(item_id)
        return _gather(s, found, found.precinct, viewer)


def precinct(units: Units, code: str, viewer: str) -> CaseFile:
    """A precinct's chair, phones and whole history; UnknownPrecinct when there is none."""
    with units.reading() as s:
        found = roster.precinct_by_code(s, code)
        if found is None:
            raise UnknownPrecinct(code)
        return _gather(s, None, found, viewer)


def _gather(s: Session, found: BacklogItem | None, p: Precinct | None, viewer: str) -> CaseFile:
    phones = contact.phones_for(s, p, found)
    subs = [submission_view(sub) for sub in history.submissions(s, p)] if p else []
    me = accounts.by_username(s, viewer)
    return CaseFile(
        item=item_view(found) if found else None, holder=claims.holder(found) if found else None,
        precinct=precinct_view(p) if p else None, chair=p.chair.name if p and p.chair else None,
        phones=phones, registered=contact.phones_for(s, p) if p else [],
        events=history.timeline(s, p, phones), submissions=subs, photos=history.photos(s, p) if p else [],
        worksheets=[sheet_view(ws) for ws in history.worksheets(s, p)] if p else [],
        identity=contact.identity_status(s, p) if p else None, my_phone=me.phone if me else None)
