"""Worksheet photos for staff and the CLI: a precinct's list, and our stored copy of one."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hotline.adapters.media_store import MediaStore, valid_key
from hotline.adapters.models import WorksheetPhoto
from hotline.services.console.views import UnknownPrecinct
from hotline.services.records import roster
from hotline.services.records.photos import STORED, PhotoView, for_precinct
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
