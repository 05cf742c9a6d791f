"""Lock-outs by counting failures in a window: wrong PINs (a phone locks, a precinct slows down, a
budget across precincts pauses), wrong staff passwords, the staff line's PIN. The rule is here; the
counters are kept in the database."""
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


# --- Slowing down instead of locking (staff usernames tried from many addresses) ---

def slow(counter: Counter, now: datetime, *, after: int, window: timedelta, cap: timedelta) -> Counter:
    """One more failure on a key that is slowed down rather than locked (a staff username, so a
    stranger cannot keep its owner out for the night). Failures are forgotten once `window` passes
    without one; from the `after`-th on, the next try must wait `slowdown(...)` after this one.
    `locked_until` is when the next try is allowed; `window_started_at` is the latest failure."""
    count = 0 if now - counter.window_started_at > window else counter.count
    count += 1
    wait = slowdown(count, after=after, cap=cap)
    return Counter(count, now, now + wait if wait else None)


def slowdown(failures: int, *, after: int, cap: timedelta) -> timedelta:
    """The wait after `failures` failures: none before `after`, then 2, 4, 8... seconds up to `cap`."""
    if failures < after:
        return timedelta(0)
    return min(cap, timedelta(seconds=2 ** min(failures - after + 1, 30)))


def seconds_left(until: datetime | None, now: datetime) -> int:
    """Whole seconds (rounded up) until `until`; 0 once it has passed."""
    if until is None or until <= now:
        return 0
    left = until - now
    return left.days * 86400 + left.seconds + (1 if left.microseconds else 0)


# --- Wrong PINs -------------------------------------------------------------------------------
# A stranger must not be able to shut a chair out, so wrong PINs lock only the phone that typed
# them. The precinct is slowed instead of locked, and a budget across all precincts pauses PIN
# tries from unregistered phones once a guessing run is under way. See records/pins.py for the
# counters and for why guessing stays infeasible.


def precinct_slowed(counter: Counter, now: datetime, *, limit: int, window: timedelta) -> bool:
    """Whether the precinct is slowed: `limit` wrong PINs within a window that has not passed."""
    count, _ = _in_window(counter, now, window)
    return count >= limit


def precinct_tried(counter: Counter, now: datetime, *, wrong: bool, limit: int, window: timedelta,
                   gap: timedelta) -> Counter:
    """A PIN tried for a precinct from a phone that is not its registered one. At `limit` wrong
    PINs within `window` the precinct is slowed: each try (right or wrong; they cannot be told
    apart by who sent them) must wait `gap` after the one before: `locked_until` says when the
    next may come. Once slowed, a wrong try restarts the window, so the slow-down lasts while the
    guessing does and ends one quiet window after it stops."""
    count, started = _in_window(counter, now, window)
    if wrong:
        count, started = count + 1, now if count + 1 >= limit else started
    if count >= limit:
        return Counter(count, started, now + gap)
    return Counter(count, started, None)


def spend(counter: Counter, now: datetime, *, limit: int, window: timedelta) -> Counter:
    """One wrong PIN against a budget of `limit` per `window` (all precincts together). Once it is
    spent, PIN tries pause until the window ends ("until the hour rolls"); then a fresh budget."""
    count, started = _in_window(counter, now, window)
    count += 1
    return Counter(count, started, started + window if count >= limit else None)
