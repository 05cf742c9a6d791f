"""Texts handled per second by N processor workers against RQ no-op jobs, outside the drill.

The drill's job-throughput comparison, repeatable in ~30 s: a fresh SQLite file (or
DATABASE_URL), a fresh Redis, the demo roster, then alternating rounds of no-op jobs and STATUS
texts (stored and queued as the webhook does) through N workers of each kind, started once.
Developer aid.

    .venv/bin/python scripts/bench_jobs.py [--texts 500] [--workers 2] [--rounds 3] [--body STATUS]
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from redis import Redis

from hotline.services.ops import demo_roster as demo
from hotline.adapters import migrate
from hotline.config import Config
from hotline_drill import ceilings
from hotline.adapters.embedded_redis import EmbeddedRedis
from hotline.runtime import build
from hotline.services.ops import importing
from hotline.services.sms import inbox


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=500, help="texts per round (no-op jobs: twice as many)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--body", default="STATUS")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
    with EmbeddedRedis(folder / "redis", persist=False) as redis_server:
        migrate.upgrade(url)
        rt = build(Config(env="test", instance_path=folder, database_url=url, redis_url=redis_server.url,
                          secret_key="x" * 32, texts_per_hour_registered=10**6))
        data = demo.generate(600, 2020, counties=99)
        with rt.db.transaction() as uow:
            importing.import_candidates(uow.session, io.StringIO(demo.candidates_csv()), actor="bench")
            importing.import_roster(uow.session, io.StringIO(data.roster_csv), actor="bench")
        phones = [line.split(",")[5] for line in data.roster_csv.splitlines()[1:]]
        redis = Redis.from_url(redis_server.url)
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_server.url,
               "HOTLINE_INSTANCE_PATH": str(folder), "HOTLINE_ENV": "drill"}
        ours = [["-m", "workers.worker", "--role", "processor", "--no-sweep", "--name", f"bench-{k}"]
                for k in range(args.workers)]
        noop = [["-m", "hotline_drill.noop", redis_server.url, f"bench-noop-{k}"] for k in range(args.workers)]
        procs = [subprocess.Popen([sys.executable, *a], env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(folder / f"worker-{k}.log", "wb")) for k, a in enumerate(ours + noop)]
        ceilings.wait_workers(redis, 2 * args.workers)
        sent = iter(range(10**9))

        def texts() -> None:
            for _ in range(args.texts):
                i = next(sent)
                phone = phones[i % len(phones)]
                stored = inbox.store(rt.units, "sms", f"SMbench{i}", {"From": [phone], "Body": [args.body]})
                rt.queues.inbound(stored.inbound_id, True, phone)

        result = ceilings.paired(args.rounds, lambda: ceilings.noop_jobs(redis, 2 * args.texts),
                                 lambda: ceilings.our_jobs(redis, rt.db, texts))
        for p in procs:
            p.terminate()
            p.wait()
        for p in result["rounds"]:
            print(f"  round: ours {p['ours']}, no-op {p['noop']}, ratio {p['ratio']}")
        print(f"texts handled: {result['ours_per_second']:.0f}/s; RQ no-op jobs: {result['noop_per_second']:.0f}/s; "
              f"median ratio {result['ratio']} ({args.workers} SimpleWorkers each, {url.split(':')[0]})")


if __name__ == "__main__":
    main()
