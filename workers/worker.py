"""Worker entry point: build the runtime once, schedule the duties, work the queues."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
import uuid

from rq import SimpleWorker

from hotline.adapters import log_format, metrics
from hotline.adapters.db import SENDER, WORKER
from hotline.adapters.queues import (
    ALIVE_PREFIX,
    ALL_QUEUES,
    PROCESSOR_QUEUES,
    SENDER_QUEUES,
    worker_connection,
)
from hotline.config import Config
from hotline.runtime import Runtime, build
from workers import context, schedule
from workers.observed import ObservedWorker

logger = logging.getLogger("workers")


def _keep_alive(rt: Runtime, name: str, stop: threading.Event, every: float = 2.0) -> None:
    """Renew this worker's short-lived alive key, so a sweeper can tell its jobs are orphaned."""
    while True:
        try:
            rt.redis.set(ALIVE_PREFIX + name, "1", ex=int(every * 5))
        except Exception:  # noqa: BLE001 - Redis down: nothing to renew, try again shortly
            pass
        if stop.wait(every):
            return


def main(argv: list[str] | None = None) -> None:
    """Run one worker on the project's queues (highest priority first)."""
    parser = argparse.ArgumentParser(description="Caucus hotline RQ worker")
    parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    parser.add_argument("--no-sweep", action="store_true",
                        help="do not schedule the duties (recovery, reminders, reconciliation)")
    parser.add_argument("--name", default=None)
    parser.add_argument("--role", choices=("all", "processor", "sender"), default="all",
                        help="processor: parse and verify texts; sender: send texts at the number's "
                             "rate (senders wait for the rate limit, so keep them apart at scale)")
    args = parser.parse_args(argv)
    log_format.configure(Config.from_env().log_format)
    # On SQLite a sender's two one-row updates, which stand between a chair and the read-back,
    # go ahead of the processors' longer transactions (the web's go first).
    rt = build(Config.from_env().validate(), rank=SENDER if args.role == "sender" else WORKER)
    context.install(rt)
    stop = threading.Event()
    name = args.name or f"hotline-{uuid.uuid4().hex[:12]}"
    threading.Thread(target=_keep_alive, args=(rt, name, stop), daemon=True).start()
    if not args.no_sweep:
        threading.Thread(target=schedule.run, args=(rt, stop), daemon=True, name="duties").start()
    # SimpleWorker runs jobs in this process: our jobs are short and ours, and forking per
    # job costs ~10 ms each (see the drill). Isolation comes from running several workers.
    queues = {"all": ALL_QUEUES, "processor": PROCESSOR_QUEUES, "sender": SENDER_QUEUES}[args.role]
    try:
        work_until_stopped(rt, list(queues), name, args.burst,
                           list(argv) if argv is not None else sys.argv[1:])
    finally:
        stop.set()
        metrics.process_exited()


def work_until_stopped(rt: Runtime, queues: list[str], name: str | None, burst: bool,
                       argv: list[str]) -> None:
    """Run the RQ worker; if it quits without being asked to (Redis went away), start afresh.

    RQ retries a lost dequeue, but Redis vanishing while a job finishes makes RQ's worker quit,
    and a worker must outlive a Redis restart or the hotline stops processing texts. The restart
    replaces the whole process (exec), so no half-stopped scheduler or stale state survives it.
    """
    worker: SimpleWorker | None = None
    try:
        # Maintenance every 30 s, not RQ's 10 minutes: it is also when a worker takes over a
        # queue's scheduler (retries) whose holder died, e.g. after Redis restarted.
        worker = ObservedWorker(queues, connection=worker_connection(rt.config.redis_url), name=name,
                              maintenance_interval=30)
        # RQ's per-job lines (three or four per job) and the twilio client's per-request headers
        # cost more than some jobs at caucus-night rates; our own line per text stays at INFO.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
        worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
    except Exception:  # noqa: BLE001 - logged, then the process starts over
        logger.exception("the worker stopped on an error")
    if burst or (worker is not None and _asked_to_stop(worker)):
        return
    logger.warning("the worker quit without being asked to; starting it again in 2 s")
    time.sleep(2)
    if worker is not None and _asked_to_stop(worker):
        return
    restarts = int(os.environ.get("HOTLINE_WORKER_RESTARTS", "0")) + 1
    os.environ["HOTLINE_WORKER_RESTARTS"] = str(restarts)
    argv = list(argv)
    fresh = f"{(name or 'hotline').rsplit('~', 1)[0]}~{restarts}"  # the dead name may linger in Redis
    if "--name" in argv:
        argv[argv.index("--name") + 1] = fresh
    else:
        argv += ["--name", fresh]
    os.execv(sys.executable, [sys.executable, "-m", "workers.worker", *argv])


def _asked_to_stop(worker: SimpleWorker) -> bool:
    return bool(getattr(worker, "_stop_requested", False) or getattr(worker, "_shutdown_requested_date", None))


if __name__ == "__main__":
    main()
