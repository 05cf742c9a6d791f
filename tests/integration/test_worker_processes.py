"""Real worker processes on one Redis and one database (SQLite, and PostgreSQL when it answers):
several workers share chairs' texts and handle each once and in order, their log appends make one
intact chain, and a worker killed with SIGKILL in the middle of a text loses nothing."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from hotline.adapters.models import InboundMessage, LogEntry, OutboundMessage, ResultChange
from hotline.adapters.queues import ALIVE_PREFIX
from hotline.runtime import Runtime
from hotline.services.log import chain
from hotline.services.ops import recovery
from tests.support.chairs import Phone, load_roster

pytestmark = pytest.mark.timeout(120)

CHAIRS = {"+15155550142": ("first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30",
                           "final: Pete 55, Bernie 48, Warren 32", "delegates: Pete 3, Bernie 2, Warren 2"),
          "+15155550107": ("first: Pete 30, Bernie 25, Warren 10", "final: Pete 33, Bernie 27, Warren 0",
                           "delegates: Pete 2, Bernie 1"),
          "+13195550105": ("first: Pete 30, Bernie 40, Warren 20, Biden 5", "final: Pete 33, Bernie 42, Warren 20",
                           "delegates: Pete 1, Bernie 2, Warren 1")}


def _env(rt: Runtime, folder: Path) -> dict[str, str]:
    return {**os.environ, "REDIS_URL": rt.config.redis_url, "DATABASE_URL": rt.config.database_url,
            "HOTLINE_INSTANCE_PATH": str(folder), "HOTLINE_ENV": "development",
            "TWILIO_AUTH_TOKEN": rt.config.twilio_auth_token or "", "PUBLIC_BASE_URL": rt.config.public_base_url or "",
            "HOTLINE_SWEEP_INTERVAL_SECONDS": "0.5"}


@contextmanager
def workers(rt: Runtime, folder: Path, names: list[str]) -> Iterator[dict[str, subprocess.Popen]]:
    """Worker processes (`python -m workers.worker`), stopped (or killed) at the end."""
    procs = {name: subprocess.Popen([sys.executable, "-m", "workers.worker", "--name", name],
                                    env=_env(rt, folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True) for name in names}
    try:
        deadline = time.monotonic() + 30
        while not all(rt.redis.exists(ALIVE_PREFIX + name) for name in names):
            assert time.monotonic() < deadline, "the workers never started"
            assert all(p.poll() is None for p in procs.values()), "a worker exited at start"
            time.sleep(0.1)
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def handled(rt: Runtime, count: int, timeout: float = 60) -> None:
    """Wait until `count` inbound texts have an outcome."""
    deadline = time.monotonic() + timeout
    while True:
        with rt.db.reading() as s:
            done = s.scalar(select(func.count()).select_from(InboundMessage)
                            .where(InboundMessage.outcome.is_not(None)))
        if done >= count:
            return
        assert time.monotonic() < deadline, f"only {done} of {count} texts were handled"
        time.sleep(0.2)


def test_several_workers_handle_each_chairs_texts_once_and_in_order_and_keep_one_chain(client, rt, tmp_path):
    load_roster(rt)
    phones = {number: Phone(client, rt, number) for number in CHAIRS}
    with workers(rt, tmp_path, ["w1", "w2", "w3"]):
        # Every chair sends all three stages at once, interleaved with the others.
        for stage in range(3):
            for number, texts in CHAIRS.items():
                assert phones[number].send(texts[stage], process=False) == 200
        handled(rt, 9)
        with rt.db.reading() as s:
            codes = {number: [m.body for m in s.scalars(select(OutboundMessage).where(
                OutboundMessage.to_number == number).order_by(OutboundMessage.id))] for number in CHAIRS}
        for number, bodies in codes.items():
            assert len(bodies) == 3 and all("read-back" in b for b in bodies), bodies
        for number, phone in phones.items():  # the chairs confirm every read-back
            for body in codes[number]:
                phone.send(f"YES {body.split('YES ')[1].split()[0]}", process=False)
        handled(rt, 18)

    with rt.db.reading() as s:
        received = s.execute(select(LogEntry.phone, LogEntry.detail).where(LogEntry.kind == "sms_received")
                             .order_by(LogEntry.seq)).all()
        by_phone: dict[str, list[str]] = defaultdict(list)
        for phone, detail in received:
            by_phone[phone].append(detail["sid"])
        sids = dict(s.execute(select(InboundMessage.sid, InboundMessage.from_number)).all())
        order = {number: [sid for sid, _ in sorted(
            ((m.sid, m.id) for m in s.scalars(select(InboundMessage).where(InboundMessage.from_number == number))),
            key=lambda pair: pair[1])] for number in CHAIRS}
        assert Counter(sid for sids_ in by_phone.values() for sid in sids_) == Counter(sids.keys())  # each once
        for number in CHAIRS:
            assert by_phone[number] == order[number]  # in the order each phone sent them
        confirmed = s.scalars(select(LogEntry.precinct_code).where(LogEntry.kind == "report_confirmed")).all()
        assert Counter(confirmed) == {"DSM-42": 3, "DSM-7": 3, "IC-5": 3}
        sequences = s.scalars(select(ResultChange.sequence).order_by(ResultChange.sequence)).all()
        assert sequences == list(range(1, len(sequences) + 1)) and len(sequences) == 3  # no gaps
        assert chain.verify(s) is None  # three processes' appends make one intact chain


@contextmanager
def database_write_lock(url: str) -> Iterator[None]:
    """Hold the database's write lock (SQLite) or the log head's row lock (PostgreSQL): a worker
    handling a text waits on it."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1], timeout=1, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT seq FROM log_head WHERE id = 1 FOR UPDATE"))
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


def test_a_worker_killed_in_the_middle_of_a_text_loses_nothing(client, rt, tmp_path):
    load_roster(rt)
    chair = Phone(client, rt, "+15155550142")
    chair.send("status", process=False)
    with workers(rt, tmp_path, ["first"]):
        handled(rt, 1)  # the log head and the chair's first answer exist
    chair.send(CHAIRS["+15155550142"][0], process=False)  # stored and queued; no worker is running
    with rt.db.reading() as s:
        job = f"in-{s.scalar(select(func.max(InboundMessage.id)))}"
    with database_write_lock(rt.config.database_url), workers(rt, tmp_path, ["doomed"]) as procs:
        deadline = time.monotonic() + 20
        while rt.redis.hget("rq:worker:doomed", "current_job") != job.encode():
            assert time.monotonic() < deadline, "the worker never took the text"
            time.sleep(0.05)
        time.sleep(0.3)  # inside the job, waiting on the lock
        os.killpg(procs["doomed"].pid, signal.SIGKILL)
        procs["doomed"].wait(timeout=10)
    # Its alive key would run out by itself (a TTL of seconds, renewed by a living worker only); the
    # test lets that time pass at once. The sweeper then queues the text again for a new worker.
    ttl = rt.redis.ttl(ALIVE_PREFIX + "doomed")
    assert ttl == -2 or 0 < ttl <= 15, "a dead worker's alive key must expire by itself"
    rt.redis.delete(ALIVE_PREFIX + "doomed")
    assert recovery.requeue_texts(rt.units, rt.queues.waiting_ids(), stale_seconds=0) == 1
    with workers(rt, tmp_path, ["heir"]):
        handled(rt, 2)
    with rt.db.reading() as s:
        row = s.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()
        assert row.outcome == "readback"
        received = s.scalars(select(LogEntry.detail).where(LogEntry.kind == "sms_received")).all()
        assert [d["sid"] for d in received].count(row.sid) == 1  # handled once, by the heir
        readbacks = s.scalars(select(OutboundMessage.body).where(OutboundMessage.to_number == "+15155550142",
                                                                 OutboundMessage.kind == "readback")).all()
        assert len(readbacks) == 1
        assert chain.verify(s) is None
