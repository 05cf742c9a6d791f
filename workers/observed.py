"""The RQ worker class: RQ's in-process worker, plus per-job metrics and the job's request id."""
from __future__ import annotations

import logging
import time

from rq import Queue, SimpleWorker
from rq.job import Job

from hotline.adapters import log_format, metrics

logger = logging.getLogger(__name__)


class ObservedWorker(SimpleWorker):
    """While a job runs, its request id (from the job's meta, else the job id) is bound for the logs
    and for the jobs it queues; when it ends, its queue, outcome and duration are counted."""

    def perform_job(self, job: Job, queue: Queue) -> bool:
        token = log_format.bind((job.meta or {}).get(log_format.META_KEY) or job.id)
        started = time.perf_counter()
        ok = False
        try:
            ok = bool(super().perform_job(job, queue))
            return ok
        finally:
            seconds = time.perf_counter() - started
            metrics.job_ran(queue.name, ok, seconds)
            if logger.isEnabledFor(logging.DEBUG):  # RQ's own per-job lines are off: they cost too much
                logger.debug("job %s (%s) on %s: %s in %.1f ms", job.id, job.func_name, queue.name,
                             "ok" if ok else "failed", seconds * 1000)
            log_format.reset(token)
