"""Engine and transaction factory: SQLite file by default, PostgreSQL in production."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


# How long a SQLite writer waits for the lock: short enough that a webhook spools and still
# answers well inside Twilio's 15-second timeout when the database is stuck.
SQLITE_BUSY_MS = 5000


def make_engine(url: str) -> Engine:
    """Build an engine; SQLite gets WAL, a busy timeout and write-locking transactions."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000,
                                                  "check_same_thread": False})
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own BEGIN handling is turned off so ours (IMMEDIATE) is used.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        # A commit that crosses the checkpoint threshold copies the WAL back into the database
        # file itself, which stalls that request (often a webhook). The sweeper checkpoints in
        # the background instead; this much larger threshold is only the safety net.
        cur.execute("PRAGMA wal_autocheckpoint=20000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Take the write lock up front: a deferred transaction that reads and then
        # writes fails at once under WAL when another process wrote in between.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Holds the engine and hands out units of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator["UnitOfWork"]:
        """A session that commits on success, rolls back on error, then runs after-commit hooks."""
        uow = UnitOfWork(self.sessions())
        try:
            yield uow
            uow.session.commit()
        except BaseException:
            uow.session.rollback()
            raise
        finally:
            uow.session.info.clear()
            uow.session.close()
        uow.run_after_commit()

    def checkpoint(self) -> None:
        """Copy the SQLite WAL into the database file without blocking anyone (no-op elsewhere)."""
        if self.engine.dialect.name == "sqlite":
            raw = self.engine.raw_connection()  # autocommit: no BEGIN IMMEDIATE, no write lock
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                raw.close()

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def one_transaction(url: str) -> Iterator["UnitOfWork"]:
    """A unit of work on a database that is closed afterwards (for CLI commands and scripts)."""
    db = Database(url)
    try:
        with db.transaction() as uow:
            yield uow
    finally:
        db.dispose()


class UnitOfWork:
    """A session plus callbacks (enqueues) that must only run once the data is committed."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._after: list[Callable[[], None]] = []

    def after_commit(self, fn: Callable[[], None]) -> None:
        self._after.append(fn)

    def run_after_commit(self) -> None:
        for fn in self._after:
            fn()
