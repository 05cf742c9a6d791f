"""How verification-log appends per second grow with concurrent processes (issue 25).

Each process runs transactions shaped like a chair's text being handled: a log entry early
("sms_received"), the rest of the handling (a few reads and an insert, plus `--between-ms` standing
for the other round trips a text makes to a database on another host), a second entry ("code_sent"),
commit. Appends/s are counted over `--seconds` for 1, 2 and 4 processes, in one run, against a fresh
database each time. At the end the chain is verified (every entry once, in order, linked).

    python scripts/bench_log_append.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

Run it from another checkout to measure other code (PYTHONPATH=/that/checkout).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
import uuid

from sqlalchemy import create_engine, func, select, text

from hotline.adapters import migrate
from hotline.adapters.db import Database
from hotline.adapters.models import InboundMessage, LogEntry, Precinct, utcnow
from hotline.services.log import chain


def _fresh(admin_url: str) -> tuple[str, str]:
    name = f"bench_log_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    migrate.upgrade(url)
    return url, name


def _drop(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _worker(url: str, seconds: float, between: float, start: float, out: mp.Queue) -> None:
    db = Database(url)
    phone = f"+1515{os.getpid() % 10_000_000:07d}"
    done = 0
    while time.time() < start:
        time.sleep(0.001)
    end = start + seconds
    while time.time() < end:
        with db.transaction() as uow:
            s = uow.session
            chain.record(s, "sms_received", phone=phone, body="first: Warren 35")
            s.execute(select(Precinct.id).limit(1)).all()
            s.execute(select(func.count(InboundMessage.id)).where(InboundMessage.from_number == phone)).scalar()
            s.add(InboundMessage(sid=uuid.uuid4().hex, from_number=phone, body="x", received_at=utcnow(),
                                 channel="sms"))
            s.flush()
            if between:
                time.sleep(between)
            chain.record(s, "code_sent", phone=phone, stages=["first"])
        done += 2
    db.dispose()
    out.put(done)


def run(admin_url: str, processes: int, seconds: float, between: float) -> tuple[float, int]:
    url, name = _fresh(admin_url)
    try:
        out: mp.Queue = mp.Queue()
        start = time.time() + 1.0
        procs = [mp.Process(target=_worker, args=(url, seconds, between, start, out)) for _ in range(processes)]
        for p in procs:
            p.start()
        total = sum(out.get(timeout=seconds + 60) for _ in procs)
        for p in procs:
            p.join(timeout=30)
        db = Database(url)
        with db.reading() as s:
            broken = chain.verify(s)
            stored = s.scalar(select(func.count(LogEntry.id)))
        db.dispose()
        assert broken is None, broken
        assert stored == total, (stored, total)
        return total / seconds, total
    finally:
        _drop(admin_url, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--between-ms", type=float, default=2.0,
                    help="time between a text's first and last log entry spent on other round trips")
    ap.add_argument("--processes", default="1,2,4")
    args = ap.parse_args()
    t = time.perf_counter()
    n = 0
    for i in range(10_000_000):
        n += i
    print(f"machine: a 10-million-addition Python loop took {time.perf_counter() - t:.2f} s; {os.cpu_count()} cores")
    rates = {}
    for k in (int(x) for x in args.processes.split(",")):
        rate, total = run(args.database_url, k, args.seconds, args.between_ms / 1000)
        rates[k] = rate
        print(f"{k} process{'es' if k > 1 else ''}: {rate:7.0f} appends/s ({total} in {args.seconds:.0f} s; "
              f"chain verified) = {rate / rates[min(rates)]:.2f}x one process")


if __name__ == "__main__":
    main()
