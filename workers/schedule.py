"""The duty scheduler each worker runs in a thread: it queues every duty once per slot.

Every worker runs one, so the duties outlive any worker; a duty's job id names its slot, so
however many workers ask, RQ queues each slot's run once. The spool is the exception: it lives on
this host's disk (the web process writes it when the database is down), so this host's workers
flush it themselves.
"""
from __future__ import annotations

import logging
import threading
import time

from redis.exceptions import RedisError

from hotline.config import Config
from hotline.services.ops import recovery
from workers.context import JobRuntime
from workers.duties import DUTIES

logger = logging.getLogger(__name__)


def run(rt: JobRuntime, stop: threading.Event) -> None:
    """Queue each due duty, flush this host's spool, until `stop` is set."""
    last: dict[str, int] = {}
    config: Config = rt.units.config
    interval = config.sweep_interval_seconds
    tick = max(0.05, min(1.0, interval / 5))
    next_spool = 0.0
    redis_down = False
    while not stop.wait(tick):
        now = time.time()
        try:
            for duty in DUTIES:
                every = duty.every(config)
                slot = int(now // every)
                if last.get(duty.name) != slot:
                    rt.queues.duty(duty.name, slot, ttl=max(2, int(every * 2)))
                    last[duty.name] = slot
        except RedisError as exc:  # tried again next tick; one line, not one per duty
            if not redis_down:
                logger.warning("duties not queued while Redis is unreachable: %s", exc)
            redis_down = True
        else:
            if redis_down:
                logger.info("Redis is back: duties are queued again")
            redis_down = False
        if now >= next_spool:
            next_spool = now + interval
            try:
                recovery.flush_spool(rt.units)
            except Exception:  # noqa: BLE001 - the database may still be down: try next time
                logger.exception("could not flush the spool")
