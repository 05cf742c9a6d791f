"""The shared token bucket that holds each sending number to its rate."""
from __future__ import annotations

import time

import pytest

from hotline.adapters.sending_rate import SendingRate, segments


def test_second_message_within_the_same_second_must_wait(rt):
    rate = SendingRate(rt.redis, rate_per_second=2)
    assert rate.try_acquire("+15155550100") == 0
    assert rate.try_acquire("+15155550100") == 0  # burst of 2
    wait = rate.try_acquire("+15155550100")
    assert 0.3 < wait <= 0.5  # one token refills in 1/2 s
    assert rate.try_acquire("+15155550101") == 0  # another number has its own bucket


def test_multi_segment_message_takes_the_bucket_into_debt(rt):
    rate = SendingRate(rt.redis, rate_per_second=1)
    assert rate.try_acquire("n", cost=3) == 0
    assert rate.try_acquire("n", cost=1) > 2.5  # three segments were paid for


def test_rate_must_be_positive(rt):
    with pytest.raises(ValueError, match="rate_per_second"):
        SendingRate(rt.redis, 0)


@pytest.mark.parametrize("body,expected", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("é" * 160, 1),                 # é is in the GSM basic set
    ("€" * 80, 1), ("€" * 81, 2),   # the euro sign is an extension character: two septets
    ("✓" * 70, 1), ("✓" * 71, 2),   # anything outside GSM-7 forces UCS-2
    ("😀" * 35, 1), ("😀" * 36, 2),  # an emoji is two UTF-16 units
])
def test_segments(body, expected):
    assert segments(body) == expected


def test_a_busy_number_is_skipped_for_a_free_one(rt):
    rate = SendingRate(rt.redis, rate_per_second=1)
    numbers = ["+15155550100", "+15155550101", "+15155550102"]
    used = {rate.acquire_any(numbers, timeout=0.5) for _ in numbers}
    assert used == set(numbers)  # three sends, three numbers, nobody waited
    with pytest.raises(TimeoutError):
        rate.acquire_any(numbers, timeout=0.1)  # every number just sent: none is free yet


def test_the_many_number_check_and_the_one_number_check_share_each_bucket(rt):
    rate = SendingRate(rt.redis, rate_per_second=1)
    assert rate.acquire_any(["+15155550100"], timeout=0.5) == "+15155550100"
    assert rate.try_acquire("+15155550100") > 0.5  # the one-number check sees that send
    assert rate.try_acquire("+15155550101") == 0
    # Both numbers are now empty: the next send waits for the sooner refill, then goes.
    started = time.monotonic()
    assert rate.acquire_any(["+15155550101", "+15155550100"], timeout=5) in {"+15155550100", "+15155550101"}
    assert 0.3 < time.monotonic() - started < 3
