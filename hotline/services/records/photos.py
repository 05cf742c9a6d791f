"""Worksheet photos as rows: expected when a text brings media, read back for staff and the CLI."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.adapters.models import InboundMessage, Submission, WorksheetPhoto
from hotline.services.log import chain
from hotline.services.records import backlog
from hotline.services.units import UnitOfWork

PENDING, STORED, REFUSED, FAILED = "pending", "stored", "refused", "failed"
STATUSES = (PENDING, STORED, REFUSED, FAILED)
# Staff's marks of a stored photo against the recorded report (None: not checked yet).
MATCHES, DIFFERS, UNREADABLE = "matches", "differs", "unreadable"
MARKS = (MATCHES, DIFFERS, UNREADABLE)


@dataclass(frozen=True)
class PhotoView:
    """One photo as staff and the CLI see it: never Twilio's URL, only our copy's hash."""

    id: int
    precinct_code: str
    inbound_id: int
    submission_id: int | None
    status: str
    sha256: str | None
    content_type: str | None
    bytes: int | None
    received_at: datetime
    error: str | None
    mark: str | None = None
    marked_by: str | None = None
    marked_at: datetime | None = None

    @property
    def arriving(self) -> bool:
        return self.status == PENDING

    def as_json(self) -> dict[str, object]:
        return {"sha256": self.sha256, "content_type": self.content_type, "bytes": self.bytes,
                "received_at": self.received_at.isoformat(), "status": self.status}


def view(row: WorksheetPhoto) -> PhotoView:
    return PhotoView(row.id, row.precinct.code, row.inbound_id, row.submission_id, row.status, row.sha256,
                     row.content_type, row.bytes, row.received_at, row.error, row.mark, row.marked_by,
                     row.marked_at)


def expect(uow: UnitOfWork, msg: InboundMessage, precinct_id: int | None, submission_id: int | None) -> list[int]:
    """One pending row per media URL of `msg`, each download queued once the text is committed.

    Only texts that belong to a precinct (a report, or a registered chair's phone): media from a
    number nobody knows is not fetched. Idempotent: a text handled again expects nothing new.
    """
    urls = list(msg.media_urls or [])
    if not urls or precinct_id is None:
        return []
    s = uow.session
    if s.scalar(select(WorksheetPhoto.id).where(WorksheetPhoto.inbound_id == msg.id).limit(1)) is not None:
        return []
    rows = [WorksheetPhoto(precinct_id=precinct_id, submission_id=submission_id, inbound_id=msg.id,
                           source_url=url, status=PENDING, received_at=msg.received_at) for url in urls]
    s.add_all(rows)
    s.flush()
    ids = [row.id for row in rows]
    for photo_id in ids:
        uow.after_commit(lambda p=photo_id: uow.jobs.photo(p, fresh=True))
    return ids


def precinct_of(uow: UnitOfWork, submission_id: int | None, registered: Sequence[int]) -> int | None:
    """The precinct a text's photos belong to: its report's, else its phone's only precinct."""
    if submission_id is not None:
        sub = uow.session.get(Submission, submission_id)
        if sub is not None:
            return sub.precinct_id
    return registered[0] if len(registered) == 1 else None


def for_precinct(s: Session, precinct_id: int) -> list[PhotoView]:
    """The precinct's photos, oldest first."""
    rows = s.execute(select(WorksheetPhoto).where(WorksheetPhoto.precinct_id == precinct_id)
                     .order_by(WorksheetPhoto.id)).scalars()
    return [view(r) for r in rows]


def publishable(s: Session, precinct_id: int, at_once: bool) -> list[PhotoView]:
    """The precinct's photos the public may see, oldest first: stored ones marked as matching the
    recorded report (every stored one when `at_once`, HOTLINE_PUBLISH_PHOTOS_AT_ONCE)."""
    q = select(WorksheetPhoto).where(WorksheetPhoto.precinct_id == precinct_id, WorksheetPhoto.status == STORED)
    if not at_once:
        q = q.where(WorksheetPhoto.mark == MATCHES)
    return [view(r) for r in s.execute(q.order_by(WorksheetPhoto.id)).scalars()]


def unmark_matching(s: Session, precinct_id: int, precinct_code: str, actor: str | None, stages: Sequence[str]) -> int:
    """A correction changed the precinct's figures: photos marked as matching were checked against
    the old ones, so they go back to "not checked" (and out of the public page until staff look
    again). Each is logged. How many were unmarked."""
    rows = list(s.execute(select(WorksheetPhoto).where(WorksheetPhoto.precinct_id == precinct_id,
                                                       WorksheetPhoto.mark == MATCHES)).scalars())
    for row in rows:
        row.mark, row.marked_by, row.marked_at = None, None, None
        chain.record(s, "photo_marked", precinct=precinct_code, actor=actor, photo_id=row.id, sha256=row.sha256,
                     outcome=None, previous=MATCHES, reason="figures corrected: " + ", ".join(stages))
    return len(rows)


def board_marks(s: Session) -> dict[int, str | None]:
    """Per precinct with a stored photo, the newest stored photo's mark (None: not checked)."""
    out: dict[int, str | None] = {}
    rows = s.execute(select(WorksheetPhoto.precinct_id, WorksheetPhoto.mark)
                     .where(WorksheetPhoto.status == STORED).order_by(WorksheetPhoto.id))
    for pid, mark in rows:
        out[pid] = mark  # a later photo replaces an earlier one
    return out


def for_texts(s: Session, inbound_ids: Sequence[int]) -> dict[int, list[PhotoView]]:
    """The photos each of these texts brought, by text."""
    out: dict[int, list[PhotoView]] = {}
    if not inbound_ids:
        return out
    rows = s.execute(select(WorksheetPhoto).where(WorksheetPhoto.inbound_id.in_(list(inbound_ids)))
                     .order_by(WorksheetPhoto.id)).scalars()
    for r in rows:
        out.setdefault(r.inbound_id, []).append(view(r))
    return out


def give_up(uow: UnitOfWork, photo_id: int, error: str) -> None:
    """Every try to download the photo failed: mark it failed and hand it to staff."""
    s = uow.session
    row = s.get(WorksheetPhoto, photo_id)
    if row is None or row.status != PENDING:
        return
    row.status, row.error = FAILED, error[:500]
    msg = s.get(InboundMessage, row.inbound_id)
    code = row.precinct.code
    chain.record(s, "photo_failed", precinct=code, phone=msg.from_number if msg else None,
                 photo_id=row.id, inbound_id=row.inbound_id, error=error[:200])
    backlog.open_item(s, "photo_failed", precinct_id=row.precinct_id, phone=msg.from_number if msg else None,
                      submission_id=row.submission_id, dedupe_key=f"photo:{row.id}",
                      summary=f"A worksheet photo from {code} could not be downloaded from Twilio; "
                              "ask the chair to text it again",
                      detail={"photo_id": row.id, "inbound_id": row.inbound_id, "error": error[:500]})
