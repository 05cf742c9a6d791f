"""Windowed failure counters and lock-outs kept in the database (wrong PINs, wrong codes)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.adapters.models import RateCounter, utcnow
from hotline.domain import lockout


@dataclass(frozen=True)
class Tally:
    count: int
    locked_until: datetime | None


def _row(s: Session, key: str) -> RateCounter:
    row = s.execute(select(RateCounter).where(RateCounter.key == key).with_for_update()).scalar_one_or_none()
    if row is None:
        row = RateCounter(key=key, count=0, window_started_at=utcnow())
        s.add(row)
        s.flush()
    return row


def locked_until(s: Session, key: str, now: datetime | None = None) -> datetime | None:
    """When the key is locked, until when; else None."""
    row = s.execute(select(RateCounter).where(RateCounter.key == key)).scalar_one_or_none()
    now = now or utcnow()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    return None


def _store(row: RateCounter, counter: lockout.Counter) -> None:
    row.count, row.window_started_at, row.locked_until = counter.count, counter.window_started_at, counter.locked_until


def hit(s: Session, key: str, *, limit: int, window_seconds: int, lock_seconds: int) -> Tally:
    """Count one failure; at `limit` failures within the window the key locks for `lock_seconds`."""
    now, row = utcnow(), _row(s, key)
    before = lockout.Counter(row.count, row.window_started_at, row.locked_until)
    after = lockout.fail(before, now, limit=limit, window=timedelta(seconds=window_seconds),
                         lock=timedelta(seconds=lock_seconds))
    _store(row, after)
    if after.locked_until != before.locked_until:
        return Tally(limit, after.locked_until)
    return Tally(after.count, None)


def allow(s: Session, key: str, *, limit: int, window_seconds: int) -> bool:
    """True for the first `limit` calls per window (e.g. replies to an unknown number)."""
    row = _row(s, key)
    counter, allowed = lockout.allow(lockout.Counter(row.count, row.window_started_at, row.locked_until),
                                     utcnow(), limit=limit, window=timedelta(seconds=window_seconds))
    _store(row, counter)
    return allowed


def clear(s: Session, key: str) -> None:
    row = s.execute(select(RateCounter).where(RateCounter.key == key)).scalar_one_or_none()
    if row is not None:
        row.count, row.locked_until = 0, None
