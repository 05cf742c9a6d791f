"""CPU and SQL per chair's report, YES and STATUS, in-process, against a copy of a drill's database.

A processor holds SQLite's write lock for nearly all of a text's handling, so this is the cost
that decides how long webhooks wait at the chairs' peak. Developer aid, not part of the suite:

    .venv/bin/python scripts/bench_texts.py /tmp/hotline-drill-XXXX [--texts 600] [--sql] [--profile report|yes|status]

It copies the drill's `drill.sqlite3` (migrating the copy), sends each of up to `--texts` chairs'
phones one of its earlier reports again, answers each read-back with YES and its code, then sends
STATUS from each phone (what the drill's job rounds send).
`--sql` adds the time SQLite spent per statement; `--profile` a cProfile of one phase.
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import io
import pstats
import re
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from hotline.adapters import migrate
from hotline.config import Config
from hotline.adapters.embedded_redis import EmbeddedRedis
from hotline.runtime import Runtime, build
from workers.context import install
from hotline.services.sms import process as inbound, inbox


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("drill_folder", type=Path)
    ap.add_argument("--texts", type=int, default=600)
    ap.add_argument("--sql", action="store_true")
    ap.add_argument("--profile", choices=("report", "yes", "status"))
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-texts-"))
    db_file = folder / "copy.sqlite3"
    shutil.copy(args.drill_folder / "drill.sqlite3", db_file)
    url = f"sqlite:///{db_file}"
    migrate.upgrade(url)
    with sqlite3.connect(db_file) as con:  # one earlier report per phone: no two wait on one phone
        reports = con.execute(
            "SELECT from_number, body FROM inbound_messages WHERE channel = 'sms' AND outcome = 'readback' "
            "AND from_number IN (SELECT phone FROM chair_phones) GROUP BY from_number ORDER BY id LIMIT ?",
            (args.texts,)).fetchall()
    with EmbeddedRedis(folder / "redis", persist=False) as redis:
        rt = build(Config(env="test", instance_path=folder, database_url=url, redis_url=redis.url,
                          secret_key="x" * 32, texts_per_hour_registered=10**6))
        install(rt)
        sql = _sql_timer(rt) if args.sql else None
        _phase(rt, "report", reports, args.profile == "report", sql)
        with sqlite3.connect(db_file) as con:
            readbacks = con.execute(
                "SELECT to_number, body FROM outbound_messages WHERE kind = 'readback' AND inbound_id IN "
                "(SELECT id FROM inbound_messages WHERE sid LIKE 'SMbench-report-%')").fetchall()
        yes = [(phone, "YES " + m.group(1)) for phone, body in readbacks if (m := re.search(r"YES (\d+)", body))]
        _phase(rt, "yes", yes, args.profile == "yes", sql)
        with sqlite3.connect(db_file) as con:
            outcomes = dict(con.execute("SELECT outcome, count(*) FROM inbound_messages "
                                        "WHERE sid LIKE 'SMbench-yes-%' GROUP BY outcome").fetchall())
        print(f"YES outcomes: {outcomes}")
        # The drill's job rounds: one STATUS text per chair's phone.
        _phase(rt, "status", [(phone, "STATUS") for phone, _ in reports], args.profile == "status", sql)


def _phase(rt: Runtime, label: str, texts: list[tuple[str, str]], profile: bool,
           sql: "collections.Counter[str] | None") -> None:
    ids = [(inbox.store(rt.units, "sms", f"SMbench-{label}-{i}", {"From": [phone], "Body": [body]}).inbound_id, phone)
           for i, (phone, body) in enumerate(texts)]
    if sql is not None:
        sql.clear()
    prof = cProfile.Profile()
    if profile:
        prof.enable()
    wall, cpu = time.perf_counter(), time.process_time()
    for inbound_id, phone in ids:
        inbound.handle_texts(rt.units, rt.redis, inbound_id, phone)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    prof.disable()
    n = max(len(ids), 1)
    print(f"{label}: {len(ids)} texts, {wall * 1000 / n:.2f} ms each, {cpu * 1000 / n:.2f} ms of CPU")
    if sql is not None:
        for stmt, seconds in sql.most_common(12):
            print(f"   {seconds * 1000 / n:6.3f} ms/text in SQLite  {stmt}")
        print(f"   {sum(sql.values()) * 1000 / n:6.3f} ms/text in SQLite, all statements")
    if profile:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats("hotline/", 40)
        print(out.getvalue())


def _sql_timer(rt: Runtime) -> "collections.Counter[str]":
    """Seconds spent per statement (first 70 characters), filled in as statements run."""
    spent: collections.Counter[str] = collections.Counter()

    def before(conn: Any, _cursor: Any, _stmt: str, *_args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, stmt: str, *_args: Any) -> None:
        spent[" ".join(stmt.split())[:70]] += time.perf_counter() - conn.info.pop("bench_started")

    event.listen(rt.db.engine, "before_cursor_execute", before)
    event.listen(rt.db.engine, "after_cursor_execute", after)
    return spent


if __name__ == "__main__":
    main()
