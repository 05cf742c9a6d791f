"""SQLite writers queue on flocks: web requests go ahead of workers, and nobody waits forever."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from hotline.adapters.db import SENDER, WEB, WriteQueue


def test_a_waiting_web_request_goes_ahead_of_a_waiting_worker(tmp_path: Path):
    path = tmp_path / "db.writelock"
    holder, web, worker = WriteQueue(path), WriteQueue(path, WEB), WriteQueue(path)
    holder_fds, web_fds, worker_fds = holder.open(), web.open(), worker.open()
    holder.acquire(holder_fds)  # a worker's transaction is running
    order: list[str] = []

    def take(queue: WriteQueue, fds: tuple[int, ...], name: str) -> None:
        queue.acquire(fds)
        order.append(name)
        time.sleep(0.05)
        WriteQueue.release(fds)

    threads = [threading.Thread(target=take, args=(worker, worker_fds, "worker"))]
    threads[0].start()
    time.sleep(0.05)  # the worker was waiting first ...
    threads.append(threading.Thread(target=take, args=(web, web_fds, "web")))
    threads[1].start()
    time.sleep(0.05)
    WriteQueue.release(holder_fds)
    for t in threads:
        t.join(timeout=5)
    assert order == ["web", "worker"]  # ... but the web request went first


def test_a_writer_gives_up_after_its_timeout(tmp_path: Path):
    path = tmp_path / "db.writelock"
    holder, late = WriteQueue(path), WriteQueue(path, WEB, timeout=0.2)
    holder.acquire(holder.open())
    started = time.monotonic()
    with pytest.raises(OperationalError):
        late.acquire(late.open())
    assert 0.2 <= time.monotonic() - started < 2


def test_writers_go_by_rank_web_then_senders_then_the_rest(tmp_path: Path):
    path = tmp_path / "db.writelock"
    holder = WriteQueue(path)
    holder_fds = holder.open()
    holder.acquire(holder_fds)
    order: list[str] = []

    def take(queue: WriteQueue, name: str) -> None:
        fds = queue.open()
        queue.acquire(fds)
        order.append(name)
        time.sleep(0.05)
        WriteQueue.release(fds)

    threads = []
    for queue, name in ((WriteQueue(path), "processor"), (WriteQueue(path, SENDER), "sender"),
                        (WriteQueue(path, WEB), "web")):  # they start waiting in this order
        threads.append(threading.Thread(target=take, args=(queue, name)))
        threads[-1].start()
        time.sleep(0.05)
    WriteQueue.release(holder_fds)
    for t in threads:
        t.join(timeout=5)
    assert order == ["web", "sender", "processor"]
