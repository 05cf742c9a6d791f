"""A token bucket in Redis, shared by every worker, that keeps each sending number at its rate."""
from __future__ import annotations

import random
import time

from redis import Redis

from hotline.adapters import metrics
from hotline.domain.segments import segments  # noqa: F401  (what a send costs; the sender imports it here)

# Tokens refill continuously at `rate` per second up to `burst`. A message of several segments
# may take the bucket into debt, so the long-run rate holds without starving long texts.
# Redis's own clock is used, so workers on different hosts agree.
_SCRIPT = """
local key, rate, burst, cost = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
local wait = 0
if tokens >= math.min(cost, burst) then
  tokens = tokens - cost
else
  wait = math.ceil((math.min(cost, burst) - tokens) * 1000 / rate)
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', key, 3600000)
return wait
"""

# The same bucket over several numbers in one round trip: the first with tokens pays and its
# position (1-based) comes back, else 0 and the shortest wait. Senders wake whenever any number
# may be free; one call per wake-up, not one per number (50 numbers, 50 round trips).
_SCRIPT_ANY = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local need = math.min(cost, burst)
local shortest = -1
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1]) or burst
  local ts = tonumber(state[2]) or now
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  if tokens >= need then
    redis.call('HSET', key, 'tokens', tostring(tokens - cost), 'ts', now)
    redis.call('PEXPIRE', key, 3600000)
    return {i, 0}
  end
  local wait = math.ceil((need - tokens) * 1000 / rate)
  if shortest < 0 or wait < shortest then shortest = wait end
end
return {0, shortest}
"""


class SendingRate:
    """Blocks a sender until its number may send again; one bucket per sending number."""

    def __init__(self, redis: Redis, rate_per_second: float, burst: float | None = None) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self.redis, self.rate = redis, rate_per_second
        self.burst = burst if burst is not None else max(1.0, rate_per_second)
        self._script = redis.register_script(_SCRIPT)
        self._script_any = redis.register_script(_SCRIPT_ANY)

    def try_acquire(self, sender: str, cost: int = 1) -> float:
        """Take `cost` tokens if possible; returns 0, or the seconds to wait before trying again."""
        wait_ms = self._script(keys=[f"hotline:rate:{sender}"], args=[self.rate, self.burst, cost])
        return int(wait_ms) / 1000.0

    def acquire(self, sender: str, cost: int = 1, timeout: float = 50.0) -> float:
        """Wait until the tokens are taken; returns the seconds waited (raises TimeoutError)."""
        started = time.monotonic()
        self.acquire_any([sender], cost, timeout)
        return time.monotonic() - started

    def acquire_any(self, senders: list[str], cost: int = 1, timeout: float = 50.0) -> str:
        """Take tokens from the first of `senders` that has them, waiting as little as possible."""
        started = time.monotonic()
        offset = random.randrange(len(senders))  # workers start at different numbers
        order = senders[offset:] + senders[:offset]
        keys = [f"hotline:rate:{sender}" for sender in order]
        while True:
            position, wait_ms = self._script_any(keys=keys, args=[self.rate, self.burst, cost])
            if int(position):
                metrics.send_slot(order[int(position) - 1], time.monotonic() - started)
                return order[int(position) - 1]
            shortest = int(wait_ms) / 1000.0
            if time.monotonic() - started + shortest > timeout:
                raise TimeoutError(f"no sending number free within {timeout}s")
            time.sleep(shortest)
