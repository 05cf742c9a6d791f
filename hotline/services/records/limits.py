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


def locked_until(s: Session, key: str, now: datetime | None = None, *, for_update: bool = False
                 ) -> datetime | None:
    """When the key is locked, until when; else None. `for_update` holds the counter's row for the
    rest of the transaction, so that concurrent tries (PostgreSQL) queue behind this one instead
    of all reading "not locked" before any of them counts."""
    query = select(RateCounter).where(RateCounter.key == key)
    row = s.execute(query.with_for_update() if for_update else query).scalar_one_or_none()
    now = now or utcnow()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    return None


def _counter(row: RateCounter) -> lockout.Counter:
    return lockout.Counter(row.count, row.window_started_at, row.locked_until)


def _store(row: RateCounter, counter: lockout.Counter) -> None:
    row.count, row.window_started_at, row.locked_until = counter.count, counter.window_started_at, counter.locked_until


def hit(s: Session, key: str, *, limit: int, window_seconds: int, lock_seconds: int) -> Tally:
    """Count one failure; at `limit` failures within the window the key locks for `lock_seconds`."""
    now, row = utcnow(), _row(s, key)
    before = _counter(row)
    after = lockout.fail(before, now, limit=limit, window=timedelta(seconds=window_seconds),
                         lock=timedelta(seconds=lock_seconds))
    _store(row, after)
    if after.locked_until != before.locked_until:
        return Tally(limit, after.locked_until)
    return Tally(after.count, None)


def allow(s: Session, key: str, *, limit: int, window_seconds: int) -> bool:
    """True for the first `limit` calls per window (e.g. replies to an unknown number)."""
    row = _row(s, key)
    counter, allowed = lockout.allow(_counter(row),
                                     utcnow(), limit=limit, window=timedelta(seconds=window_seconds))
    _store(row, counter)
    return allowed


def clear(s: Session, key: str) -> None:
    row = s.execute(select(RateCounter).where(RateCounter.key == key)).scalar_one_or_none()
    if row is not None:
        row.count, row.locked_until = 0, None


def slow(s: Session, key: str, *, after: int, window_seconds: int, cap_seconds: int) -> Tally:
    """Count one failure on a key that slows down instead of locking (see `lockout.slow`); the
    tally's `locked_until` is when the next try is allowed (None: at once)."""
    now, row = utcnow(), _row(s, key)
    after_c = lockout.slow(_counter(row), now,
                           after=after, window=timedelta(seconds=window_seconds),
                           cap=timedelta(seconds=cap_seconds))
    _store(row, after_c)
    return Tally(after_c.count, after_c.locked_until)


@dataclass(frozen=True)
class Slowing:
    """A precinct's PIN tries after one more: whether it is slowed, and whether this try began it."""

    slowed: bool
    began: bool


def precinct_tried(s: Session, key: str, *, wrong: bool, limit: int, window_seconds: int,
                   gap_seconds: int) -> Slowing:
    """Count one PIN try (`wrong` or not) on a slow-down counter: at `limit` wrong ones in the
    window, the next try must wait `gap_seconds` (`locked_until` holds when it may come)."""
    now, row = utcnow(), _row(s, key)
    before = _counter(row)
    window = timedelta(seconds=window_seconds)
    after = lockout.precinct_tried(before, now, wrong=wrong, limit=limit, window=window,
                                   gap=timedelta(seconds=gap_seconds))
    _store(row, after)
    was = lockout.precinct_slowed(before, now, limit=limit, window=window)
    now_slowed = lockout.precinct_slowed(after, now, limit=limit, window=window)
    return Slowing(now_slowed, now_slowed and not was)


def spend(s: Session, key: str, *, limit: int, window_seconds: int) -> datetime | None:
    """Spend one from a budget of `limit` per window; when this spends the last, until when the
    key is paused (else None)."""
    now, row = utcnow(), _row(s, key)
    before = _counter(row)
    after = lockout.spend(before, now, limit=limit, window=timedelta(seconds=window_seconds))
    _store(row, after)
    return after.locked_until if after.locked(now) and not before.locked(now) else None


def precinct_slowed(s: Session, key: str, *, limit: int, window_seconds: int) -> bool:
    """Whether a slow-down counter has `limit` failures in a window that has not passed."""
    row = s.execute(select(RateCounter).where(RateCounter.key == key)).scalar_one_or_none()
    if row is None:
        return False
    counter = _counter(row)
    return lockout.precinct_slowed(counter, utcnow(), limit=limit, window=timedelta(seconds=window_seconds))
