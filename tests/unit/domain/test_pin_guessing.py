"""Wrong PINs for a precinct slow it down instead of locking it; a budget across precincts pauses."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hotline.domain.lockout import Counter, precinct_slowed, precinct_tried, spend

T0 = datetime(2020, 2, 3, 19, 0, tzinfo=timezone.utc)
WINDOW, GAP, HOUR = timedelta(minutes=15), timedelta(minutes=3), timedelta(hours=1)


def wrong(c: Counter, at: datetime) -> Counter:
    return precinct_tried(c, at, wrong=True, limit=5, window=WINDOW, gap=GAP)


def test_five_wrong_pins_slow_the_precinct_to_one_try_per_gap_and_never_lock_it():
    c = Counter(0, T0)
    for i in range(4):
        c = wrong(c, T0 + timedelta(seconds=i))
        assert not c.locked(T0 + timedelta(seconds=i)) and not precinct_slowed(c, T0, limit=5, window=WINDOW)
    c = wrong(c, T0 + timedelta(seconds=4))
    assert precinct_slowed(c, T0 + timedelta(seconds=4), limit=5, window=WINDOW)
    assert c.locked(T0 + timedelta(seconds=5))  # the next try waits its turn...
    assert not c.locked(T0 + timedelta(seconds=4) + GAP)  # ...of one gap, not a 15-minute lock
    # A right PIN from another phone takes its turn like any try (we cannot tell who sent it).
    at = T0 + timedelta(seconds=4) + GAP
    c = precinct_tried(c, at, wrong=False, limit=5, window=WINDOW, gap=GAP)
    assert c.locked(at + GAP - timedelta(seconds=1)) and not c.locked(at + GAP)


def test_the_slow_down_lasts_while_the_guessing_does_and_ends_a_quiet_window_after():
    c, at = Counter(0, T0), T0
    for _ in range(5):
        c = wrong(c, at)
    for _ in range(40):  # two hours of one guess per turn: still slowed
        at += GAP
        assert not c.locked(at)
        c = wrong(c, at)
        assert precinct_slowed(c, at, limit=5, window=WINDOW)
    quiet = at + WINDOW + timedelta(seconds=1)
    assert not precinct_slowed(c, quiet, limit=5, window=WINDOW) and not c.locked(quiet)
    c = wrong(c, quiet)
    assert c.count == 1 and c.locked_until is None  # a fresh window


def test_a_right_pin_alone_never_slows_a_precinct():
    c = Counter(0, T0)
    for i in range(20):
        c = precinct_tried(c, T0 + timedelta(seconds=i), wrong=False, limit=5, window=WINDOW, gap=GAP)
    assert c.count == 0 and c.locked_until is None


def test_the_global_budget_pauses_until_the_hour_rolls_then_starts_afresh():
    c = Counter(0, T0)
    for i in range(299):
        c = spend(c, T0 + timedelta(seconds=i), limit=300, window=HOUR)
        assert not c.locked(T0 + timedelta(seconds=i))
    c = spend(c, T0 + timedelta(minutes=20), limit=300, window=HOUR)
    assert c.locked(T0 + timedelta(minutes=20)) and c.locked_until == T0 + HOUR  # until the hour rolls
    assert not c.locked(T0 + HOUR)
    c = spend(c, T0 + HOUR + timedelta(seconds=1), limit=300, window=HOUR)
    assert c.count == 1 and not c.locked(T0 + HOUR + timedelta(seconds=1))
