"""The public results' per-process cache: keyed by the results version in Redis, which each process
reads at most once per `version_ttl` seconds."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError

from hotline.adapters.queues import RESULTS_VERSION_KEY
from hotline.services.results.public import Cache


class FakeRedis:
    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}
        self.gets = 0
        self.down = False

    def get(self, key: str) -> bytes | None:
        self.gets += 1
        if self.down:
            raise RedisConnectionError("down")
        return self.values.get(key)

    def incr(self, key: str) -> None:
        self.values[key] = str(int(self.values.get(key, b"0")) + 1).encode()


class FakeUnits:
    @contextmanager
    def reading(self) -> Iterator[None]:
        yield None


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def counter() -> tuple[list[int], Any]:
    builds: list[int] = []

    def build(_: Any) -> int:
        builds.append(len(builds) + 1)
        return len(builds)
    return builds, build


def test_a_change_shows_once_the_version_ttl_has_passed_and_redis_is_read_once_per_ttl() -> None:
    clock, redis, units = Clock(), FakeRedis(), FakeUnits()
    cache = Cache(version_ttl=1.0, clock=clock)
    builds, build = counter()
    assert cache.get(units, redis, "k", build) == 1  # type: ignore[arg-type]
    for _ in range(50):
        assert cache.get(units, redis, "k", build) == 1  # type: ignore[arg-type]
    assert redis.gets == 1 and builds == [1]  # one round trip for 51 reads within the TTL
    redis.incr(RESULTS_VERSION_KEY)
    clock.now += 0.5
    assert cache.get(units, redis, "k", build) == 1  # type: ignore[arg-type]  # may be up to the TTL late
    clock.now += 0.5
    assert cache.get(units, redis, "k", build) == 2  # type: ignore[arg-type]  # not later
    assert redis.gets == 2
    clock.now += 5
    assert cache.get(units, redis, "k", build) == 2  # type: ignore[arg-type]  # no change: no rebuild
    assert redis.gets == 3 and builds == [1, 2]


def test_with_no_ttl_every_read_asks_redis_and_a_change_shows_at_once() -> None:
    clock, redis, units = Clock(), FakeRedis(), FakeUnits()
    cache = Cache(version_ttl=0, clock=clock)
    builds, build = counter()
    cache.get(units, redis, "k", build)  # type: ignore[arg-type]
    redis.incr(RESULTS_VERSION_KEY)
    assert cache.get(units, redis, "k", build) == 2  # type: ignore[arg-type]
    assert redis.gets == 2


def test_while_redis_is_down_every_read_is_built_fresh_and_nothing_stale_is_kept() -> None:
    clock, redis, units = Clock(), FakeRedis(), FakeUnits()
    cache = Cache(version_ttl=1.0, clock=clock)
    builds, build = counter()
    cache.get(units, redis, "k", build)  # type: ignore[arg-type]
    clock.now += 1
    redis.down = True
    assert [cache.get(units, redis, "k", build) for _ in range(3)] == [2, 3, 4]  # type: ignore[arg-type]
    redis.down = False
    redis.incr(RESULTS_VERSION_KEY)
    assert cache.get(units, redis, "k", build) == 5  # type: ignore[arg-type]  # back: the new version at once
    assert cache.get(units, redis, "k", build) == 5  # type: ignore[arg-type]


def test_forget_drops_the_values_and_the_version_read() -> None:
    clock, redis, units = Clock(), FakeRedis(), FakeUnits()
    cache = Cache(version_ttl=1.0, clock=clock)
    builds, build = counter()
    cache.get(units, redis, "k", build)  # type: ignore[arg-type]
    redis.incr(RESULTS_VERSION_KEY)
    cache.forget()
    assert cache.get(units, redis, "k", build) == 2  # type: ignore[arg-type]
    assert redis.gets == 2
