"""RQ queues by purpose; enqueueing that never lets a Redis outage fail a request."""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

from redis import Redis
from redis.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Callback, Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from hotline.adapters import log_format

log = logging.getLogger(__name__)

Q_REPLIES = "replies"    # read-backs, codes and confirmations: what a chair is waiting for
Q_INBOUND = "inbound"    # parsing and verifying what chairs sent
Q_OUTBOUND = "outbound"  # every other outbound message
# Reminder and broadcast blasts (outbox priority 2 and lower): behind every answer a chair is
# waiting for. A 5,000-text blast in `outbound` would hold up STATUS, DONE and error answers
# (priority 1) for minutes; in a queue of its own a sender takes it only when nothing else waits.
Q_BULK = "bulk"
# Scheduled housekeeping (recovery, reminders, reconciliation): a few short jobs every few
# seconds, ahead of the chairs' texts, because recovery is how a chair's lost text or reply comes
# back. Behind a peak's backlog a duty would wait out its slot and be dropped.
Q_DUTIES = "duties"
Q_DEFAULT = "default"    # notes for staff (a number over its hourly allowance)
Q_MEDIA = "media"        # downloading worksheet photos from Twilio: behind the chairs' texts
Q_UNKNOWN = "unknown"    # texts from numbers not on the roster: never ahead of chairs
# Order matters: a worker takes from the first non-empty queue in this list.
ALL_QUEUES = (Q_REPLIES, Q_DUTIES, Q_INBOUND, Q_OUTBOUND, Q_DEFAULT, Q_MEDIA, Q_UNKNOWN, Q_BULK)
SENDER_QUEUES = (Q_REPLIES, Q_OUTBOUND, Q_BULK)
PROCESSOR_QUEUES = (Q_DUTIES, Q_INBOUND, Q_DEFAULT, Q_MEDIA, Q_UNKNOWN)
# The Redis list the unknown numbers' lane waits in (admission measures how backed up it is).
UNKNOWN_LANE_KEY = Queue.redis_queue_namespace_prefix + Q_UNKNOWN

OVERDUE_SECONDS = 10  # a scheduled retry this late has lost its scheduler (sweeps are seconds apart)
ALIVE_PREFIX = "hotline:alive:"  # + worker name; renewed every few seconds by each live worker
RESULTS_VERSION_KEY = "hotline:results:version"  # bumped on every change to the public results
# Retries back off so a short outage of the database or Twilio is ridden out.
RETRY = Retry(max=5, interval=[1, 2, 5, 15, 60])
# A photo download waits longer between tries: Twilio's media may not be there yet, and a failing
# download must not crowd the queue. After the last one, staff get a backlog item.
MEDIA_RETRY = Retry(max=3, interval=[10, 60, 300])


@dataclass(frozen=True)
class JobTable:
    """The functions RQ runs, handed over by the composition root (`hotline.runtime.build`)."""

    inbound: Callable[..., Any]     # (inbound_id, phone, paced): handle one text
    send: Callable[..., Any]        # (outbound_id): send one outbox row
    throttled: Callable[..., Any]   # (phone): tell staff a number went over its allowance
    duty: Callable[..., Any]        # (name): one scheduled run of a housekeeping duty
    photo: Callable[..., Any]       # (photo_id): download one worksheet photo from Twilio and keep it
    # Called by RQ on every failure; after the last retry it hands the work to staff, so nothing a
    # chair sent is dropped silently.
    on_failure: Callable[..., Any]


FAIL_FAST_SECONDS = 1.0


class FailFastConnection(Connection):
    """After a failed connect, or an answer that did not come in time, further connects in this
    process fail at once for a second.

    While Redis is down each webhook would otherwise wait out connect timeouts and retries on
    every call (seconds each), and a flood arriving then would pile up behind three web workers.
    A Redis that is stalled rather than down (accepting, never answering) cost each request a
    full read timeout, several on a public page (rate limit, cache): a review measured 3-6 s per
    page. Callers already treat Redis errors as "the sweeper will catch up" (the limits fail open),
    so failing fast loses nothing.
    """

    down_until = 0.0  # shared by every client in the process

    def connect_check_health(self, check_health: bool = True, retry_socket_connect: bool = True) -> None:
        if self._sock is None and time.monotonic() < FailFastConnection.down_until:
            raise RedisConnectionError("Redis was unreachable a moment ago; not waiting on it again yet")
        try:
            super().connect_check_health(check_health, retry_socket_connect)
        except (RedisConnectionError, RedisTimeoutError):
            FailFastConnection.down_until = time.monotonic() + FAIL_FAST_SECONDS
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().read_response(*args, **kwargs)
        except RedisTimeoutError:  # redis-py has dropped the socket: the next call connects anew
            FailFastConnection.down_until = time.monotonic() + FAIL_FAST_SECONDS
            raise


def connect(url: str) -> Redis:
    """A client with short timeouts: a dead Redis must not eat Twilio's 15-second budget."""
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=3, health_check_interval=30,
                          connection_class=FailFastConnection)


def worker_connection(url: str) -> Redis:
    """The connection an RQ worker waits for jobs on.

    RQ blocks on it for minutes (BLPOP) and quits on a socket timeout; it raises the pool's
    timeout only for connections made after it starts, so a connection the runtime already
    opened with the 3-second timeout above would make an idle worker quit. Jobs keep using
    the short-timeout client.
    """
    return Redis.from_url(url, socket_connect_timeout=1, health_check_interval=30)


class Queues:
    """The project's queues on one Redis connection."""

    def __init__(self, redis: Redis, table: JobTable) -> None:
        self.redis, self.table = redis, table
        self.by_name = {name: Queue(name, connection=redis) for name in ALL_QUEUES}
        self._on_failure = Callback(table.on_failure)

    def _enqueue(self, queue: str, func: Callable[..., Any], arg: Any, job_id: str, *more: Any,
                 revive: bool = False, fresh: bool = False, retry: Retry | None = None) -> bool:
        """`fresh`: the row was created just now, so no job can have its id yet; the plain enqueue
        (one round trip) is then as safe as RQ's check-and-enqueue script (two)."""
        try:
            # Our own pipeline: RQ then sends its queue-registry update with the job, not apart.
            pipe = self.redis.pipeline()
            self.by_name[queue].enqueue_call(func, args=(arg, *more), job_id=job_id, unique=not fresh,
                                             retry=retry or RETRY, on_failure=self._on_failure, timeout=60, result_ttl=300,
                                             failure_ttl=7 * 86400, pipeline=pipe,
                                             meta=log_format.job_meta())  # the request id rides along
            pipe.execute()
            return True
        except DuplicateJobError:
            if revive and self._orphaned(job_id):
                return self._enqueue(queue, func, arg, job_id, *more, retry=retry)
            return True  # already queued or running: the row will be handled once
        except RedisError as exc:
            log.warning("enqueue %s failed, the sweeper will retry: %s", job_id, exc)
            return False

    def waiting_ids(self) -> set[str]:
        """Ids of the jobs sitting in any queue right now (one round trip)."""
        pipe = self.redis.pipeline(transaction=False)
        for queue in self.by_name.values():
            pipe.lrange(queue.key, 0, -1)
        return {job_id.decode() for ids in pipe.execute() for job_id in ids}

    def _orphaned(self, job_id: str) -> bool:
        """A job that will not handle its row: delete it so it can be queued again.

        RQ notices a dead worker's job only when its heartbeat lapses (minutes); every worker
        here renews a short-lived alive key, so the sweeper can tell at once. Our jobs are
        idempotent, so a false alarm costs a second, harmless run.
        """
        try:
            job = Job.fetch(job_id, connection=self.redis)
        except NoSuchJobError:
            return True
        status = job.get_status()
        if status == JobStatus.FINISHED:
            # Done, yet the sweeper still finds its row waiting: the job left it on purpose (the
            # unknown numbers' lane was over its budget) or finished just before the row's
            # commit was seen. Its kept result would refuse the same id for result_ttl (5 min).
            job.delete()
            return True
        if status == JobStatus.QUEUED:
            # Queued but not in its queue: popped by a worker whose connection dropped before the
            # reply arrived. Nobody will run it unless it is queued again.
            if self.redis.lpos(Queue(job.origin, connection=self.redis).key, job_id) is not None:
                return False
            log.warning("job %s is marked queued but is in no queue: queueing it again", job_id)
            job.delete()
            return True
        if status == JobStatus.SCHEDULED:
            # A retry is due but nobody moved it to its queue: RQ's scheduler (one per queue,
            # behind a lock) can be missing for minutes after Redis restarts.
            registry = ScheduledJobRegistry(job.origin, connection=self.redis)
            try:
                due = registry.get_scheduled_time(job_id)
            except NoSuchJobError:
                return False
            if due.timestamp() > time.time() - OVERDUE_SECONDS:
                return False
            log.warning("job %s was due at %s and is still waiting: queueing it now", job_id, due)
            registry.remove(job_id)
            job.delete()
            return True
        if status != JobStatus.STARTED or self.redis.exists(ALIVE_PREFIX + (job.worker_name or "")):
            return False
        log.warning("job %s was left by worker %s, which is gone: queueing it again", job_id, job.worker_name)
        job.delete()
        return True

    def inbound(self, inbound_id: int, chairs_lane: bool = True, phone: str | None = None,
                revive: bool = False, fresh: bool = False) -> bool:
        """Queue processing of one inbox row; False when Redis is unreachable."""
        queue = Q_INBOUND if chairs_lane else Q_UNKNOWN
        return self._enqueue(queue, self.table.inbound, inbound_id, f"in-{inbound_id}", phone, not chairs_lane,
                             revive=revive, fresh=fresh)

    def throttled(self, phone: str) -> bool:
        """Tell staff (once an hour) that a number crossed its hourly allowance."""
        hour = int(time.time() // 3600)
        # Job ids allow letters, digits, - and _ only; a sender id can be anything, so hash it.
        digest = hashlib.sha1(phone.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        return self._enqueue(Q_DEFAULT, self.table.throttled, phone, f"thr-{digest}-{hour}")

    def send(self, outbound_id: int, priority: int, revive: bool = False, fresh: bool = False) -> bool:
        """Queue one outbound message; priority 0 goes ahead of everything else, 2 (blasts) last."""
        queue = Q_REPLIES if priority == 0 else Q_OUTBOUND if priority == 1 else Q_BULK
        return self._enqueue(queue, self.table.send, outbound_id, f"out-{outbound_id}", revive=revive, fresh=fresh)

    def photo(self, photo_id: int, revive: bool = False, fresh: bool = False) -> bool:
        """Queue the download of one worksheet photo (its own queue, behind the chairs' texts)."""
        return self._enqueue(Q_MEDIA, self.table.photo, photo_id, f"photo-{photo_id}", revive=revive,
                             fresh=fresh, retry=MEDIA_RETRY)

    def results_changed(self) -> None:
        """Tell every web process that the public results changed (their caches key on this)."""
        try:
            self.redis.incr(RESULTS_VERSION_KEY)
        except RedisError as exc:
            log.warning("could not invalidate the results cache: %s", exc)

    def duty(self, name: str, slot: int, ttl: int) -> bool:
        """Queue one run of a scheduled duty, once per `slot` however many workers ask; False when
        another worker already queued it. Raises RedisError when Redis is unreachable.

        No retries and no failure callback: the next slot runs it again, and a failure stays in
        RQ's failed-job registry (and the worker's log) for an operator to read.
        """
        try:
            self.by_name[Q_DUTIES].enqueue_call(self.table.duty, args=(name,), job_id=f"duty-{name}-{slot}",
                                                unique=True, timeout=60, result_ttl=ttl, ttl=ttl,
                                                failure_ttl=86400)
            return True
        except DuplicateJobError:
            return False
