"""Our throughput against its ceilings (a no-op webhook, RQ no-op jobs), measured in pairs.

A shared 2-core VM's speed drifts by a third from one minute to the next (its neighbours), so
one measurement of each side, a minute apart, mostly measures the drift. Here the two sides
alternate in short rounds (noop, ours; ours, noop; ...), each round gives a ratio, and the
verdict uses the median ratio. Job rates come from the workers' own timestamps, each worker's
first job done to its last, summed over the workers: the second or so a worker takes to notice
the queue is open again, and the moment the last one finishes alone, count on neither side.
"""
from __future__ import annotations

import statistics
import time
import uuid
from datetime import datetime
from typing import Any, Callable

from redis import Redis
from rq import Callback, Queue, Worker
from rq.suspension import resume, suspend
from sqlalchemy import func, select

from hotline.adapters.db import Database
from hotline.adapters.models import InboundMessage
from hotline.adapters.queues import RETRY
from hotline_drill.noop import NOOP_QUEUE, noop_on_failure

Rate = dict[str, Any]


def paired(rounds: int, noop: Callable[[], Rate], ours: Callable[[], Rate]) -> dict[str, Any]:
    """Alternate the two measurements `rounds` times; medians of the rates and of the ratios."""
    pairs = []
    for r in range(rounds):
        pair: dict[str, Any] = {}
        for name, measure in ((("noop", noop), ("ours", ours)) if r % 2 == 0 else (("ours", ours), ("noop", noop))):
            pair[name] = measure()
        pair["ratio"] = round(pair["ours"]["per_second"] / pair["noop"]["per_second"], 3) \
            if pair["noop"]["per_second"] else 0.0
        pairs.append(pair)
    return {"rounds": pairs, "ratio": round(statistics.median(p["ratio"] for p in pairs), 2),
            "ours_per_second": round(statistics.median(p["ours"]["per_second"] for p in pairs), 1),
            "noop_per_second": round(statistics.median(p["noop"]["per_second"] for p in pairs), 1)}


def rate(done_at: list[float]) -> Rate:
    """Jobs per second from completion times: (n - 1) / (last - first)."""
    span = max(done_at) - min(done_at) if len(done_at) > 1 else 0.0
    return {"jobs": len(done_at), "seconds": round(span, 3),
            "per_second": round((len(done_at) - 1) / span, 1) if span > 0 else 0.0}


def rate_by_worker(done: list[tuple[str, float]], since: float = 0.0) -> Rate:
    """The sum of each worker's own rate, from (worker name, completion time) pairs.

    Suspended workers resume up to a second apart and the last one finishes alone; in a round a
    second or two long those edges would be a large, random part of a single first-to-last span.
    Jobs done before `since` are left out: a worker blocked waiting for work takes the first job
    queued before it sees the suspension, so a job or two finish early.
    """
    by_worker: dict[str, list[float]] = {}
    for worker, at in done:
        if at >= since:
            by_worker.setdefault(worker, []).append(at)
    rates = [rate(times) for times in by_worker.values()]
    return {"jobs": sum(r["jobs"] for r in rates), "seconds": max((r["seconds"] for r in rates), default=0.0),
            "per_second": round(sum(r["per_second"] for r in rates), 1), "workers": len(rates)}


def _finished(redis: Redis, job_ids: list[str]) -> list[tuple[str, float]] | None:
    """(worker, completion time) of each job, or None while any has not finished (a job that
    does not exist, e.g. a text the sweeper queued under another id, is left out)."""
    pipe = redis.pipeline(transaction=False)
    for job_id in job_ids:
        pipe.hmget(f"rq:job:{job_id}", "ended_at", "worker_name", "status")
    done = []
    for ended, worker, status in pipe.execute():
        if status is None:
            continue
        if not ended:
            return None
        done.append(((worker or b"?").decode(),
                     datetime.fromisoformat(ended.decode().replace("Z", "+00:00")).timestamp()))
    return done


def wait_workers(redis: Redis, count: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while len(Worker.all(connection=redis)) < count and time.time() < deadline:
        time.sleep(0.2)


def held(redis: Redis, load: Callable[[], None]) -> float:
    """Queue work while the workers are suspended, then let them all start together; when."""
    suspend(redis)
    load()
    time.sleep(1.5)  # every worker sees the suspension within a second and stops taking jobs
    resume(redis)
    return time.time()


def noop_jobs(redis: Redis, n: int, timeout: float = 120) -> Rate:
    """`n` no-op jobs with our enqueue options through the no-op workers (already running)."""
    queue = Queue(NOOP_QUEUE, connection=redis)
    ids = [f"noop-{uuid.uuid4().hex[:12]}" for _ in range(n)]

    def load() -> None:
        # The same options as our jobs (unique id, retries, failure callback, results kept), so
        # the ratio measures our work, not the RQ features we chose.
        for job_id in ids:
            queue.enqueue("hotline_drill.noop.noop_job", job_id=job_id, unique=True, retry=RETRY,
                          on_failure=Callback(noop_on_failure), job_timeout=60, result_ttl=300, failure_ttl=7 * 86400)

    since = held(redis, load)
    deadline = time.time() + timeout
    while time.time() < deadline:
        done = _finished(redis, ids)
        if done is not None:
            return rate_by_worker(done, since)
        time.sleep(0.1)
    raise TimeoutError(f"no-op jobs not done within {timeout}s")


def our_jobs(redis: Redis, db: Database, send: Callable[[], None], timeout: float = 120) -> Rate:
    """Texts stored and queued by `send`, handled by our processors (already running)."""
    with db.reading() as s:
        after = s.scalar(select(func.max(InboundMessage.id))) or 0
    since = held(redis, send)
    deadline = time.time() + timeout
    while time.time() < deadline:
        with db.reading() as s:
            left = s.scalar(select(func.count()).select_from(InboundMessage).where(
                InboundMessage.id > after, InboundMessage.processed_at.is_(None)))
            if not left:
                ids = s.scalars(select(InboundMessage.id).where(InboundMessage.id > after)).all()
                # Each text's job (kept for a while with its result) says which worker ran it, when.
                done = _finished(redis, [f"in-{i}" for i in ids])
                if done is not None:
                    return rate_by_worker(done, since)
        time.sleep(0.1)
    raise TimeoutError(f"texts not handled within {timeout}s")
