"""Times on the public pages are Central time, as people read them."""
from __future__ import annotations

from datetime import datetime, timezone

from hotline.domain.central_time import clock, clock_and_day


def test_caucus_night_in_february_is_central_standard_time():
    # 3 February 2020, 9:42 pm in Des Moines is 03:42 UTC the next day
    assert clock(datetime(2020, 2, 4, 3, 42, tzinfo=timezone.utc)) == "9:42 pm CST"


def test_summer_is_central_daylight_time():
    assert clock(datetime(2026, 7, 1, 2, 5, tzinfo=timezone.utc)) == "9:05 pm CDT"


def test_naive_times_are_utc_and_noon_and_midnight_read_as_twelve():
    assert clock(datetime(2020, 2, 3, 18, 0)) == "12:00 pm CST"
    assert clock(datetime(2020, 2, 3, 6, 7)) == "12:07 am CST"
    assert clock(datetime(2020, 2, 3, 15, 30)) == "9:30 am CST"


def test_the_change_to_daylight_time_in_march():
    # 8 March 2026: clocks go from 2:00 am CST to 3:00 am CDT (08:00 UTC)
    assert clock(datetime(2026, 3, 8, 7, 59, tzinfo=timezone.utc)) == "1:59 am CST"
    assert clock(datetime(2026, 3, 8, 8, 0, tzinfo=timezone.utc)) == "3:00 am CDT"


def test_another_day_carries_the_date():
    moment = datetime(2020, 2, 4, 3, 42, tzinfo=timezone.utc)
    assert clock_and_day(moment, today=datetime(2020, 2, 4, 5, 0, tzinfo=timezone.utc)) == "9:42 pm CST"
    assert clock_and_day(moment, today=datetime(2020, 2, 5, 5, 0, tzinfo=timezone.utc)) == "Mon Feb 3, 9:42 pm CST"
