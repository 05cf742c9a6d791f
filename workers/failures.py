"""RQ's failure callback: after the last retry, the work goes to staff as a backlog item."""
from __future__ import annotations

from typing import Any

from rq.job import Job

from hotline.services.ops import failures
from workers.context import current


def on_failure(job: Job, connection: Any, exc_type: type, exc: BaseException, tb: Any) -> None:
    """Called by RQ on every failure; only the last one (no retries left) reaches staff."""
    if job.retries_left:
        return
    failures.gave_up(current().units, job.func_name, job.args[0] if job.args else None, repr(exc))
