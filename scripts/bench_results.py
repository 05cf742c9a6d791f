"""Requests per second on the cached public results with a few thousand precincts reported
(gunicorn, real Redis), against a static file served by the same gunicorn in the same run.

Measured one after another, each for SECONDS: /api/results, a 304 to /api/results with its ETag
(when it sends one), the /results page, and /static/hotline.css (the yardstick).

Usage: .venv/bin/python scripts/bench_results.py [PRECINCTS] [SECONDS]
"""
from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from hotline.services.ops import demo_roster as demo
from hotline.adapters import migrate
from hotline.adapters.db import Database
from hotline.domain.model import Stage
from hotline.adapters.embedded_redis import EmbeddedRedis, free_port
from hotline.adapters.models import Precinct, Report, Submission, utcnow
from hotline.services.ops import importing
from hotline.services.results import public as results
from hotline.domain.lifecycle import counts_fingerprint as fingerprint
from hotline.services.records.roster import load_candidates
from hotline_drill.simulation import caucus_night


def seed(db: Database, precincts: int) -> None:
    data = demo.generate(precincts, 7, counties=99)
    rng = random.Random(7)
    with db.transaction() as uow:
        s = uow.session
        importing.import_candidates(s, io.StringIO(demo.candidates_csv()))
        importing.import_roster(s, io.StringIO(data.roster_csv))
        importing.import_counties(s, io.StringIO(data.counties_csv))
        cands = load_candidates(s)
        for p in s.query(Precinct).all():
            night = caucus_night(rng, cands, p.delegates_to_elect or 5)
            sub = Submission(precinct_id=p.id, source="sms", sender="bench", status="confirmed",
                             attendance=night.attendance, confirmed_at=utcnow(), findings=[])
            s.add(sub)
            s.flush()
            for stage, counts in ((Stage.FIRST, night.first), (Stage.FINAL, night.final),
                                  (Stage.DELEGATES, night.delegates)):
                s.add(Report(submission_id=sub.id, precinct_id=p.id, stage=stage.value, counts=counts,
                             fingerprint=fingerprint(counts), status="current", recorded_at=utcnow()))


def main() -> None:
    precincts = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
    folder = Path(tempfile.mkdtemp(prefix="bench-results-"))
    url = f"sqlite:///{folder / 'r.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    seed(db, precincts)
    started = time.perf_counter()
    with db.transaction() as uow:
        summary = results.summary(uow.session)
    compute_ms = (time.perf_counter() - started) * 1000
    with EmbeddedRedis(folder / "redis", persist=False) as redis:
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis.url, "HOTLINE_INSTANCE_PATH": str(folder),
               "HOTLINE_PUBLIC_REQUESTS_PER_MINUTE": "100000000"}  # one address reads flat out
        web = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "3", "-b",
                                f"127.0.0.1:{port}", "--log-level", "warning", "hotline.app:create_app()"],
                               env=env, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}/api/results"
            for _ in range(100):
                try:
                    if requests.get(base, timeout=5).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.1)
            etag = requests.get(base, timeout=10).headers.get("ETag")
            targets = [("/api/results", base, {}, 200)]
            if etag:
                targets.append(("/api/results 304", base, {"If-None-Match": etag}, 304))
            targets += [("/results", f"http://127.0.0.1:{port}/results", {}, 200),
                        ("/static/hotline.css", f"http://127.0.0.1:{port}/static/hotline.css", {}, 200)]
            measured = [(name, measure(url, headers, status, seconds)) for name, url, headers, status in targets]
        finally:
            web.terminate()
            web.wait(timeout=10)
    print(f"{summary['precincts_reporting']} of {summary['precincts_total']} precincts reporting; "
          f"computing the results from the database: {compute_ms:.0f} ms (a cache miss)")
    print(f"3 gunicorn workers, 8 concurrent readers, {seconds:.0f} s each:")
    static_rate = measured[-1][1][0]
    for name, (rate, p50, p99, size) in measured:
        print(f"  {name:22} {rate:6.0f} requests/s  p50 {p50:5.1f} ms  p99 {p99:5.1f} ms  "
              f"{size:7d} bytes sent  {rate / static_rate:4.2f}x the static file")


def measure(url: str, headers: dict[str, str], status: int, seconds: float) -> tuple[float, float, float, int]:
    """Requests/s, p50 and p99 in ms and the body size, from 8 readers for `seconds`."""
    latencies: list[float] = []
    sizes: list[int] = []
    deadline = time.monotonic() + seconds

    def reader(_: int) -> None:
        http = requests.Session()
        while time.monotonic() < deadline:
            t = time.perf_counter()
            resp = http.get(url, headers=headers, timeout=10)
            if resp.status_code != status:
                raise RuntimeError(f"{url}: {resp.status_code}, expected {status}")
            latencies.append((time.perf_counter() - t) * 1000)
            sizes.append(int(resp.headers.get("Content-Length") or len(resp.content)))  # on the wire

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(reader, range(8)))
    latencies.sort()
    return (len(latencies) / seconds, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)],
            sizes[-1] if sizes else 0)


if __name__ == "__main__":
    main()
