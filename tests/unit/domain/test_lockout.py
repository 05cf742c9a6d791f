"""Lock-outs: failures counted in a window, a lock at the limit, a fresh count afterwards."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hotline.domain.lockout import Counter, allow, fail

T0 = datetime(2020, 2, 3, 19, 0, tzinfo=timezone.utc)
WINDOW, LOCK = timedelta(minutes=15), timedelta(minutes=15)


def test_the_fifth_failure_in_a_window_locks_and_the_count_starts_again():
    c = Counter(0, T0)
    for i in range(4):
        c = fail(c, T0 + timedelta(minutes=i), limit=5, window=WINDOW, lock=LOCK)
        assert c.count == i + 1 and not c.locked(T0 + timedelta(minutes=i))
    c = fail(c, T0 + timedelta(minutes=4), limit=5, window=WINDOW, lock=LOCK)
    assert c.locked(T0 + timedelta(minutes=5)) and c.count == 0
    assert not c.locked(T0 + timedelta(minutes=20))  # the lock ends


def test_failures_spread_over_more_than_the_window_never_lock():
    c = Counter(0, T0)
    for i in range(10):
        c = fail(c, T0 + timedelta(minutes=16 * i), limit=5, window=WINDOW, lock=LOCK)
    assert c.count == 1 and c.locked_until is None


def test_allow_lets_the_first_few_of_each_window_through():
    c, answers = Counter(0, T0), []
    for i in range(5):
        c, ok = allow(c, T0 + timedelta(minutes=i), limit=3, window=timedelta(hours=1))
        answers.append(ok)
    assert answers == [True, True, True, False, False]
    c, ok = allow(c, T0 + timedelta(hours=2), limit=3, window=timedelta(hours=1))
    assert ok and c.count == 1


# --- slowing a key down instead of locking it (staff usernames) ---

from hotline.domain.lockout import seconds_left, slow, slowdown  # noqa: E402

CAP = timedelta(seconds=60)


def test_a_slowed_key_waits_longer_after_each_failure_up_to_the_cap():
    c, waits = Counter(0, T0), []
    for i in range(12):
        now = T0 + timedelta(seconds=90 * i)
        c = slow(c, now, after=5, window=WINDOW, cap=CAP)
        waits.append(seconds_left(c.locked_until, now))
    assert waits == [0, 0, 0, 0, 2, 4, 8, 16, 32, 60, 60, 60]
    assert c.count == 12  # never reset by the wait itself: a patient guesser stays slowed


def test_a_quiet_window_forgets_a_slowed_keys_failures():
    c = Counter(0, T0)
    for i in range(7):
        c = slow(c, T0 + timedelta(seconds=i), after=5, window=WINDOW, cap=CAP)
    later = T0 + timedelta(seconds=6) + WINDOW + timedelta(seconds=1)
    c = slow(c, later, after=5, window=WINDOW, cap=CAP)
    assert c.count == 1 and c.locked_until is None


def test_slowdown_and_seconds_left():
    assert slowdown(4, after=5, cap=CAP) == timedelta(0)
    assert slowdown(5, after=5, cap=CAP) == timedelta(seconds=2)
    assert slowdown(10_000, after=5, cap=CAP) == CAP
    assert seconds_left(None, T0) == 0 and seconds_left(T0, T0 + timedelta(seconds=1)) == 0
    assert seconds_left(T0 + timedelta(seconds=1, microseconds=1), T0) == 2
