"""The append-only, hash-chained verification log."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, Iterator

from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.orm import Session

from hotline.adapters.models import LogEntry, LogHead, utcnow
from hotline.domain.log_entry import entry_hash

GENESIS = "0" * 64
ENTRIES = LogEntry.__table__
ENTRY_INSERT = ENTRIES.insert()
HEAD_READ = select(LogHead.seq, LogHead.hash).where(LogHead.id == 1).with_for_update()
HEAD_UPDATE = LogHead.__table__.update().where(LogHead.__table__.c.id == 1).values(
    seq=bindparam("seq"), hash=bindparam("hash"))


def digest(entry: LogEntry) -> str:
    """The hash a stored entry must have (recomputed from its columns)."""
    return entry_hash(entry.seq, entry.at, entry.kind, entry.precinct_code, entry.phone, entry.actor,
                      entry.detail, entry.prev_hash, entry.salt)


def _head(session: Session) -> list[Any]:
    """[seq, hash, written] of the newest entry, read once per transaction under a row lock.

    FOR UPDATE serializes appends on PostgreSQL; SQLite transactions already hold the write lock.
    The lock is kept for the rest of the transaction, so later appends need no query, and the
    head row is written once, at commit (`_write_head`), however many entries were appended.
    """
    head = session.info.get("log_head")
    if head is not None:
        return head
    row = session.execute(HEAD_READ).one_or_none()
    if row is None:
        session.execute(insert(LogHead).values(id=1, seq=0, hash=GENESIS))
        row = (0, GENESIS)
    head = session.info["log_head"] = [row[0], row[1], True]
    return head


def _write_head(session: Session) -> None:
    """Store the newest entry's seq and hash in the head row, if this transaction appended any."""
    head = session.info.get("log_head")
    if head is not None and not head[2]:
        session.connection().execute(HEAD_UPDATE, {"seq": head[0], "hash": head[1]})
        head[2] = True


event.listen(Session, "before_commit", _write_head)


@event.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the next transaction reads (and locks) the head again
        session.info.pop("log_head", None)


def record(session: Session, kind: str, *, precinct: str | None = None, phone: str | None = None,
           actor: str | None = None, **detail: Any) -> None:
    """Append one entry to the verification log inside the caller's transaction.

    Plain INSERT and UPDATE statements rather than ORM objects: every text appends an entry,
    and the unit-of-work bookkeeping cost more than the writes themselves.
    """
    head = _head(session)
    detail = json.loads(json.dumps(detail, default=str))  # what is hashed is what is stored
    at = utcnow()
    seq = head[0] + 1
    # The salt hides phone and actor in the hash, so the entry can be shown in public (proofs).
    salt = secrets.token_hex(16)
    hashed = entry_hash(seq, at, kind, precinct, phone, actor, detail, head[1], salt)
    conn = session.connection()  # plain statements need no ORM session machinery
    conn.execute(ENTRY_INSERT, {"seq": seq, "at": at, "kind": kind, "precinct_code": precinct,
                                "phone": phone, "actor": actor, "detail": detail,
                                "prev_hash": head[1], "hash": hashed, "salt": salt})
    head[0], head[1], head[2] = seq, hashed, False


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify(session: Session, batch: int = 2000, after: int = 0, after_hash: str = GENESIS) -> ChainBreak | None:
    """Walk the chain in order; return the first broken link, or None when it is intact.

    `after`, `after_hash`: start past entry `after`, taken to have hash `after_hash` (a signed
    checkpoint vouches for the entries up to it).
    """
    _write_head(session)  # entries this transaction appended count too
    prev_hash, expected_seq = after_hash, after + 1
    for entry in _entries(session, batch, after):
        if entry.seq != expected_seq:
            return ChainBreak(expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})")
        if entry.prev_hash != prev_hash:
            return ChainBreak(entry.seq, "does not point at the entry before it")
        if digest(entry) != entry.hash:
            return ChainBreak(entry.seq, "was altered after it was written")
        prev_hash, expected_seq = entry.hash, expected_seq + 1
    head = session.get(LogHead, 1)
    if head is not None and head.seq != expected_seq - 1:
        return ChainBreak(expected_seq, f"the newest {head.seq - expected_seq + 1} entries are missing")
    return None


def _entries(session: Session, batch: int, last: int = 0) -> Iterator[LogEntry]:
    while True:
        rows = session.execute(select(LogEntry).where(LogEntry.seq > last)
                               .order_by(LogEntry.seq).limit(batch)).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()
