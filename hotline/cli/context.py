"""What every command starts from: the checked configuration, and units of work on its database."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hotline.adapters.db import Database
from hotline.config import Config
from hotline.services.units import Units


def config() -> Config:
    """The environment's configuration, refused when unsafe (as the app factory does)."""
    return Config.from_env().validate()


class LaterJobs:
    """Jobs for a command run without Redis: nothing is queued now. A text a command writes to
    the outbox is sent once a worker runs (its recovery duty queues rows that have no job)."""

    def inbound(self, inbound_id: int, chairs_lane: bool = True, phone: str | None = None,
                revive: bool = False, fresh: bool = False) -> bool:
        return False

    def send(self, outbound_id: int, priority: int, revive: bool = False, fresh: bool = False) -> bool:
        return False

    def throttled(self, phone: str) -> bool:
        return False

    def photo(self, photo_id: int, revive: bool = False, fresh: bool = False) -> bool:
        return False

    def results_changed(self) -> None:
        """The web processes' caches notice at their next change (or restart)."""


@contextmanager
def units(cfg: Config | None = None) -> Iterator[Units]:
    """Units on the configured database for one command: the real queues when REDIS_URL is set."""
    cfg = cfg or config()
    if cfg.redis_url:
        from hotline.runtime import build  # the composition root; only when there is a Redis to use
        rt = build(cfg)
        try:
            yield rt.units
        finally:
            rt.close()
        return
    db = Database(cfg.database_url)
    try:
        yield Units(db, LaterJobs(), cfg)
    finally:
        db.dispose()
