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


def record(session: Session, kind: str, *, precinct: str | None = None, phone: str | None = None,
           actor: str | None = None, **detail: Any) -> None:
    """Append one entry to the verification log as part of the caller's transaction.

    The entry is kept with the transaction and chained when it commits (`_append_pending`): it is
    in the log if and only if the transaction's other changes are. Nothing is locked here, so
    transactions on every host run side by side; only the short append at commit takes turns.
    """
    detail = json.loads(json.dumps(detail, default=str))  # what is hashed is what is stored
    session.info.setdefault(PENDING, []).append((kind, precinct, phone, actor, detail))


PENDING = "log_pending"


def _append_pending(session: Session) -> None:
    """Chain and store this transaction's entries, in the order they were recorded, in one batch.

    The head row is locked (FOR UPDATE on PostgreSQL; SQLite's write lock is already held) only
    here, at the end of the transaction, after everything else is flushed: the lock is held for
    one read, one multi-row INSERT and one UPDATE, not for the whole of a text's handling, and
    it is the last lock the transaction takes (no lock waits behind it, so no deadlock through it).
    Entries take their time here too, so seq and time rise together.
    """
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    session.flush()
    conn = session.connection()  # plain statements: the ORM's bookkeeping cost more than the writes
    row = conn.execute(HEAD_READ).one_or_none()
    if row is None:
        conn.execute(insert(LogHead).values(id=1, seq=0, hash=GENESIS))
        row = (0, GENESIS)
    seq, prev = row
    at = utcnow()
    rows = []
    for kind, precinct, phone, actor, detail in pending:
        seq += 1
        # The salt hides phone and actor in the hash, so the entry can be shown in public (proofs).
        salt = secrets.token_hex(16)
        hashed = entry_hash(seq, at, kind, precinct, phone, actor, detail, prev, salt)
        rows.append({"seq": seq, "at": at, "kind": kind, "precinct_code": precinct, "phone": phone,
                     "actor": actor, "detail": detail, "prev_hash": prev, "hash": hashed, "salt": salt})
        prev = hashed
    conn.execute(ENTRY_INSERT, rows)
    conn.execute(HEAD_UPDATE, {"seq": seq, "hash": prev})


event.listen(Session, "before_commit", _append_pending)


def flush(session: Session) -> None:
    """Store the entries recorded so far now, for a caller that needs their seq before commit.
    The head stays locked to the end of the transaction: use it where a seq is needed, not by habit."""
    _append_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # rolled back: its entries go with it (committed: already stored)
        session.info.pop(PENDING, None)


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify(session: Session, batch: int = 2000, after: int = 0, after_hash: str = GENESIS) -> ChainBreak | None:
    """Walk the chain in order; return the first broken link, or None when it is intact.

    `after`, `after_hash`: start past entry `after`, taken to have hash `after_hash` (a signed
    checkpoint vouches for the entries up to it).
    """
    flush(session)  # entries this transaction recorded count too
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
