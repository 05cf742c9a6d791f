"""Engine and transaction factory: SQLite file by default, PostgreSQL in production."""
from __future__ import annotations

import fcntl
import hashlib
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

# How long a SQLite writer waits for the lock: short enough that a webhook spools and still
# answers well inside Twilio's 15-second timeout when the database is stuck.
SQLITE_BUSY_MS = 5000


# A private database in memory, for unit tests of the use cases (one process, one connection).
MEMORY_URLS = ("sqlite://", "sqlite:///:memory:")

# Who goes first for SQLite's one write lock: web requests (Twilio times them), then senders
# (two one-row updates between a chair and a read-back), then everything else (processors'
# longer transactions, sweeps, commands).
WEB, SENDER, WORKER = 0, 1, 2


def make_engine(url: str, rank: int = WORKER, readonly: bool = False) -> Engine:
    """Build an engine; SQLite gets WAL, a busy timeout and write-locking transactions.

    `rank`: this process's place in the queue for the write lock (WEB, SENDER or WORKER).
    `readonly`: for reads only; on SQLite its transactions take no write lock.
    """
    if url in MEMORY_URLS:
        # One connection shared by every session: each new connection to :memory: would be a
        # new, empty database.
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA foreign_keys=ON"))
        return engine
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000,
                                                  "check_same_thread": False})
        _sqlite_pragmas(engine, Path(f"{path}.writelock") if path and path != ":memory:" else None,
                        rank, readonly)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class WriteQueue:
    """Writers to one SQLite file wait their turn on an flock instead of in SQLite's busy handler.

    SQLite's own handler sleeps in growing steps (up to 100 ms) and retries, so under steady
    writes a webhook can sleep through many free moments; a writer waiting here gets in as soon
    as the lock is free. Writers go by rank: while a web request or a sender waits it holds a
    shared lock on its rank's "waiting" file, and a writer only tries for the write lock when
    nobody of a higher rank (a lower number) holds theirs. The kernel drops every lock with its
    holder (kill -9 included).
    """

    def __init__(self, path: Path, rank: int = WORKER, timeout: float = SQLITE_BUSY_MS / 1000) -> None:
        self.path, self.rank, self.timeout = path, rank, timeout

    def open(self) -> tuple[int, ...]:
        """The write lock's descriptor, then the "waiting" files of the web's and the senders' ranks."""
        flags = os.O_RDWR | os.O_CREAT
        waiting = [f"{self.path}-waiting", f"{self.path}-waiting-senders"]
        return (os.open(self.path, flags, 0o600), *(os.open(w, flags, 0o600) for w in waiting))

    def acquire(self, fds: tuple[int, ...]) -> None:
        lock, waiting = fds[0], fds[1:]
        ahead, mine = waiting[:self.rank], waiting[self.rank] if self.rank < len(waiting) else None
        deadline = time.monotonic() + self.timeout
        if mine is not None:
            fcntl.flock(mine, fcntl.LOCK_SH)  # "one of us is waiting": lower ranks hold back
        try:
            pause = 0.0002
            while not (all(_nobody_waiting(w) for w in ahead) and _try(lock)):
                if time.monotonic() >= deadline:
                    raise OperationalError("BEGIN", {}, Exception("database is locked (write queue)"))
                time.sleep(pause)
                pause = min(pause * 2, 0.002)  # poll every 2 ms at most: prompt, and cheap
        finally:
            if mine is not None:
                fcntl.flock(mine, fcntl.LOCK_UN)

    @staticmethod
    def release(fds: tuple[int, ...] | None) -> None:
        if fds is not None:
            fcntl.flock(fds[0], fcntl.LOCK_UN)


def _try(fd: int, how: int = fcntl.LOCK_EX) -> bool:
    try:
        fcntl.flock(fd, how | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _nobody_waiting(fd: int) -> bool:
    if not _try(fd):
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


def _sqlite_pragmas(engine: Engine, lock_path: Path | None, rank: int, readonly: bool) -> None:
    queue = WriteQueue(lock_path, rank) if lock_path and not readonly else None

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
        if queue is not None:
            _record.info["write_fds"] = queue.open()

    @event.listens_for(engine, "close")
    def _close(dbapi_conn: Any, record: Any) -> None:
        for fd in record.info.pop("write_fds", ()):
            os.close(fd)  # closing a descriptor also drops a lock it held

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Take the write lock up front: a deferred transaction that reads and then
        # writes fails at once under WAL when another process wrote in between.
        if readonly:
            conn.exec_driver_sql("BEGIN")  # a WAL snapshot: never waits for writers, nor they for it
            return
        fds = conn.info.get("write_fds")
        if queue is not None and fds is not None:
            queue.acquire(fds)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            WriteQueue.release(fds)
            raise

    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        # Fired just before COMMIT, which is quick under WAL; the next writer's BEGIN waits for it.
        WriteQueue.release(conn.info.get("write_fds"))

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Any) -> None:
        WriteQueue.release(conn.info.get("write_fds"))


class Database:
    """Holds the engine and hands out units of work."""

    def __init__(self, url: str, rank: int = WORKER) -> None:
        self.url = url
        self.engine = make_engine(url, rank)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        on_disk = self.engine.dialect.name == "sqlite" and url not in MEMORY_URLS
        self.read_engine = make_engine(url, readonly=True) if on_disk else self.engine
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (rolled back at the end); on SQLite it waits for no writer."""
        session = self.read_sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

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
        self.read_engine.dispose()


@contextmanager
def one_transaction(url: str) -> Iterator["UnitOfWork"]:
    """A unit of work on a database that is closed afterwards (for CLI commands and scripts)."""
    db = Database(url)
    try:
        with db.transaction() as uow:
            yield uow
    finally:
        db.dispose()


def hold_for_transaction(session: Session, key: str) -> None:
    """Serialize transactions that name the same key until this one ends.

    SQLite needs nothing: every write transaction here holds the database's one write lock from
    its first statement. PostgreSQL takes a transaction-scoped advisory lock, released by the
    commit or rollback (or the connection dying), so no lock outlives its holder.
    """
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                        {"k": int.from_bytes(digest, "big", signed=True)})


class UnitOfWork:
    """A session plus callbacks (enqueues) that must only run once the data is committed."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.after: list[Callable[[], None]] = []

    def after_commit(self, fn: Callable[[], None]) -> None:
        self.after.append(fn)

    def run_after_commit(self) -> None:
        for fn in self.after:
            fn()
