"""Worksheet photos for staff and the CLI: a precinct's list, our stored copy of one, and staff's
mark of each against the recorded report (matches, differs, unreadable)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hotline.adapters.media_store import MediaStore, valid_key
from hotline.adapters.models import InboundMessage, Worksheet, WorksheetPhoto, utcnow
from hotline.domain.wording import sms as replies
from hotline.services.console.views import UnknownPrecinct
from hotline.services.log import chain
from hotline.services.records import outbox, roster
from hotline.services.records.photos import (
    DIFFERS,
    MARKS,
    STORED,
    UNREADABLE,
    PhotoView,
    for_precinct,
    publishable,
)
from hotline.services.units import Units


@dataclass(frozen=True)
class StoredCopy:
    data: bytes
    content_type: str


def listing(units: Units, code: str) -> list[PhotoView]:
    """The precinct's photos, oldest first; UnknownPrecinct when there is none."""
    with units.reading() as s:
        found = roster.precinct_by_code(s, code)
        if found is None:
            raise UnknownPrecinct(code)
        return for_precinct(s, found.id)


def stored_copy(units: Units, store: MediaStore, sha256: str) -> StoredCopy | None:
    """Our copy of a stored photo, with the type it was checked as; None for any other hash."""
    sha256 = (sha256 or "").lower()
    if not valid_key(sha256):
        return None
    with units.reading() as s:
        content_type = s.scalar(select(WorksheetPhoto.content_type).where(
            WorksheetPhoto.sha256 == sha256, WorksheetPhoto.status == STORED).limit(1))
    if content_type is None:
        return None
    data = store.get(sha256)
    return StoredCopy(data, content_type) if data is not None else None


class MarkError(ValueError):
    """The photo cannot be marked as asked; the message says why, for the staff member."""


@dataclass(frozen=True)
class Marked:
    """A recorded mark: the precinct's code, the outcome, the phone asked for a new photo
    ("unreadable"), and the newest typed-in paper worksheet to pre-fill a correction ("differs")."""

    code: str
    outcome: str
    texted: str | None = None
    worksheet_id: int | None = None


def mark(units: Units, photo_id: int, outcome: str, staff: str) -> Marked:
    """Record `staff`'s mark of a stored photo against the recorded report; the latest mark counts.

    Every mark is logged (`photo_marked`: sha256, outcome, the mark it replaced). "unreadable"
    queues a text to the chair's registered phone (the one that sent the photo when it is
    registered) asking for a new, clear photo. "differs" only records: staff then open a correction.
    """
    if outcome not in MARKS:
        raise MarkError("Mark the photo as matches, differs or unreadable.")
    with units.begin() as uow:
        s = uow.session
        row = s.get(WorksheetPhoto, photo_id)
        if row is None or row.status != STORED:
            raise MarkError("Only a stored worksheet photo can be marked; that one is not stored.")
        precinct = row.precinct
        previous = row.mark
        row.mark, row.marked_by, row.marked_at = outcome, staff, utcnow()
        texted = None
        if outcome == UNREADABLE:
            phones = roster.registered_phones(s, precinct)
            sender = s.scalar(select(InboundMessage.from_number).where(InboundMessage.id == row.inbound_id))
            texted = sender if sender in phones else (phones[0] if phones else None)
            if texted is not None:
                outbox.queue_sms(uow, texted, replies.PHOTO_UNREADABLE.format(code=precinct.code),
                                 "photo_unreadable", priority=1, precinct_id=precinct.id)
        worksheet_id = None
        if outcome == DIFFERS:
            worksheet_id = s.scalar(select(Worksheet.id).where(Worksheet.precinct_id == precinct.id)
                                    .order_by(Worksheet.created_at.desc(), Worksheet.id.desc()).limit(1))
        chain.record(s, "photo_marked", precinct=precinct.code, phone=texted, actor=staff, photo_id=row.id,
                     sha256=row.sha256, outcome=outcome, previous=previous)
        uow.after_commit(uow.jobs.results_changed)  # the precinct's public page shows published photos
        return Marked(precinct.code, outcome, texted, worksheet_id)


def publishable_photos(units: Units, code: str) -> list[PhotoView]:
    """The precinct's photos the public may see (for the public precinct page): stored and marked
    as matching, or every stored one with HOTLINE_PUBLISH_PHOTOS_AT_ONCE; UnknownPrecinct when
    there is no such precinct."""
    with units.reading() as s:
        found = roster.precinct_by_code(s, code)
        if found is None:
            raise UnknownPrecinct(code)
        return publishable(s, found.id, units.config.publish_photos_at_once)
