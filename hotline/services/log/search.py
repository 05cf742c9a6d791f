"""Searching and exporting the verification log (reading only; the log is append-only)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.adapters.models import LogEntry
from hotline.domain import log_wording
from hotline.domain.verification import normalize_phone
from hotline.services.units import Units

PAGE = 200
EXPORT_BATCH = 2000
COLUMNS = ["seq", "at", "kind", "precinct", "phone", "actor", "detail", "prev_hash", "hash", "salt"]


@dataclass(frozen=True)
class Filters:
    """What to look for; every field is optional."""

    precinct: str | None = None
    phone: str | None = None
    actor: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def query(self) -> Any:
        q = select(LogEntry)
        if self.precinct:
            q = q.where(LogEntry.precinct_code == self.precinct.strip().upper())
        if self.phone:
            q = q.where(LogEntry.phone == (normalize_phone(self.phone) or self.phone.strip()))
        if self.actor:
            q = q.where(LogEntry.actor == self.actor.strip().lower())
        if self.kind:
            q = q.where(LogEntry.kind == self.kind)
        if self.since:
            q = q.where(LogEntry.at >= self.since)
        if self.until:
            q = q.where(LogEntry.at <= self.until)
        return q


@dataclass(frozen=True)
class Line:
    """One log entry as the search page shows it: a plain sentence and who did it, with the raw
    detail kept for administrators tracing something."""

    seq: int
    at: datetime
    kind: str
    precinct_code: str | None
    phone: str | None
    actor: str | None
    detail: dict[str, Any]
    sentence: str = ""
    who: log_wording.Who = log_wording.Who("system", log_wording.SYSTEM)


def line(e: LogEntry) -> Line:
    """A stored entry as the search page shows it."""
    worded = log_wording.describe(e.kind, e.precinct_code, e.phone, e.actor, e.detail)
    return Line(e.seq, e.at, e.kind, e.precinct_code, e.phone, e.actor, e.detail, worded.sentence, worded.who)


@dataclass(frozen=True)
class Found:
    """A page of matching entries, newest first, and every kind of entry there is (for the form)."""

    entries: list[Line]
    kinds: list[str]


def find(units: Units, f: Filters, before_seq: int | None = None) -> Found:
    """One page of entries matching `f`, newest first; pass the last seq shown to see older ones."""
    with units.reading() as s:
        entries = [line(e) for e in search(s, f, before_seq=before_seq)]
        return Found(entries, kinds(s))


def export(units: Units, f: Filters) -> Iterator[dict[str, Any]]:
    """Every entry matching `f` in chain order, read in batches as the caller consumes them.

    One short snapshot per batch: a long download holds no transaction open all the way through.
    """
    last = 0
    while True:
        with units.reading() as s:
            batch = export_batch(s, f, after_seq=last)
        if not batch:
            return
        yield from batch
        last = batch[-1]["seq"]


def search(s: Session, f: Filters, *, before_seq: int | None = None, limit: int = PAGE) -> list[LogEntry]:
    """Matching entries, newest first; pass the last seq shown as `before_seq` for the next page."""
    q = f.query()
    if before_seq:
        q = q.where(LogEntry.seq < before_seq)
    return list(s.execute(q.order_by(LogEntry.seq.desc()).limit(limit)).scalars())


def kinds(s: Session) -> list[str]:
    """Every kind of entry the log holds, for the search form."""
    return list(s.execute(select(LogEntry.kind).distinct().order_by(LogEntry.kind)).scalars())


def as_dict(e: LogEntry) -> dict[str, Any]:
    """The entry with every column, as exported."""
    return {"seq": e.seq, "at": e.at.isoformat(timespec="microseconds"), "kind": e.kind,
            "precinct": e.precinct_code, "phone": e.phone, "actor": e.actor, "detail": e.detail,
            "prev_hash": e.prev_hash, "hash": e.hash, "salt": e.salt}


def export_batch(s: Session, f: Filters, after_seq: int = 0, limit: int = EXPORT_BATCH) -> list[dict[str, Any]]:
    """The next matching entries in chain order after `after_seq` (callers loop, one transaction a batch)."""
    rows = s.execute(f.query().where(LogEntry.seq > after_seq).order_by(LogEntry.seq).limit(limit)).scalars()
    return [as_dict(e) for e in rows]
