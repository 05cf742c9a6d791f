"""The administrators' Operations page: RQ's queues, workers and registries, the key figures, and
requeueing or deleting a failed job."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from redis import Redis
from redis.exceptions import RedisError

from hotline.services.ops import operations
from hotline.services.units import Units
from hotline.web import runtime
from hotline.web.auth import admin_required, username

logger = logging.getLogger(__name__)
bp = Blueprint("operations", __name__, url_prefix="/admin")
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")  # RQ's job ids; anything else is not ours


@bp.app_template_filter("seconds")
def seconds(value: float | None) -> str:
    """A short duration for people: `45 s`, `3 min 20 s`, `2 h 5 min`."""
    if value is None:
        return ""
    n = int(value)
    if n < 60:
        return f"{n} s"
    if n < 3600:
        return f"{n // 60} min {n % 60} s"
    return f"{n // 3600} h {n % 3600 // 60} min"


@bp.get("/operations")
@admin_required
def page() -> str | tuple[str, int]:
    """Queues, workers, started / failed / deferred / scheduled jobs, and the night's key figures."""
    rt = runtime()
    try:
        view = operations.overview(rt.units, rt.redis)
    except RedisError as exc:
        logger.warning("the operations page could not read Redis: %s", exc)
        return render_template("admin/operations.html", view=None), 503
    return render_template("admin/operations.html", view=view, registries=list(operations.REGISTRIES))


@bp.post("/operations/jobs/<job_id>/requeue")
@admin_required
def requeue(job_id: str) -> Response:
    """Put a failed job back in its queue (logged under the administrator's name)."""
    return _act(job_id, operations.requeue, "Job {job} is back in the {queue} queue.")


@bp.post("/operations/jobs/<job_id>/delete")
@admin_required
def delete(job_id: str) -> Response:
    """Delete a failed job for good (logged under the administrator's name)."""
    return _act(job_id, operations.delete, "Job {job} was deleted from the {queue} queue's failed jobs.")


def _act(job_id: str, action: Callable[[Units, Redis, str, str], str], done: str) -> Response:
    if not JOB_ID.fullmatch(job_id):
        abort(404)
    rt = runtime()
    try:
        queue = action(rt.units, rt.redis, job_id, username())
    except operations.JobNotFound:
        flash(f"Job {job_id} is not among the failed jobs any more (requeued, deleted or expired).", "error")
    except RedisError:
        flash("Redis is unreachable: nothing was changed. Try again in a moment.", "error")
    else:
        flash(done.format(job=job_id, queue=queue))
    return redirect(url_for("operations.page"))
