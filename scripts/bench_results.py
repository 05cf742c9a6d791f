"""Requests per second on the cached public results with a few thousand precincts reported
(gunicorn, real Redis), against static files served by the same gunicorn in the same run.

The answers measured: /api/results (plain and gzipped), its 304 to If-None-Match, the /results
page (plain and gzipped), the 304 of /results/live, a public precinct page when the app has one,
and two yardsticks served by the same gunicorn from its static folder: /static/hotline.css and
a static file as large as the plain /api/results answer (written into a temporary copy of the
static folder that the bench's gunicorn serves; Flask sends static files without gzip, whatever
the reader accepts).

Drift: the URLs are measured in rounds (A B C ... A B C ...), SLICE seconds each, so a machine
that speeds up or slows down during the run hits them all alike; the ratios come from one run.
The load comes from one asyncio process on raw sockets (a connection per request: gunicorn's sync
workers close each one), far cheaper per request than the server, so the ratios judge the server;
the client's CPU share is printed. The machine's speed (a 10-million-addition Python loop) is
printed before and after.

Readers come from many addresses (127.1.x.y, --addresses), as the night's readers do: each one
has its own count for the per-address limit (raised here so that none is refused).

Usage: .venv/bin/python scripts/bench_results.py [PRECINCTS] [SECONDS] [--readers N] [--slice S]
           [--addresses N] [--workers N]
  SECONDS: per URL in total (default 10).
"""
from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
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



STATIC = Path(__file__).resolve().parents[1] / "hotline" / "static"
SAME_SIZE = "bench-same-size.json"  # as large as the plain /api/results answer
PAGE_SIZE = "bench-page-size.html"  # as large as the plain /results page


def bench_app():  # type: ignore[no-untyped-def]
    """The app as `hotline.app:create_app()` makes it, serving its static files from the bench's
    copy of the static folder (BENCH_STATIC_FOLDER): the same view, two more files in it.

    BENCH_BEFORE=1 (--before): the public answers' per-request work as it was before the
    version TTL and the batched limit: the results version read from Redis on every request, and
    Flask-Limiter's own check of the shared public limit (one Redis round trip each)."""
    from hotline.app import create_app

    app = create_app()
    app.static_folder = os.environ["BENCH_STATIC_FOLDER"]
    if os.environ.get("BENCH_BEFORE"):
        from hotline.web import limits, pages, public

        results._cache.version_ttl = 0
        limiter = app.extensions["hotline_limiter"]
        for bp in (pages.bp, public.bp):
            limiter.shared_limit(limits._public_limit, scope=limits.PUBLIC_SCOPE)(bp)
        limits._PublicLimit.__call__ = lambda self: limiter._check_request_limit()  # type: ignore[method-assign]
    return app


def machine_speed() -> float:
    """Seconds for a 10-million-addition Python loop (the machine's speed drifts; this names it)."""
    t, s = time.perf_counter(), 0
    for i in range(10_000_000):
        s += i
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("precincts", nargs="?", type=int, default=3000)
    parser.add_argument("seconds", nargs="?", type=float, default=10)
    parser.add_argument("--readers", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--slice", type=float, default=1.0, help="seconds per URL per round (default 1)")
    parser.add_argument("--addresses", type=int, default=1000,
                        help="client addresses (127.1.x.y) the connections come from in turn (default 1000; "
                             "1: all from 127.0.0.1)")
    parser.add_argument("--before", action="store_true",
                        help="the public answers' per-request work as before the version TTL and the batched limit")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    args = parser.parse_args()
    speed_before = machine_speed()
    folder = Path(tempfile.mkdtemp(prefix="bench-results-"))
    url = f"sqlite:///{folder / 'r.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    seed(db, args.precincts)
    started = time.perf_counter()
    with db.transaction() as uow:
        summary = results.summary(uow.session)
        code = uow.session.query(Precinct.code).order_by(Precinct.code).first()[0]
    compute_ms = (time.perf_counter() - started) * 1000
    static = folder / "static"
    shutil.copytree(STATIC, static)
    with EmbeddedRedis(folder / "redis", persist=False) as redis:
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis.url, "HOTLINE_INSTANCE_PATH": str(folder),
               "BENCH_STATIC_FOLDER": str(static), "BENCH_BEFORE": "1" if args.before else "",
               "HOTLINE_PUBLIC_REQUESTS_PER_MINUTE": "100000000"}  # one address reads flat out
        web = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", str(args.workers),
                                "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                                "--pythonpath", str(Path(__file__).resolve().parent), "bench_results:bench_app()"],
                               env=env, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    if requests.get(base + "/api/results", timeout=5).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.1)
            api = requests.get(base + "/api/results", headers={"Accept-Encoding": "identity"}, timeout=10)
            live = requests.get(base + "/results/live", timeout=10)
            page = requests.get(base + "/results", headers={"Accept-Encoding": "identity"}, timeout=10)
            (static / SAME_SIZE).write_bytes(b"x" * len(api.content))
            (static / PAGE_SIZE).write_bytes(b"x" * len(page.content))
            gz = {"Accept-Encoding": "gzip"}
            targets = [("/static/hotline.css", "/static/hotline.css", {}, 200),
                       (f"/static/ same size ({len(api.content)} B)", f"/static/{SAME_SIZE}", {}, 200),
                       (f"/static/ page size ({len(page.content)} B)", f"/static/{PAGE_SIZE}", {}, 200),
                       ("/api/results", "/api/results", {}, 200),
                       ("/api/results gzip", "/api/results", gz, 200)]
            if api.headers.get("ETag"):
                targets.append(("/api/results 304", "/api/results", {"If-None-Match": api.headers["ETag"]}, 304))
            targets += [("/results", "/results", {}, 200), ("/results gzip", "/results", gz, 200)]
            if live.headers.get("ETag"):
                targets.append(("/results/live 304", "/results/live", {"If-None-Match": live.headers["ETag"]}, 304))
            for path in (f"/results/precincts/{code}", f"/api/results/precincts/{code}"):
                if requests.get(base + path, timeout=10).status_code == 200:
                    targets += [(path, path, {}, 200), (path + " gzip", path, gz, 200)]
            cpu = time.process_time()
            wall = time.perf_counter()
            measured = asyncio.run(rounds(port, targets, args.seconds, args.slice, args.readers, args.addresses))
            client_share = (time.process_time() - cpu) / (time.perf_counter() - wall)
        finally:
            web.terminate()
            web.wait(timeout=10)
    speed_after = machine_speed()
    shutil.rmtree(folder, ignore_errors=True)
    print(f"{summary['precincts_reporting']} of {summary['precincts_total']} precincts reporting; "
          f"computing the results from the database: {compute_ms:.0f} ms (a cache miss)")
    print(f"machine speed (10M-addition loop): {speed_before:.2f} s before, {speed_after:.2f} s after; "
          f"{os.cpu_count()} cores")
    print(("BEFORE: version read and Flask-Limiter's check on every request; " if args.before else "")
          + f"{args.workers} gunicorn sync workers, {args.readers} concurrent readers (asyncio, raw sockets, "
          f"a connection per request, from {args.addresses} addresses), {args.seconds:.0f} s per URL in rounds of {args.slice:g} s; "
          f"the load generator used {client_share:.0%} of one core")
    css, same, page = (measured[i][1][0] for i in range(3))
    print("  ratios: to /static/hotline.css, to the static file as large as /api/results, and to the one "
          "as large as /results (Flask sends static files without gzip)")
    print(f"  {'':36} {'req/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'bytes':>7} {'x css':>6} {'x api-size':>10} "
          f"{'x page-size':>11}")
    for name, (rate, p50, p99, size) in measured:
        print(f"  {name:36} {rate:6.0f} {p50:7.1f} {p99:7.1f} {size:7d} {rate / css:6.2f} {rate / same:10.2f} "
              f"{rate / page:11.2f}")


async def rounds(port: int, targets: list[tuple[str, str, dict[str, str], int]], seconds: float,
                 slice_: float, readers: int, addresses: int) -> list[tuple[str, tuple[float, float, float, int]]]:
    """Each target for `slice_` seconds in turn, round after round, until each had `seconds`."""
    requests_ = [(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: bench\r\n"
                  + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n").encode()
                 for _, path, headers, _ in targets]
    latencies: list[list[float]] = [[] for _ in targets]
    sizes = [0] * len(targets)
    spent = 0.0
    while spent < seconds - 1e-9:
        for i, (name, _, _, status) in enumerate(targets):
            sizes[i] = await slice_of(port, requests_[i], status, name, slice_, readers, addresses, latencies[i])
        spent += slice_
    out = []
    for i, (name, *_) in enumerate(targets):
        lat = sorted(latencies[i])
        out.append((name, (len(lat) / spent, lat[len(lat) // 2] if lat else 0.0,
                           lat[int(len(lat) * 0.99)] if lat else 0.0, sizes[i])))
    return out


async def slice_of(port: int, request: bytes, status: int, name: str, seconds: float, readers: int,
                   addresses: int, latencies: list[float]) -> int:
    """`readers` connections, one request each, again and again for `seconds`; records the latency
    of each answer that completed in time and returns the size of the last body."""
    deadline = time.perf_counter() + seconds
    expected = f" {status} ".encode()
    size = 0

    async def reader(n: int) -> None:
        nonlocal size
        while True:
            t = time.perf_counter()
            if t >= deadline:
                return
            n += readers
            k = n % addresses  # each reader's connections come from the addresses in turn
            local = (f"127.1.{k // 250}.{k % 250 + 1}", 0) if addresses > 1 else None
            r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=local)
            w.write(request)
            answer = await r.read(-1)  # the server closes the connection after the answer
            w.close()
            done = time.perf_counter()
            head, _, body = answer.partition(b"\r\n\r\n")
            if expected not in head.split(b"\r\n", 1)[0]:
                raise RuntimeError(f"{name}: {head[:200]!r}, expected {status}")
            if done <= deadline:
                latencies.append((done - t) * 1000)
            size = len(body)

    await asyncio.gather(*(reader(n) for n in range(readers)))
    return size


if __name__ == "__main__":
    main()
