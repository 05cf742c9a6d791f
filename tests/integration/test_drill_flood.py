"""The drill's flood is open-loop: a slow server must not slow the pranksters' rate."""
from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hotline.drill import load

SERVER_DELAY = 0.15  # seconds per request: 16 requests in flight could not pass 107 a second


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
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    results: "mp.Queue[dict]" = mp.Queue()
    rate, start = 200.0, time.time() + 0.5
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
    assert len(run["latency_ms"]) >= 295 and min(run["latency_ms"]) >= SERVER_DELAY * 1000
    # The rate runs to the last answer, one server delay after the last request went out.
    assert run["per_second"] >= 0.8 * rate, run["per_second"]


def _report_priority(out: "mp.Queue[tuple]") -> None:
    load.idle_priority()
    autogroup = load.AUTOGROUP.read_text().strip() if load.AUTOGROUP.exists() else None
    out.put((os.getsid(0) == os.getpid(), autogroup, os.sched_getscheduler(0)))


def test_a_generator_runs_in_a_session_of_its_own_at_the_lowest_priority():
    """Under autogroup scheduling SCHED_IDLE alone still gets its session's share of the CPU."""
    out: "mp.Queue[tuple]" = mp.Queue()
    child = mp.Process(target=_report_priority, args=(out,))
    child.start()
    leads_session, autogroup, policy = out.get(timeout=10)
    child.join(timeout=10)
    assert leads_session
    assert autogroup is None or autogroup.endswith("nice 19")
    assert policy == os.SCHED_IDLE
