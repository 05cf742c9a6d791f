"""The composition root: config, database, Redis, queues and sender, built once per process."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from redis import Redis

from hotline.config import Config
from hotline.adapters.db import WORKER, Database
from hotline.adapters.queues import Queues, connect
from hotline.adapters.sending_rate import SendingRate
from hotline.adapters.twilio_sms import Sender, make_sender

T = TypeVar("T")


@dataclass
class Runtime:
    config: Config
    db: Database
    redis: Redis
    queues: Queues
    sender: Sender
    rate: SendingRate | None = None
    _cache: dict[str, tuple[float, object]] = field(default_factory=dict)

    def cached(self, key: str, ttl: float, load: Callable[[], T]) -> T:
        """A tiny per-process cache for data that changes rarely (the roster, candidates)."""
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit and now - hit[0] < ttl:
            return hit[1]  # type: ignore[return-value]
        value = load()
        self._cache[key] = (now, value)
        return value

    def forget(self, key: str) -> None:
        self._cache.pop(key, None)

    def close(self) -> None:
        """Release database connections and the Redis client (commands and tests call this)."""
        self.db.dispose()
        self.redis.close()


def build(config: Config, rank: int = WORKER) -> Runtime:
    """Wire the real adapters for `config` (which must name a Redis URL by now).

    `rank`: db.WEB for a web process, db.SENDER for a sender: whose writes go first (SQLite).
    """
    if not config.redis_url:
        raise RuntimeError("REDIS_URL is not set; `hotline run` starts an embedded Redis for local use")
    redis = connect(config.redis_url)
    rate = SendingRate(redis, config.sending_rate) if config.sending_rate else None
    return Runtime(config=config, db=Database(config.database_url, rank), redis=redis,
                   queues=Queues(redis), sender=make_sender(config), rate=rate)


_current: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    """Make `runtime` the one jobs in this process use (the worker and tests call this)."""
    global _current
    _current = runtime


def current() -> Runtime:
    """The installed runtime, or one built from the environment (a bare `rq worker`)."""
    global _current
    if _current is None:
        _current = build(Config.from_env().validate())
    return _current
