"""The append-only, hash-chained verification log."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import LogEntry, LogHead, utcnow

GENESIS = "0" * 64


def _digest(seq: int, at: datetime, kind: str, precinct: str | None, phone: str | None,
            actor: str | None, detail: dict[str, Any], prev_hash: str) -> str:
    payload = json.dumps([seq, at.isoformat(timespec="microseconds"), kind, precinct, phone,
                          actor, detail, prev_hash], sort_keys=True, separators=(",", ":"),
                         ensure_ascii=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _head(session: Session) -> LogHead:
    # FOR UPDATE serializes appends on PostgreSQL; SQLite transactions already hold the write lock.
    # The locked row is kept for the rest of the transaction, so later appends need no query.
    head = session.info.get("log_head")
    if head is not None and head in session:
        return head
    head = session.execute(select(LogHead).where(LogHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = LogHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    session.info["log_head"] = head
    return head


def record(session: Session, kind: str, *, precinct: str | None = None, phone: str | None = None,
           actor: str | None = None, **detail: Any) -> LogEntry:
    """Append one entry to the verification log inside the caller's transaction."""
    head = _head(session)
    detail = json.loads(json.dumps(detail, default=str))  # what is hashed is what is stored
    at = utcnow()
    seq = head.seq + 1
    digest = _digest(seq, at, kind, precinct, phone, actor, detail, head.hash)
    entry = LogEntry(seq=seq, at=at, kind=kind, precinct_code=precinct, phone=phone, actor=actor,
                     detail=detail, prev_hash=head.hash, hash=digest)
    session.add(entry)
    head.seq, head.hash = seq, digest
    return entry


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify(session: Session, batch: int = 2000) -> ChainBreak | None:
    """Walk the chain in order; return the first broken link, or None when it is intact."""
    prev_hash, expected_seq = GENESIS, 1
    for entry in _entries(session, batch):
        if entry.seq != expected_seq:
            return ChainBreak(expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})")
        if entry.prev_hash != prev_hash:
            return ChainBreak(entry.seq, "does not point at the entry before it")
        digest = _digest(entry.seq, entry.at, entry.kind, entry.precinct_code, entry.phone,
                         entry.actor, entry.detail, entry.prev_hash)
        if digest != entry.hash:
            return ChainBreak(entry.seq, "was altered after it was written")
        prev_hash, expected_seq = entry.hash, expected_seq + 1
    head = session.get(LogHead, 1)
    if head is not None and head.seq != expected_seq - 1:
        return ChainBreak(expected_seq, f"the newest {head.seq - expected_seq + 1} entries are missing")
    return None


def _entries(session: Session, batch: int) -> Iterator[LogEntry]:
    last = 0
    while True:
        rows = session.execute(select(LogEntry).where(LogEntry.seq > last)
                               .order_by(LogEntry.seq).limit(batch)).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()
