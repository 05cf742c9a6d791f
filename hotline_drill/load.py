"""Load generation: chairs in client processes, a prank flood, and closed-loop capacity probes."""
from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import queue
import random
import socket
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from twilio.request_validator import RequestValidator

from hotline.domain.model import Candidate
from hotline_drill import callers, hosts
from hotline_drill.chairs import Outcome, Plan, Texter, play, signed_headers
from hotline_drill.cluster import ACCOUNT_SID

# The chairs' and the flood's client processes run only on CPU time the hotline leaves idle: on
# the night the phones and the pranksters are not on its servers. At nice 5 the flood's 400
# requests a second still took 0.4 of the 2 cores and preempted the hotline's processes (a
# processor holding SQLite's write lock among them). The capacity probes, which compare ours
# with the no-op ceilings, are not lowered: both sides of each comparison are measured the same
# way. Whether the flood still reached its rate is part of its verdict (report.py).


AUTOGROUP = Path("/proc/self/autogroup")


def idle_priority() -> None:
    """Run this process only when the CPU would otherwise be idle. Needs no privileges.

    SCHED_IDLE (nice 19 where there is no such class) is not enough under Linux's autogroup
    scheduling, which shares the CPU between sessions first: so a session of its own, at
    autogroup nice 19 (README, "The drill").
    """
    try:
        os.setsid()
    except OSError:
        pass  # a process-group leader already
    if os.getsid(0) == os.getpid():  # never renice a session this process does not lead
        _autogroup_nice(19)
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(19)


def _autogroup_nice(nice: int, tries: int = 20) -> None:
    # The kernel refuses unprivileged callers (EAGAIN) within 100 ms of any autogroup nice
    # change, and the generators start together.
    for _ in range(tries):
        try:
            AUTOGROUP.write_text(str(nice))
            return
        except BlockingIOError:
            time.sleep(0.05 + random.random() * 0.1)
        except OSError:
            return  # no autogroup here: the process's own priority is all there is


VOICE_THINK_SECONDS = 0.5  # between keypresses: the prompt is spoken before the chair keys in


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def _chair_process(plans: list[dict], delegates: dict[str, int], cands: list[Candidate], ctx: dict,
                   results: "mp.Queue[dict]") -> None:
    idle_priority()
    texter = Texter(ctx["url"], ctx["token"], ctx["redis_url"], ctx.get("duplicates", False),
                    http=hosts.session(ctx))
    voice = hosts.session(ctx)
    with ThreadPoolExecutor(max_workers=len(plans) or 1) as pool:
        futures = [pool.submit(_safe_play, Plan(**p), texter, voice, cands, delegates[p["precinct"]], ctx)
                   for p in plans]
        for p, f in zip(plans, futures):
            results.put({**asdict(f.result()), "channel": "voice" if p.get("voice") else "sms"})


def _safe_play(plan: Plan, texter: Texter, voice: requests.Session, cands: list[Candidate], d: int,
               ctx: dict) -> Outcome:
    try:
        if plan.voice:
            return callers.call(plan, ctx["url"], ctx["token"], cands, d, ctx["t0"], voice,
                                think=VOICE_THINK_SECONDS)
        return play(plan, texter, cands, d, ctx["t0"])
    except Exception as exc:  # noqa: BLE001 - one chair's crash is a finding, not the drill's end
        out = Outcome(plan.precinct)
        out.problems.append(f"{plan.precinct}: client error {exc!r}")
        return out


def run_chairs(plans: list[Plan], delegates: dict[str, int], cands: list[Candidate], ctx: dict,
               processes: int = 2, generators: set[int] | None = None) -> list[dict]:
    """Play every plan across a few client processes (threads inside); returns their outcomes.

    Each process's pid goes into `generators` (each leads a session of its own: idle_priority).
    """
    results: "mp.Queue[dict]" = mp.Queue()
    chunks = [[asdict(p) for p in plans[i::processes]] for i in range(processes)]
    # Daemons: in sessions of their own they would not get a terminal's Ctrl-C.
    procs = [mp.Process(target=_chair_process, args=(c, delegates, cands, ctx, results), daemon=True)
             for c in chunks]
    for p in procs:
        p.start()
        if generators is not None and p.pid is not None:
            generators.add(p.pid)
    outcomes = collect(results, len(plans), procs)
    for p in procs:
        p.join(timeout=30)
    return outcomes


def collect(results: "mp.Queue[dict]", expected: int, procs: list[Any], poll: float = 5.0) -> list[dict]:
    """`expected` results from `procs`; an error, not a hang, if they all died short of it."""
    got: list[dict] = []
    while len(got) < expected:
        try:
            got.append(results.get(timeout=poll))
        except queue.Empty:
            if not any(p.is_alive() for p in procs):
                codes = [p.exitcode for p in procs]
                raise RuntimeError(f"the chairs' processes ended (exit codes {codes}) with "
                                   f"{len(got)} of {expected} chairs reported") from None
    return got


FLOOD_PREFIX = "+1202555"  # the pranksters' numbers: none is on the roster
FLOOD_IN_FLIGHT = 64  # requests the flood may have open at once


def flood(url: str, token: str, rate: float, start: float, stop: float, numbers: int,
          results: "mp.Queue[dict]", idle: bool = True, ports: tuple[int, ...] = ()) -> None:
    """Unknown numbers texting at `rate` per second between two wall-clock times.

    Puts each request's milliseconds (-1 for an error) and the rate the flood reached: requests
    answered over the time from the start to the last answer. `idle`: on idle CPU only.
    `ports`: several hosts' ports, one picked at random per request (signed for `url`, the
    address all hosts share).
    """
    if idle:
        idle_priority()
    validator = RequestValidator(token)
    target, rng = f"{url}/twilio/sms", random.Random(99)
    where = urlsplit(url)
    host, port = where.hostname or "127.0.0.1", where.port or 80
    time.sleep(max(0.0, start - time.time()))
    sent = 0
    # Pranksters do not wait for each other: the pool should not be what limits the rate (with
    # 16 threads it was; README). 64 in flight keep 365 a second going while a request takes
    # up to 175 ms; slower than that, the rate falls short and its verdict says so.
    pool = ThreadPoolExecutor(max_workers=FLOOD_IN_FLIGHT)
    futures: list[Any] = []
    answered: list[float] = []  # when each request came back (its threads append)

    def one(i: int) -> float:
        form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
                "From": f"{FLOOD_PREFIX}{rng.randrange(numbers):04d}", "To": "+15155559000", "Body": rng.choice(["lol", "Bernie 9000", "vote yang", "hi", "STOP"])}
        started = time.perf_counter()
        try:
            status = post_form(host, rng.choice(ports) if ports else port, "/twilio/sms", form,
                               signed_headers(validator, target, form, "flood"))
        except OSError:
            status = 0
        finally:
            answered.append(time.time())
        return (time.perf_counter() - started) * 1000 if status == 200 else -1.0

    while time.time() < stop:
        due = int((time.time() - start) * rate)
        while sent < due:
            futures.append(pool.submit(one, sent))
            sent += 1
        time.sleep(0.005)
    latencies = [f.result() for f in futures]
    pool.shutdown()
    span = max(answered, default=start) - start
    results.put({"latency_ms": latencies, "per_second": round(len(latencies) / span, 1) if span > 0 else 0.0})


def post_form(host: str, port: int, path: str, form: dict[str, str], headers: dict[str, str],
              timeout: float = 15.0) -> int:
    """POST a form over a new connection and return the status: the flood's client.

    `requests` spent about 1 ms of CPU a request (this takes 0.19), 0.3 of a core for 365 a second,
    which a generator on idle CPU could not always find (a run read 7.95x of 10x). A connection
    per request is what gunicorn's sync workers do anyway.
    """
    body = urlencode(form).encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
               f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
               f"{head}\r\n").encode() + body
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = bytearray()
        while chunk := sock.recv(65536):  # the server closes the connection when it is done
            answer += chunk
    status_line = bytes(answer).split(b"\r\n", 1)[0].split()
    return int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0


_PROBE_NUMBERS = itertools.count()  # never reused, across rounds too


def closed_loop(url: str, token: str, seconds: float, concurrency: int, label: str = "probe") -> dict[str, Any]:
    """Webhook capacity: `concurrency` clients posting back to back for `seconds`."""
    validator = RequestValidator(token)
    target, deadline = f"{url}/twilio/sms", time.monotonic() + seconds
    latencies: list[float] = []

    def client(k: int) -> None:
        http = requests.Session()
        while time.monotonic() < deadline:
            # A chair's path: stored, then queued in the chairs' lane. A new number each time (one
            # seen before would soon be over its allowance), with a PIN as a chair on a borrowed
            # phone sends it: without one the text would join the unknown numbers' lane, which
            # nothing drains during these rounds, and once that lane is backed up new numbers'
            # texts are only parked in Redis, the flood's cheap path.
            form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
                    "From": f"+1303{next(_PROBE_NUMBERS):07d}", "To": "+15155559000", "Body": "PIN 0000 status"}
            started = time.perf_counter()
            http.post(target, data=form, timeout=15,
                      headers=signed_headers(validator, target, form, label))
            latencies.append((time.perf_counter() - started) * 1000)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(client, range(concurrency)))
    return {"requests": len(latencies), "per_second": round(len(latencies) / seconds, 1),
            "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99)}


def summarize_latency(values: list[float]) -> dict[str, Any]:
    ok = [v for v in values if v >= 0]
    return {"count": len(values), "errors": len(values) - len(ok), "p50_ms": percentile(ok, 0.5),
            "p95_ms": percentile(ok, 0.95), "p99_ms": percentile(ok, 0.99),
            "mean_ms": round(statistics.fmean(ok), 2) if ok else None}
