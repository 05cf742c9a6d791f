"""How every use case reaches the database: `Units` opens units of work, one per use case.

The convention, for every module under `services/`:

    def verb(units: Units, [narrow dependencies...,] *inputs) -> result

- `units` comes first. The use case opens its own transaction (`with units.begin() as uow:`) or
  read snapshot (`units.reading()`); web handlers and jobs call use cases and never open one.
- Other dependencies follow, named for what they are (`redis`, `sender`, `caller`, `calls`), so
  a signature says what a use case touches beyond the database.
- Inputs are plain values; the result is a value or a small dataclass; refusals are the module's
  own exceptions, with messages written for the person who will read them.

Helpers that run inside a caller's transaction (the `records` package) take the `UnitOfWork`
instead, or just its `session` when they only read and write rows.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ContextManager, Protocol, TypeVar

from sqlalchemy.orm import Session

from hotline.adapters.db import Database
from hotline.config import Config

T = TypeVar("T")


class Jobs(Protocol):
    """The work use cases hand to other processes (the RQ queues, in production)."""

    def inbound(self, inbound_id: int, chairs_lane: bool = True, phone: str | None = None,
                revive: bool = False, fresh: bool = False) -> bool: ...

    def send(self, outbound_id: int, priority: int, revive: bool = False, fresh: bool = False) -> bool: ...

    def throttled(self, phone: str) -> bool: ...

    def photo(self, photo_id: int, revive: bool = False, fresh: bool = False) -> bool: ...

    def results_changed(self) -> None: ...


class UnitOfWork:
    """One transaction: its session, the settings, and the jobs to queue once it has committed."""

    __slots__ = ("session", "config", "jobs", "_after")

    def __init__(self, session: Session, config: Config, jobs: Jobs, after: list[Callable[[], None]]) -> None:
        self.session, self.config, self.jobs, self._after = session, config, jobs, after

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run `fn` once the data is committed (a job must never find its row missing). The same
        call asked for twice runs once: several changes in one transaction (a report confirmed, a
        hold placed with it) each say the results changed; one notice covers them all."""
        if fn not in self._after:
            self._after.append(fn)


class Units:
    """Opens units of work on the database; holds the settings and a small per-process cache."""

    def __init__(self, db: Database, jobs: Jobs, config: Config) -> None:
        self.db, self.jobs, self.config = db, jobs, config
        self._cache: dict[str, tuple[float, object]] = {}

    @contextmanager
    def begin(self) -> Iterator[UnitOfWork]:
        """A transaction that commits on success and rolls back on error, then queues its jobs."""
        with self.db.transaction() as tx:
            yield UnitOfWork(tx.session, self.config, self.jobs, tx.after)

    def reading(self) -> ContextManager[Session]:
        """A read-only snapshot (on SQLite it waits for no writer)."""
        return self.db.reading()

    def cached(self, key: str, ttl: float, load: Callable[[], T]) -> T:
        """Data that changes rarely (the roster, candidates), kept in this process for `ttl` seconds."""
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit and now - hit[0] < ttl:
            return hit[1]  # type: ignore[return-value]
        value = load()
        self._cache[key] = (now, value)
        return value

    def forget(self, key: str) -> None:
        self._cache.pop(key, None)
