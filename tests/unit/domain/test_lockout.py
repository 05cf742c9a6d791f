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
