"""A worker outlives a Redis restart instead of exiting."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from hotline.adapters.embedded_redis import EmbeddedRedis


def test_worker_process_survives_redis_going_away_and_coming_back(tmp_path: Path, database_url: str):
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for a process-level test")
    redis = EmbeddedRedis(tmp_path / "redis", persist=True)
    redis.start()
    env = {**os.environ, "REDIS_URL": redis.url, "DATABASE_URL": database_url,
           "HOTLINE_INSTANCE_PATH": str(tmp_path), "HOTLINE_SWEEP_INTERVAL_SECONDS": "0.5"}
    proc = subprocess.Popen([sys.executable, "-m", "workers.worker", "--name", "resilience-test"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for_worker(redis.url)
        # Idle longer than the jobs' 3-second Redis timeout: waiting for work is not an error.
        time.sleep(4.5)
        assert Redis.from_url(redis.url).smembers("rq:workers") == {b"rq:worker:resilience-test"}
        # Redis goes away while a job runs: RQ's own worker quits when it cannot record the end.
        Queue("default", connection=Redis.from_url(redis.url)).enqueue("time.sleep", 2)
        _wait_until_busy(redis.url)
        redis.stop()
        time.sleep(7)  # long enough for the restarted worker to find Redis gone too
        assert proc.poll() is None, "the worker exited while Redis was down"
        redis.start()
        _wait_for_worker(redis.url)  # it registered itself again
        assert proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        redis.stop()


def _wait_until_busy(url: str, timeout: float = 20) -> None:
    client = Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(client.hget(key, "state") == b"busy" for key in client.smembers("rq:workers")):
            return
        time.sleep(0.05)
    raise AssertionError("the worker never started the job")


def _wait_for_worker(url: str, timeout: float = 20) -> None:
    client = Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.smembers("rq:workers"):
            return
        time.sleep(0.2)
    raise AssertionError("the worker never registered with Redis")


def test_the_sweeper_requeues_a_job_whose_worker_died(rt):
    from rq.job import JobStatus

    from hotline.adapters.queues import ALIVE_PREFIX
    job = rt.queues.by_name["inbound"].enqueue("time.sleep", 0, job_id="in-999")
    job.set_status(JobStatus.STARTED)
    job.worker_name = "gone-worker"
    job.save()
    assert rt.queues.inbound(999, revive=False)  # a plain enqueue leaves a running job alone
    assert rt.queues.by_name["inbound"].count == 1
    rt.redis.set(ALIVE_PREFIX + "gone-worker", "1")
    assert rt.queues.inbound(999, revive=True)  # its worker is alive: still left alone
    assert rt.queues.by_name["inbound"].fetch_job("in-999").get_status() == JobStatus.STARTED
    rt.redis.delete(ALIVE_PREFIX + "gone-worker")
    assert rt.queues.inbound(999, revive=True)  # its worker is gone: queued again
    assert rt.queues.by_name["inbound"].fetch_job("in-999").get_status() == JobStatus.QUEUED


def test_the_sweeper_requeues_a_job_that_is_marked_queued_but_in_no_queue(rt):
    from rq.job import JobStatus
    queue = rt.queues.by_name["inbound"]
    queue.enqueue("time.sleep", 0, job_id="in-998")
    assert rt.queues.inbound(998, revive=True)  # really queued: left alone, not queued twice
    assert queue.count == 1
    # A worker popped it, then lost its connection before the reply reached it.
    rt.redis.lrem(queue.key, 0, "in-998")
    assert queue.count == 0
    assert rt.queues.inbound(998, revive=False)  # a plain enqueue trusts the job's status
    assert queue.count == 0
    assert rt.queues.inbound(998, revive=True)  # the sweeper's enqueue puts it back
    assert queue.job_ids == ["in-998"]
    assert queue.fetch_job("in-998").get_status() == JobStatus.QUEUED


def test_the_sweeper_queues_a_retry_whose_scheduler_is_missing(rt):
    from datetime import datetime, timedelta, timezone

    from rq.job import JobStatus
    queue = rt.queues.by_name["replies"]
    now = datetime.now(timezone.utc)
    queue.enqueue_at(now + timedelta(minutes=5), "time.sleep", 0, job_id="out-996")  # not due yet
    queue.enqueue_at(now - timedelta(minutes=5), "time.sleep", 0, job_id="out-997")  # long overdue
    assert rt.queues.send(996, 0, revive=True) and rt.queues.send(997, 0, revive=True)
    assert queue.job_ids == ["out-997"]
    assert queue.fetch_job("out-997").get_status() == JobStatus.QUEUED
    assert queue.fetch_job("out-996").get_status() == JobStatus.SCHEDULED


def test_after_a_failed_connect_redis_calls_fail_at_once_for_a_moment():
    import socket

    from redis.exceptions import ConnectionError as RedisConnectionError

    from hotline.adapters import queues as queue_module
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = queue_module.connect(f"redis://127.0.0.1:{port}/0")
    queue_module.FailFastConnection.down_until = 0.0
    with pytest.raises(RedisConnectionError) as first:
        client.ping()
    assert "moment ago" not in str(first.value)  # a real attempt, refused
    started = time.monotonic()
    with pytest.raises(RedisConnectionError) as second:
        client.ping()
    assert "moment ago" in str(second.value) and time.monotonic() - started < 0.5
    queue_module.FailFastConnection.down_until = 0.0  # the cool-down has passed: try for real again
    with pytest.raises(RedisConnectionError) as third:
        client.ping()
    assert "moment ago" not in str(third.value)


def test_after_a_redis_that_does_not_answer_calls_fail_at_once_for_a_moment():
    # A stalled Redis (accepting connections, never answering) cost every request a full read
    # timeout; the review of issue 21 measured 3-6 s per public page. Now only the first waits.
    import socket

    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    from hotline.adapters import queues as queue_module
    with socket.socket() as silent:  # listens (the kernel accepts), never reads or answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        client = Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=1, socket_timeout=0.3,
                                connection_class=queue_module.FailFastConnection)
        queue_module.FailFastConnection.down_until = 0.0
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError):
            client.ping()
        assert time.monotonic() - started >= 0.25  # the first call waited out its timeout
        started = time.monotonic()
        with pytest.raises(RedisConnectionError, match="moment ago"):
            client.ping()
        assert time.monotonic() - started < 0.1
        queue_module.FailFastConnection.down_until = 0.0
        client.close()


def test_a_flood_waiting_in_the_paced_lane_never_hides_a_chairs_text_from_the_sweeper(rt):
    from hotline.services.sms import inbox
    from tests.support.chairs import load_roster
    from workers import duties
    load_roster(rt)
    # Redis lost these jobs: 600 older texts from unknown numbers, then a chair's YES.
    for i in range(600):
        inbox.store(rt.units, "sms", f"SMflood{i}", {"From": [f"+1202555{i:04d}"], "Body": ["lol"]})
    chair = inbox.store(rt.units, "sms", "SMchair", {"From": ["+15155550142"], "Body": ["YES 1234"]})
    borrowed = inbox.store(rt.units, "sms", "SMborrowed", {"From": ["+17125550000"],
                                                     "Body": ["DSM-42 PIN 4321 first: Biden 12"]})
    duties.sweep_once(rt, stale_seconds=0)
    queued = set(rt.queues.by_name["inbound"].job_ids)
    assert f"in-{chair.inbound_id}" in queued  # the chairs' lane, whatever waits before it
    assert f"in-{borrowed.inbound_id}" in queued  # a text with a PIN is a chair's too
    paced = rt.queues.by_name["unknown"].job_ids
    assert 0 < len(paced) <= max(1, int(rt.config.unknown_processing_per_second * rt.config.sweep_interval_seconds))
