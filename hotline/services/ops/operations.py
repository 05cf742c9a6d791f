"""What operators watch on caucus night without a shell: RQ's queues, workers and job registries,
the key figures, and putting a failed job back in its queue or deleting it (each one logged).

RQ's own registry classes are the source; pages only read (no registry clean-ups on a GET).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache

from alembic.script import ScriptDirectory
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import (
    BaseRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from sqlalchemy import case, func, select, text

from hotline.adapters import migrate
from hotline.adapters.models import InboundMessage, Precinct, Report, Submission, utcnow
from hotline.adapters.queues import ALL_QUEUES
from hotline.domain import checkpoint as checkpoint_doc
from hotline.domain.lifecycle import ReportStatus
from hotline.services.log import chain, checkpoints
from hotline.services.units import Units

logger = logging.getLogger(__name__)

LISTED = 50  # jobs shown per registry and queue; the counts say how many there are in all
RECENT = timedelta(minutes=5)  # "reports confirmed in the last 5 minutes"
REGISTRIES: dict[str, type[BaseRegistry]] = {
    "started": StartedJobRegistry, "failed": FailedJobRegistry,
    "deferred": DeferredJobRegistry, "scheduled": ScheduledJobRegistry,
}


class JobNotFound(Exception):
    """No failed job with that id (already requeued, deleted or expired)."""


# --- The key figures (the Operations page and /metrics) ------------------------------------------

@dataclass(frozen=True)
class Figures:
    texts_waiting: int                     # inbox rows not yet handled
    oldest_waiting_seconds: float | None   # how long the oldest of them has waited
    precincts: int
    precincts_reporting: int               # precincts with a counting (current) report
    reports_by_state: dict[str, int]       # submissions by status
    confirmed_recently: int                # submissions confirmed in the last 5 minutes
    checkpoint_age_seconds: float | None   # since the latest signed checkpoint (None: none yet)
    queue_depths: dict[str, int] | None    # None: Redis unreachable
    failed_jobs: dict[str, int] | None


def figures(units: Units, redis: Redis) -> Figures:
    """Two database queries, one Redis round trip and the published checkpoint: cheap enough for a
    scrape every few seconds."""
    now = utcnow()
    unhandled = InboundMessage.processed_at.is_(None)
    with units.reading() as s:
        waiting, oldest, precincts, reporting = s.execute(select(
            select(func.count()).select_from(InboundMessage).where(unhandled).scalar_subquery(),
            select(func.min(InboundMessage.received_at)).where(unhandled).scalar_subquery(),
            select(func.count()).select_from(Precinct).scalar_subquery(),
            select(func.count(func.distinct(Report.precinct_id)))
            .where(Report.status == ReportStatus.CURRENT.value).scalar_subquery(),
        )).one()
        by_state: dict[str, int] = {}
        recent = 0
        for status, n, fresh in s.execute(
                select(Submission.status, func.count(),
                       func.sum(case((Submission.confirmed_at >= now - RECENT, 1), else_=0)))
                .group_by(Submission.status)):
            by_state[status], recent = n, recent + int(fresh or 0)
    depths, failed = _counts(redis)
    return Figures(texts_waiting=waiting or 0, oldest_waiting_seconds=_age(oldest, now), precincts=precincts or 0,
                   precincts_reporting=reporting or 0, reports_by_state=by_state, confirmed_recently=recent,
                   checkpoint_age_seconds=checkpoint_age(units, redis, now),
                   queue_depths=depths, failed_jobs=failed)


def _age(at: datetime | None, now: datetime) -> float | None:
    if at is None:
        return None
    if at.tzinfo is None:  # SQLite hands back naive UTC from an aggregate
        at = at.replace(tzinfo=timezone.utc)
    return max(0.0, (now - at).total_seconds())


def _counts(redis: Redis) -> tuple[dict[str, int] | None, dict[str, int] | None]:
    """Each queue's depth and its failed jobs that have not expired, in one round trip."""
    try:
        pipe = redis.pipeline(transaction=False)
        for name in ALL_QUEUES:
            pipe.llen(Queue(name, connection=redis).key)
            pipe.zcount(FailedJobRegistry(name, connection=redis).key, time.time(), "+inf")
        answers = pipe.execute()
    except RedisError as exc:
        logger.warning("queue depths could not be read: %s", exc)
        return None, None
    return (dict(zip(ALL_QUEUES, answers[0::2], strict=True)),
            dict(zip(ALL_QUEUES, answers[1::2], strict=True)))


def checkpoint_age(units: Units, redis: Redis | None, now: datetime | None = None) -> float | None:
    """Seconds since the latest signed checkpoint was taken (None: there is none)."""
    published = checkpoints.published(units, redis)
    if not published:
        return None
    try:
        taken = datetime.strptime(checkpoint_doc.parse(published).time, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:  # MalformedCheckpoint is one
        return None
    return _age(taken.replace(tzinfo=timezone.utc), now or utcnow())


# --- Readiness (/readyz) -----------------------------------------------------------------------

@cache
def _heads(url: str) -> frozenset[str]:
    """The migrations' head revisions (read once per process: the code does not change under it)."""
    return frozenset(ScriptDirectory.from_config(migrate.alembic_config(url)).get_heads())


def migrations_at_head(units: Units) -> bool:
    """Whether the database's schema is the one this code expects."""
    with units.reading() as s:
        found = {row[0] for row in s.execute(text("SELECT version_num FROM alembic_version"))}
    return found == _heads(units.config.database_url)


# --- The Operations page -------------------------------------------------------------------------

@dataclass(frozen=True)
class JobLine:
    id: str
    function: str
    enqueued_at: datetime | None
    ended_at: datetime | None
    error: str | None  # a failed job's exception, its last line


@dataclass(frozen=True)
class QueueView:
    name: str
    depth: int
    counts: dict[str, int]            # registry name -> jobs in it
    jobs: dict[str, list[JobLine]]    # registry name -> the first LISTED of them


@dataclass(frozen=True)
class WorkerView:
    name: str
    state: str
    current_job: str | None
    last_heartbeat: datetime | None
    queues: list[str]


@dataclass(frozen=True)
class Overview:
    figures: Figures
    queues: list[QueueView]
    workers: list[WorkerView]

    @property
    def failed_total(self) -> int:
        return sum(q.counts.get("failed", 0) for q in self.queues)


def overview(units: Units, redis: Redis) -> Overview:
    """Everything the Operations page shows (raises RedisError when Redis is unreachable)."""
    queues = [_queue(redis, name) for name in ALL_QUEUES]
    workers = [WorkerView(name=w.name, state=str(w.get_state()), current_job=w.get_current_job_id(),
                          last_heartbeat=w.last_heartbeat, queues=w.queue_names())
               for w in sorted(Worker.all(connection=redis), key=lambda w: w.name)]
    return Overview(figures(units, redis), queues, workers)


def _queue(redis: Redis, name: str) -> QueueView:
    counts, jobs = {}, {}
    for kind, registry_class in REGISTRIES.items():
        registry = registry_class(name, connection=redis)
        counts[kind] = registry.get_job_count(cleanup=False)
        ids = registry.get_job_ids(0, LISTED - 1, cleanup=False)
        jobs[kind] = [_line(job, kind == "failed") for job in Job.fetch_many(ids, connection=redis) if job]
    return QueueView(name, Queue(name, connection=redis).count, counts, jobs)


def _line(job: Job, failed: bool) -> JobLine:
    try:
        function = job.func_name or "?"
    except Exception:  # noqa: BLE001 - a job whose data cannot be read still shows, by its id
        function = "?"
    error = None
    if failed:
        result = job.latest_result()
        lines = (result.exc_string or "").strip().splitlines() if result is not None else []
        error = lines[-1] if lines else None
    return JobLine(job.id, function, job.enqueued_at, job.ended_at, error)


def requeue(units: Units, redis: Redis, job_id: str, actor: str) -> str:
    """Put a failed job back at the end of its queue; returns the queue's name."""
    with units.begin() as uow:
        registry = _failed_registry(redis, job_id)
        registry.requeue(job_id)
        chain.record(uow.session, "job_requeued", actor=actor, job=job_id, queue=registry.name)
    logger.info("%s requeued failed job %s on %s", actor, job_id, registry.name)
    return registry.name


def delete(units: Units, redis: Redis, job_id: str, actor: str) -> str:
    """Delete a failed job for good (its work, if any, stays a backlog item); returns its queue."""
    with units.begin() as uow:
        registry = _failed_registry(redis, job_id)
        registry.remove(job_id, delete_job=True)
        chain.record(uow.session, "job_deleted", actor=actor, job=job_id, queue=registry.name)
    logger.info("%s deleted failed job %s from %s", actor, job_id, registry.name)
    return registry.name


def _failed_registry(redis: Redis, job_id: str) -> FailedJobRegistry:
    """The failed registry that holds `job_id` (raises JobNotFound)."""
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        raise JobNotFound(job_id) from None
    registry = FailedJobRegistry(job.origin, connection=redis)
    if redis.zscore(registry.key, job_id) is None:
        raise JobNotFound(job_id)
    return registry
