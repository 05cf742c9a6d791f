"""The drill's flood is open-loop: a slow server must not slow the pranksters' rate."""
from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hotline_drill import load

SERVER_DELAY = 0.4  # seconds per request: 16 requests in flight could not pass 40 a second


class _Slow(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(SERVER_DELAY)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_flood_keeps_its_rate_when_each_request_is_slow():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow, bind_and_activate=False)
    server.request_queue_size = 128  # the default 5 would drop connections, not the pool
    server.server_bind()
    server.server_activate()
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    results: "mp.Queue[dict]" = mp.Queue()
    rate, start = 100.0, time.time() + 0.5
    # In a process of its own, as in the drill, but at normal priority: the other test worker
    # keeps this machine busy, and the test is about the pool, not the priority.
    flood = mp.Process(target=load.flood, args=(f"http://127.0.0.1:{server.server_address[1]}", "token",
                                                rate, start, start + 1.5, 50, results, False))
    flood.start()
    try:
        run = results.get(timeout=30)
    finally:
        flood.join(timeout=10)
        server.shutdown()
        server.server_close()
    assert len(run["latency_ms"]) >= 140 and min(run["latency_ms"]) >= SERVER_DELAY * 1000
    # 150 requests answered within 1.9 s is 79 a second; a pool of 16 would manage about 36.
    assert run["per_second"] >= 0.55 * rate, run["per_second"]


def _report_priority(out: "mp.Queue[tuple]") -> None:
    load.idle_priority()
    autogroup = load.AUTOGROUP.read_text().strip() if load.AUTOGROUP.exists() else None
    out.put((os.getsid(0) == os.getpid(), autogroup, os.sched_getscheduler(0)))


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling classes")
def test_generators_started_together_each_run_in_a_session_of_their_own_at_the_lowest_priority():
    """Under autogroup scheduling SCHED_IDLE alone still gets its session's share of the CPU."""
    out: "mp.Queue[tuple]" = mp.Queue()
    children = [mp.Process(target=_report_priority, args=(out,)) for _ in range(3)]
    for child in children:  # back to back, as the drill starts them
        child.start()
    reports = [out.get(timeout=20) for _ in children]
    for child in children:
        child.join(timeout=10)
    for leads_session, autogroup, policy in reports:
        assert leads_session
        assert autogroup is None or autogroup.endswith("nice 19")
        assert policy == os.SCHED_IDLE


class _Busy:
    """An autogroup file that refuses the first writes, as the kernel does within 100 ms of another."""

    def __init__(self, refusals: int) -> None:
        self.refusals, self.written = refusals, None

    def write_text(self, text: str) -> None:
        if self.refusals:
            self.refusals -= 1
            raise BlockingIOError(11, "Resource temporarily unavailable")
        self.written = text


def test_a_refused_autogroup_nice_is_tried_again(monkeypatch):
    busy = _Busy(refusals=3)
    monkeypatch.setattr(load, "AUTOGROUP", busy)
    load._autogroup_nice(19)
    assert busy.written == "19" and busy.refusals == 0


def _reports_one_and_dies(results: "mp.Queue[dict]") -> None:
    results.put({"precinct": "A-1"})
    results.close()
    results.join_thread()  # the first chair's result is in the pipe before the crash
    os._exit(3)  # as a crash would: the second chair never reports


def test_collecting_the_chairs_results_ends_when_their_processes_died_short():
    results: "mp.Queue[dict]" = mp.Queue()
    child = mp.Process(target=_reports_one_and_dies, args=(results,))
    child.start()
    with pytest.raises(RuntimeError, match="1 of 2 chairs reported"):
        load.collect(results, 2, [child], poll=0.2)
    child.join(timeout=5)
    assert child.exitcode == 3


def test_collecting_gets_every_result_from_live_processes():
    results: "mp.Queue[dict]" = mp.Queue()
    children = [mp.Process(target=results.put, args=({"precinct": f"A-{i}"},)) for i in range(3)]
    for child in children:
        child.start()
    got = load.collect(results, 3, children, poll=0.2)
    for child in children:
        child.join(timeout=5)
    assert sorted(r["precinct"] for r in got) == ["A-0", "A-1", "A-2"]
