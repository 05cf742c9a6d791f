"""Housekeeping duties: queued once per slot by every worker's scheduler, run ahead of the chairs'
texts, and the scheduler outlives Redis going away."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from hotline.adapters.queues import ALL_QUEUES, PROCESSOR_QUEUES, Q_DUTIES, Q_INBOUND
from hotline.services.records import outbox
from tests.support.stack import work
from workers import schedule
from workers.duties import DUTIES


def _run_schedulers(rt, workers: int, seconds: float) -> float:
    """Run `workers` schedulers for about `seconds`; how long they really ran (a busy machine oversleeps)."""
    started = time.monotonic()
    stop = threading.Event()
    threads = [threading.Thread(target=schedule.run, args=(rt, stop)) for _ in range(workers)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(5)
    return time.monotonic() - started


def test_every_duty_is_queued_once_per_slot_however_many_workers_ask(rt):
    rt.config = replace(rt.config, sweep_interval_seconds=0.5)
    first = time.time()
    ran = _run_schedulers(rt, workers=3, seconds=1.3)
    minutes = int(time.time() // 60) - int(first // 60) + 1  # minute slots the run lived through
    queued = rt.queues.by_name[Q_DUTIES].job_ids
    names = {d.name for d in DUTIES}
    assert {job.split("-", 1)[1].rsplit("-", 1)[0] for job in queued} == names
    per_duty = {n: sum(1 for job in queued if job.startswith(f"duty-{n}-")) for n in names}
    # However many schedulers asked, one run per 0.5-s slot the schedulers lived through.
    most = int(ran / 0.5) + 2
    assert all(1 <= count <= most for name, count in per_duty.items() if name != "reconcile"), (per_duty, ran)
    assert per_duty["reconcile"] == minutes  # its slot is a minute (2 only when the run crossed one)


def test_a_queued_duty_does_its_work(rt):
    with rt.units.begin() as uow:
        msg_id = outbox.queue_sms(uow, "+15155550142", "hello", "test", priority=0)
    rt.redis.delete(f"rq:job:out-{msg_id}")  # its job was lost with Redis
    for q in rt.queues.by_name.values():
        q.empty()
    rt.config = replace(rt.config, sweep_stale_seconds=0)
    requeue = next(d for d in DUTIES if d.name == "requeue-replies")
    assert rt.queues.duty(requeue.name, 1, ttl=10)
    assert not rt.queues.duty(requeue.name, 1, ttl=10)  # the same slot: once
    work(rt, (Q_DUTIES,))
    assert f"out-{msg_id}" in rt.queues.by_name["replies"].job_ids


def test_duties_go_ahead_of_the_chairs_texts():
    for order in (ALL_QUEUES, PROCESSOR_QUEUES):
        assert order.index(Q_DUTIES) < order.index(Q_INBOUND)


def test_the_scheduler_outlives_redis_going_away_and_says_so_once(rt, caplog, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError
    rt.config = replace(rt.config, sweep_interval_seconds=0.25)
    asked = []

    def unreachable(*args, **kwargs):
        asked.append(args[0])
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(rt.queues, "duty", unreachable)
    with caplog.at_level(logging.WARNING, logger="workers.schedule"):
        _run_schedulers(rt, workers=1, seconds=1.0)
    lines = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    assert len(lines) == 1 and len(asked) > 5  # it kept trying, and said so once
