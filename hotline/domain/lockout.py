"""Lock-outs by counting failures in a window: wrong PINs (by precinct and by phone), wrong staff
passwords, the staff line's PIN. The rule is here; the counters are kept in the database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Counter:
    """A key's failures since its window started, and until when it is locked (if it is)."""

    count: int
    window_started_at: datetime
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def fail(counter: Counter, now: datetime, *, limit: int, window: timedelta, lock: timedelta) -> Counter:
    """One more failure. At `limit` failures within `window` the key locks for `lock`, and counting
    starts again from zero (so a locked-out guesser gets `limit` more tries once it ends)."""
    count, started = _in_window(counter, now, window)
    count += 1
    if count >= limit:
        return Counter(0, now, now + lock)
    return Counter(count, started, counter.locked_until)


def allow(counter: Counter, now: datetime, *, limit: int, window: timedelta) -> tuple[Counter, bool]:
    """Count one use; whether it is among the first `limit` of its window (answers to a stranger)."""
    count, started = _in_window(counter, now, window)
    return Counter(count + 1, started, counter.locked_until), count + 1 <= limit


def _in_window(counter: Counter, now: datetime, window: timedelta) -> tuple[int, datetime]:
    """The count so far and when its window started; a window that has passed starts afresh."""
    if now - counter.window_started_at > window:
        return 0, now
    return counter.count, counter.window_started_at
