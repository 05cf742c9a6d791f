"""Texts processed per second by N processor workers against RQ no-op jobs, outside the drill.

The drill's job-throughput phase, repeatable in ~20 s: a fresh SQLite file (or DATABASE_URL),
a fresh Redis, the demo roster, N STATUS texts stored and queued, then N worker processes
released at once; the same for no-op jobs with the same enqueue options. Developer aid.

    .venv/bin/python scripts/bench_jobs.py [--texts 600] [--workers 2] [--body STATUS]
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from redis import Redis
from rq import Worker
from rq.suspension import resume, suspend
from sqlalchemy import func, select

from hotline import demo, migrate
from hotline.config import Config
from hotline.drill.load import rq_noop_throughput
from hotline.embedded_redis import EmbeddedRedis
from hotline.models import InboundMessage
from hotline.runtime import build
from hotline.services import importing, inbox


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=600)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--body", default="STATUS")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
    with EmbeddedRedis(folder / "redis", persist=False) as redis_server:
        migrate.upgrade(url)
        rt = build(Config(env="testing", instance_path=folder, database_url=url, redis_url=redis_server.url,
                          secret_key="x" * 32, texts_per_hour_registered=10**6))
        data = demo.generate(600, 2020, counties=99)
        with rt.db.transaction() as uow:
            importing.import_candidates(uow.session, io.StringIO(demo.candidates_csv()), actor="bench")
            importing.import_roster(uow.session, io.StringIO(data.roster_csv), actor="bench")
        phones = [line.split(",")[5] for line in data.roster_csv.splitlines()[1:]]
        redis = Redis.from_url(redis_server.url)
        suspend(redis)
        for i in range(args.texts):
            phone = phones[i % len(phones)]
            stored = inbox.store(rt, "sms", f"SMbench{i}", {"From": [phone], "Body": [args.body]})
            rt.queues.inbound(stored.inbound_id, True, phone)
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_server.url,
               "HOTLINE_INSTANCE_PATH": str(folder), "HOTLINE_ENV": "drill"}
        procs = [subprocess.Popen([sys.executable, "-m", "workers.worker", "--role", "processor", "--no-sweep",
                                   "--name", f"bench-{k}"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(folder / f"worker-{k}.log", "wb")) for k in range(args.workers)]
        while len(Worker.all(connection=redis)) < args.workers:
            time.sleep(0.1)
        time.sleep(1.5)
        started = time.monotonic()
        resume(redis)
        while True:
            with rt.db.transaction() as uow:
                left = uow.session.scalar(select(func.count()).select_from(InboundMessage)
                                          .where(InboundMessage.processed_at.is_(None)))
            if not left:
                break
            time.sleep(0.02)
        ours = args.texts / (time.monotonic() - started)
        for p in procs:
            p.terminate()
            p.wait()
        noop = rq_noop_throughput(redis_server.url, 2000, args.workers)["per_second"]
        print(f"texts processed: {ours:.0f}/s; RQ no-op jobs: {noop:.0f}/s; ratio {ours / noop:.2f} "
              f"({args.workers} SimpleWorkers, {url.split(':')[0]})")


if __name__ == "__main__":
    main()
