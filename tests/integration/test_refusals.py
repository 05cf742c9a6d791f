"""Refused requests counted in Redis: fixed-size structures that expire, one script call each."""
from __future__ import annotations

from hotline.adapters import refusals
from hotline.services.ops import traffic

NOW = 1_700_000_000.0  # some fixed moment (minute 28333333, hour 472222)


def test_counts_by_path_and_reason_per_hour_and_minute(rt):
    for reason in ("forged", "forged", "missing"):
        assert refusals.refuse(rt.redis, "/twilio/sms", reason, "198.51.100.1", now=NOW) is not None
    assert refusals.count(rt.redis, "/login", "throttled", "198.51.100.2", now=NOW)
    [(hour, tally)] = refusals.hours(rt.redis, NOW, how_many=1)
    assert hour == refusals.hour_of(NOW)
    assert tally.counts == {("/twilio/sms", "forged"): 2, ("/twilio/sms", "missing"): 1, ("/login", "throttled"): 1}
    assert tally.sources == [("198.51.100.1", 3), ("198.51.100.2", 1)]
    minute = refusals.minute(rt.redis, refusals.minute_of(NOW))
    assert minute.total == 4
    hour_key = f"{refusals.PREFIX}:h:{refusals.hour_of(NOW)}"
    assert 0 < rt.redis.ttl(hour_key) <= refusals.HOUR_TTL
    assert 0 < rt.redis.ttl(f"{refusals.PREFIX}:m:{refusals.minute_of(NOW)}:src") <= refusals.MINUTE_TTL


def test_beyond_the_limit_a_source_is_counted_as_throttled(rt):
    got = [refusals.refuse(rt.redis, "/twilio/sms", "forged", "192.0.2.1", limit=3, now=NOW) for _ in range(5)]
    assert [c.reason for c in got] == ["forged"] * 3 + ["throttled"] * 2
    assert [c.this_minute for c in got] == [1, 2, 3, 4, 5]
    assert refusals.refuse(rt.redis, "/twilio/sms", "forged", "192.0.2.2", limit=3, now=NOW).reason == "forged"
    assert refusals.refuse(rt.redis, "/twilio/sms", "forged", "192.0.2.1", limit=3, now=NOW + 60).reason == "forged"


def test_ipv6_addresses_are_limited_per_64(rt):
    got = [refusals.refuse(rt.redis, "/twilio/sms", "forged", f"2001:db8:1:2::{i:x}", limit=3, now=NOW).reason
           for i in range(5)]
    assert got == ["forged"] * 3 + ["throttled"] * 2
    assert refusals.refuse(rt.redis, "/twilio/sms", "forged", "2001:db8:1:3::1", limit=3, now=NOW).reason == "forged"
    assert refusals.limited_as("198.51.100.1") == "198.51.100.1"
    assert refusals.limited_as("not-an-address:x") == "not-an-address:x"


def test_the_top_sources_stay_a_fixed_size_and_keep_the_heavy_hitter(rt):
    for _ in range(20):
        refusals.refuse(rt.redis, "/twilio/sms", "forged", "203.0.113.1", now=NOW)
    for i in range(500):  # many light sources, as a botnet or rotating IPv6 addresses would be
        refusals.refuse(rt.redis, "/twilio/sms", "forged", f"2001:db8::{i:x}", now=NOW)
    key = f"{refusals.PREFIX}:h:{refusals.hour_of(NOW)}:src"
    assert rt.redis.zcard(key) == refusals.SOURCES_KEPT
    [(_hour, tally)] = refusals.hours(rt.redis, NOW, how_many=1)
    assert tally.sources[0] == ("203.0.113.1", 20)
    assert tally.total == 520


def test_whatever_is_sent_the_fields_stay_short(rt):
    refusals.refuse(rt.redis, "/x" * 500, "r" * 500, "s" * 500 + "|\n", now=NOW)
    [(_hour, tally)] = refusals.hours(rt.redis, NOW, how_many=1)
    [((path, reason), n)] = tally.counts.items()
    assert len(path) == refusals.PATH_MAX and len(reason) == refusals.REASON_MAX and n == 1
    assert len(tally.sources[0][0]) == refusals.SOURCE_MAX


def test_redis_unreachable_is_no_error(rt):
    from hotline.adapters.queues import connect
    down = connect("redis://127.0.0.1:1/0")
    assert refusals.refuse(down, "/twilio/sms", "forged", "198.51.100.1") is None
    assert refusals.count(down, "/login", "throttled", "198.51.100.1") is False
    down.close()


def test_the_last_day_for_the_admin_page(rt):
    refusals.refuse(rt.redis, "/twilio/sms", "forged", "198.51.100.1", now=NOW)
    refusals.refuse(rt.redis, "/twilio/sms", "forged", "198.51.100.1", now=NOW - 3600)
    refusals.refuse(rt.redis, "/twilio/voice", "missing", "198.51.100.2", now=NOW - 3 * 3600)
    refusals.refuse(rt.redis, "/twilio/voice", "missing", "198.51.100.2", now=NOW - 30 * 3600)  # too old
    day = traffic.last_day(rt.redis, NOW)
    assert day.total == 3 and len(day.hours) == 3
    assert day.paths == [("/twilio/sms", {"forged": 2}), ("/twilio/voice", {"missing": 1})]
    assert day.sources == [("198.51.100.1", 2), ("198.51.100.2", 1)]
