"""Requests refused at the edge, counted in Redis: fixed-size structures, one round trip, no database.

A refused request (a forged or missing Twilio signature, a malformed webhook, a body too large,
a throttled sign-in or API call, a text over its phone's allowance) costs one script call here,
never a row: an attacker can make these as fast as they like, so nothing they send may grow
without bound. Per hour (kept 48 hours) and per minute (kept a few minutes, for the log's
once-a-minute summary):

- `hotline:refused:h:<hour>`       hash "path|reason" -> count
- `hotline:refused:h:<hour>:src`   sorted set of at most SOURCES_KEPT addresses -> count
- `hotline:refused:m:<minute>`, `hotline:refused:m:<minute>:src`   the same, per minute

The top sources are kept with the Space-Saving rule: when the set is full, a new address takes
the place of the one with the lowest count, inheriting its count plus one. A heavy source is
therefore never pushed out by many light ones, and its count is an upper bound.

When a per-source limit is given, `hotline:refused:rate:<minute>` (hash address -> count, kept
two minutes) counts the address's refusals this minute, and once it is over the limit the
request is counted as `throttled` (and the caller answers 429). IPv6 addresses are limited per
/64, the block one subscriber gets: rotating through it buys nothing, and the hash stays small.

Other throttles count here too, with `count(redis, path, reason, source)`; pass a route's rule
("/api/results/<code>"), not the raw path, so the fields stay few.
"""
from __future__ import annotations

import ipaddress
import logging
import threading
import time
from dataclasses import dataclass, field

from redis import Redis
from redis.commands.core import Script

logger = logging.getLogger(__name__)

PREFIX = "hotline:refused"
MISSING, FORGED, BAD_REQUEST, TOO_LARGE, THROTTLED = "missing", "forged", "bad-request", "too-large", "throttled"
REASONS = (MISSING, FORGED, BAD_REQUEST, TOO_LARGE, THROTTLED)
SOURCES_KEPT = 50
HOUR_TTL = 48 * 3600
MINUTE_TTL = 10 * 60
RATE_TTL = 120
PATH_MAX, REASON_MAX, SOURCE_MAX = 100, 32, 64

_SCRIPT = """
local path, reason, source = ARGV[1], ARGV[2], ARGV[3]
local limit, kept = tonumber(ARGV[4]), tonumber(ARGV[5])
local seen = 0
if limit > 0 then
  seen = redis.call('HINCRBY', KEYS[5], ARGV[9], 1)
  redis.call('EXPIRE', KEYS[5], tonumber(ARGV[8]))
  if seen > limit then reason = 'throttled' end
end
local field = path .. '|' .. reason
for i = 0, 1 do
  local counts, sources, ttl = KEYS[1 + 2 * i], KEYS[2 + 2 * i], tonumber(ARGV[6 + i])
  redis.call('HINCRBY', counts, field, 1)
  redis.call('EXPIRE', counts, ttl)
  if redis.call('ZSCORE', sources, source) or redis.call('ZCARD', sources) < kept then
    redis.call('ZINCRBY', sources, 1, source)
  else
    local low = redis.call('ZPOPMIN', sources)
    redis.call('ZADD', sources, tonumber(low[2]) + 1, source)
  end
  redis.call('EXPIRE', sources, ttl)
end
return {seen, reason}
"""


@dataclass(frozen=True)
class Counted:
    """One refusal as counted: its reason (the one given, or `throttled`), and how many refusals
    its source has had this minute (0 when no limit was given)."""

    reason: str
    this_minute: int = 0


@dataclass
class Tally:
    """Refusals in one period: counts by (path, reason), and the top sources, most first."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    sources: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def hour_of(now: float) -> int:
    return int(now // 3600)


def minute_of(now: float) -> int:
    return int(now // 60)


def _clean(value: str | None, most: int) -> str:
    text = (value or "unknown").replace("|", "/")
    return "".join(c if c.isprintable() and not c.isspace() else "?" for c in text[:most]) or "unknown"


def limited_as(source: str) -> str:
    """The key an address is limited under: itself, or its /64 for IPv6."""
    if ":" not in source:
        return source
    try:
        return str(ipaddress.ip_network(f"{source}/64", strict=False))
    except ValueError:
        return source


class _Quiet:
    """A warning at most once a minute per process: Redis down during a flood is one line, not 1,000."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last = 0.0
        self.missed = 0

    def warn(self, what: str, exc: Exception) -> None:
        now = time.monotonic()
        with self.lock:
            self.missed += 1
            if now - self.last < 60:
                return
            self.last, missed, self.missed = now, self.missed, 0
        logger.warning("refusals not counted (%d since the last warning): %s: %s", missed, what, exc)


_quiet = _Quiet()
_COUNT = Script(None, _SCRIPT.encode())  # type: ignore[arg-type]  # run with each caller's client


def refuse(redis: Redis, path: str, reason: str, source: str | None, *, limit: int = 0,
           now: float | None = None) -> Counted | None:
    """Count one refusal; with `limit`, beyond `limit` from `source` this minute it counts as
    `throttled`. One round trip. None when Redis could not be reached (logged, never raised)."""
    now = time.time() if now is None else now
    hour, minute = hour_of(now), minute_of(now)
    keys = [f"{PREFIX}:h:{hour}", f"{PREFIX}:h:{hour}:src", f"{PREFIX}:m:{minute}", f"{PREFIX}:m:{minute}:src",
            f"{PREFIX}:rate:{minute}"]
    source = _clean(source, SOURCE_MAX)
    args = [_clean(path, PATH_MAX), _clean(reason, REASON_MAX), source, max(0, limit),
            SOURCES_KEPT, HOUR_TTL, MINUTE_TTL, RATE_TTL, limited_as(source)]
    try:
        seen, counted = _COUNT(keys=keys, args=args, client=redis)
    except Exception as exc:  # noqa: BLE001 - counting must never turn a refusal into a 500
        _quiet.warn(f"{reason} on {path}", exc)
        return None
    return Counted(counted.decode() if isinstance(counted, bytes) else str(counted), int(seen))


def count(redis: Redis, path: str, reason: str, source: str | None, now: float | None = None) -> bool:
    """Count one refused request (no limit applied): for any throttle or refusal in the product.

    `path`: the route's rule, e.g. "/login"; `reason`: a short word, e.g. "throttled";
    `source`: the remote address (never a phone number). False when Redis was unreachable.
    """
    return refuse(redis, path, reason, source, now=now) is not None


def _tally(raw_counts: dict[bytes, bytes], raw_sources: list[tuple[bytes, float]]) -> Tally:
    counts: dict[tuple[str, str], int] = {}
    for key, value in raw_counts.items():
        path, _, reason = key.decode(errors="replace").rpartition("|")
        counts[(path, reason)] = int(value)
    return Tally(counts, [(m.decode(errors="replace"), int(score)) for m, score in raw_sources])


def minute(redis: Redis, minute_number: int, top: int = 5) -> Tally:
    """The refusals of one minute (`minute_of(time)`), with its `top` sources."""
    pipe = redis.pipeline(transaction=False)
    pipe.hgetall(f"{PREFIX}:m:{minute_number}")
    pipe.zrevrange(f"{PREFIX}:m:{minute_number}:src", 0, top - 1, withscores=True)
    counts, sources = pipe.execute()
    return _tally(counts, sources)


def hours(redis: Redis, now: float | None = None, how_many: int = 24,
          top: int = SOURCES_KEPT) -> list[tuple[int, Tally]]:
    """The last `how_many` hours (this one first) as (hour number, tally); one round trip."""
    current = hour_of(time.time() if now is None else now)
    numbers = [current - i for i in range(how_many)]
    pipe = redis.pipeline(transaction=False)
    for n in numbers:
        pipe.hgetall(f"{PREFIX}:h:{n}")
        pipe.zrevrange(f"{PREFIX}:h:{n}:src", 0, top - 1, withscores=True)
    raw = pipe.execute()
    return [(n, _tally(raw[2 * i], raw[2 * i + 1])) for i, n in enumerate(numbers)]


def claim_minute(redis: Redis, minute_number: int) -> bool:
    """True once per minute across all processes: whoever gets it writes that minute's summary."""
    return bool(redis.set(f"{PREFIX}:m:{minute_number}:logged", "1", nx=True, ex=MINUTE_TTL))


def release_minute(redis: Redis, minute_number: int) -> None:
    """Give the minute back (its summary could not be written; the next run tries again)."""
    redis.delete(f"{PREFIX}:m:{minute_number}:logged")
