"""The drill itself: set up a state, measure the ceilings, play the night (with faults), judge."""
from __future__ import annotations

import csv
import io
import multiprocessing as mp
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from redis import Redis
from rq import Queue
from sqlalchemy import func, select, update

from hotline.adapters import migrate
from hotline.adapters.db import Database
from hotline.adapters.models import InboundMessage, Report, utcnow
from hotline.adapters.queues import Q_INBOUND, Q_UNKNOWN
from hotline.config import Config
from hotline.services.ops import demo_roster as demo
from hotline.services.ops import importing, status
from hotline_drill import ceilings as ceilings_mod
from hotline_drill import hosts, load, metrics, observers, report, staff
from hotline_drill.chairs import Plan
from hotline_drill.cluster import DRILL_TOKEN, Cluster, Options
from hotline_drill.cpu import GENERATORS, CpuSampler, role_of
from hotline_drill.hosts import LOSS_DOWN_SECONDS

# The capacity comparisons (see drill/ceilings.py). Five rounds, not three: single rounds' ratios
# spread by a fifth on this VM, and the median of three still moved by a tenth between runs.
ROUNDS, PROBE_SECONDS, JOB_TEXTS = 5, 5.0, 500
FAULTS = ("kill-worker", "redis-restart", "db-outage", "twilio-errors", "duplicates", hosts.HOST_LOSS)


@dataclass
class DrillOptions:
    folder: Path
    database_url: str | None = None
    precincts: int = 1765
    burst: float = 300.0
    flood: float = 10.0
    messy: float = 0.10
    corrections: float = 0.03
    unregistered: float = 0.05
    voice: float = 0.05
    faults: tuple[str, ...] = ()
    web_workers: int = 3
    processors: int = 2
    senders: int = 4
    sending_numbers: int = 50
    send_rate: float = 1.0
    seed: int = 2020
    observers: float = 0.0  # share of precincts with an observer beside the chair
    planted_conflicts: int | None = None  # observers texting one count off (default 5% of them)
    staff: int = 0  # simulated staff working the console's queue through its pages
    staff_think: tuple[float, float] = (1.0, 4.0)  # seconds from claiming an item to acting on it
    staff_poll: float = 1.5  # seconds between looks at an empty queue
    hosts: int = 1  # hosts' worth of web and workers against the one Redis and database (PostgreSQL)
    loss_down: float = LOSS_DOWN_SECONDS  # host-loss: seconds the lost host stays down
    log: Callable[[str], None] = print


# `make drill`'s night: the CLI's defaults, and the night the 10-minute bound is judged for.
DEFAULT = DrillOptions(folder=Path("."))


def setup_state(db: Database, precincts: int, seed: int) -> tuple[list[dict[str, str]], dict[str, int]]:
    data = demo.generate(precincts, seed, counties=99)
    with db.transaction() as uow:
        importing.import_candidates(uow.session, io.StringIO(demo.candidates_csv()), actor="drill")
        importing.import_roster(uow.session, io.StringIO(data.roster_csv), actor="drill")
        importing.import_counties(uow.session, io.StringIO(data.counties_csv), actor="drill")
    rows = list(csv.DictReader(io.StringIO(data.roster_csv)))
    return rows, {r["precinct"]: int(r["delegates"] or 5) for r in rows}


def make_plans(rows: list[dict[str, str]], o: DrillOptions) -> list[Plan]:
    rng = random.Random(o.seed)
    plans = []
    for i, r in enumerate(rows):
        unregistered = f"+1712666{i:04d}" if rng.random() < o.unregistered else None
        voice = rng.random() < o.voice  # these chairs call in; the others text
        plans.append(Plan(precinct=r["precinct"], phone=r["phones"].split(";")[0], pin=r["pin"],
                          start=rng.uniform(0, 0.45 * o.burst),
                          gaps=[rng.uniform(0.05, 0.2) * o.burst for _ in range(2)],
                          messy=rng.random() < o.messy, correction=rng.random() < o.corrections,
                          unregistered=None if voice else unregistered, seed=o.seed * 7919 + i,
                          voice=voice))
    return plans


def observer_plans(rows: list[dict[str, str]], o: DrillOptions) -> list[observers.ObserverPlan]:
    """The night's observers (the same for the same options: registered first, played later)."""
    return observers.make_plans(make_plans(rows, o), o.observers, o.planted_conflicts, o.seed,
                                observers.tolerance(Config.from_env()))


def staff_shift(o: DrillOptions) -> staff.Shift:
    return staff.Shift(staff.names(o.staff), think=o.staff_think, poll=o.staff_poll, seed=o.seed)


def ceilings(cluster: Cluster, db: Database, o: DrillOptions) -> dict[str, Any]:
    """Our webhook against the no-op webhook (same gunicorn settings), in alternating rounds."""
    o.log(f"measuring webhook capacity: ours and the no-op webhook, {ROUNDS} rounds each ...")
    cluster.start_web(noop=True)
    cluster.start_web()
    web = ceilings_mod.paired(
        ROUNDS, lambda: load.closed_loop(cluster.noop_url, DRILL_TOKEN, PROBE_SECONDS, 8, "noop-probe"),
        lambda: load.closed_loop(cluster.url, DRILL_TOKEN, PROBE_SECONDS, 8, "probe"))
    cluster.stop_web(noop=True)
    redis = Redis.from_url(cluster.redis.url)
    for lane in (Q_INBOUND, Q_UNKNOWN):  # probes, not texts (no chair has texted yet)
        Queue(lane, connection=redis).empty()
    redis.delete(status.PARKED_KEY)  # nor should the sweeper spend the job rounds moving them
    with db.transaction() as uow:
        uow.session.execute(update(InboundMessage).where(InboundMessage.processed_at.is_(None))
                            .values(processed_at=utcnow(), outcome="drill-probe"))
    return {"webhook": web}


def schedule_faults(cluster: Cluster, o: DrillOptions, t0: float, record: list[dict[str, Any]]) -> list[threading.Thread]:
    """Break parts of the system at set points of the night; each fault's window goes into `record`."""
    events: list[tuple[float, str, Callable[[], None]]] = []
    if "kill-worker" in o.faults:
        # A processor and a sender at once: one dies mid-text, the other mid-send (claimed, its
        # Twilio call in flight or its answer unrecorded), which the sweeper must settle.
        events.append((0.3, "kill -9 processor-0 and sender-0", lambda: (
            cluster.kill_worker("processor-0"), cluster.kill_worker("sender-0"), time.sleep(3),
            cluster.restart_worker("processor-0"), cluster.restart_worker("sender-0"))))
    if "redis-restart" in o.faults:
        events.append((0.5, "Redis down 5 s", lambda: cluster.restart_redis(5)))
    if "db-outage" in o.faults:
        events.append((0.7, "database locked 4 s", lambda: cluster.lock_database(4)))
    extra: dict[str, Any] = {}
    if hosts.HOST_LOSS in o.faults and o.hosts > 1:
        lost = hosts.lost_host(o.hosts)
        extra[f"host {lost} lost"] = {"host": lost}

        def lose() -> None:
            extra[f"host {lost} lost"]["killed"] = cluster.kill_host(lost)
            time.sleep(o.loss_down)
            extra[f"host {lost} lost"]["back_at"] = time.time()  # its processes start again
            cluster.start_host(lost)
        events.append((hosts.LOSS_AT, f"host {lost} lost (kill -9 its web and workers, "
                                      f"{o.loss_down:g} s down)", lose))
    threads = []
    for share, label, action in events:
        def fire(share: float = share, label: str = label, action: Callable[[], None] = action) -> None:
            time.sleep(max(0.0, t0 + share * o.burst - time.time()))
            o.log(f"fault: {label}")
            started = time.time()
            action()
            more = next((v for k, v in extra.items() if label.startswith(k)), {})
            record.append({"fault": label, "started": started, "ended": time.time(), "outage": True, **more})
        threads.append(threading.Thread(target=fire, daemon=True))
        threads[-1].start()
    return threads


def wait_recorded(db: Database, expected: int, timeout: float) -> float | None:
    """Seconds until `expected` precincts have all three stages current (None on timeout)."""
    started = time.time()
    while time.time() - started < timeout:
        with db.transaction() as uow:
            done = uow.session.scalar(select(func.count()).select_from(
                select(Report.precinct_id).where(Report.status == "current").group_by(Report.precinct_id)
                .having(func.count() == 3).subquery()))
        if done >= expected:
            return time.time()
        time.sleep(0.5)
    return None


def play_night(cluster: Cluster, db: Database, o: DrillOptions, rows: list[dict[str, str]],
               delegates: dict[str, int], generators: set[int]) -> dict[str, Any]:
    """The chairs' burst and the flood; the load generators' pids go into `generators`."""
    with db.transaction() as uow:
        cands = status.candidates(uow.session)
    plans = make_plans(rows, o)
    t0 = time.time() + 3
    chair_rate = len(plans) * 6.2 / o.burst
    flood_results: "mp.Queue[dict]" = mp.Queue()
    flood = mp.Process(target=load.flood, args=(cluster.url, DRILL_TOKEN, chair_rate * o.flood,
                                                t0 + 0.5 * o.burst, t0 + o.burst, 400, flood_results),
                       kwargs={"ports": tuple(cluster.ports) if o.hosts > 1 else ()}, daemon=True)
    if o.flood > 0:
        flood.start()
        generators.add(flood.pid)
    fault_windows: list[dict[str, Any]] = []
    if "twilio-errors" in o.faults:  # all night long: the stand-in fails and hangs at random
        fault_windows.append({"fault": "Twilio errors and timeouts", "started": t0, "ended": t0 + o.burst})
    if "duplicates" in o.faults:
        fault_windows.append({"fault": "duplicated and late webhooks", "started": t0, "ended": t0 + o.burst})
    schedule_faults(cluster, o, t0, fault_windows)
    scraped: dict[str, Any] = {}
    threading.Thread(target=scrape_metrics, args=(cluster, o, t0 + hosts.SCRAPE_AT * o.burst, scraped),
                     daemon=True).start()
    # Several hosts: chairs' and voice callers' requests go to any host (hosts.Balanced).
    ctx = {"url": cluster.url, "token": DRILL_TOKEN, "redis_url": cluster.phones.url, "t0": t0,
           "duplicates": "duplicates" in o.faults, "hosts": cluster.urls if o.hosts > 1 else [],
           "seed": o.seed}
    o.log(f"playing the night: {len(plans)} chairs over {o.burst:.0f} s, flood {o.flood}x from half-time")
    watchers = observer_plans(rows, o)
    observing = observers.start(watchers, delegates, cands, ctx, generators)
    staffing = staff.start(cluster.url, staff_shift(o), generators)
    outcomes = load.run_chairs(plans, delegates, cands, ctx, generators=generators)
    observed = observing.collect()
    last = max((out["last_sent"] for out in outcomes), default=time.time())
    all_done = wait_recorded(db, len(plans), timeout=120)
    worked = staffing.finish()  # the night is over: they work off what is left, then stop
    flood_run = flood_results.get(timeout=60) if o.flood > 0 else {"latency_ms": [], "per_second": 0.0}
    if o.flood > 0:
        flood.join(timeout=10)
    return {"t0": t0, "plans": plans, "outcomes": outcomes, "last_chair_message": last, "faults": fault_windows,
            "all_recorded_at": all_done, "flood_latency": flood_run["latency_ms"], "chair_rate": chair_rate,
            "observer_plans": watchers, "observer_outcomes": observed, "staff_worked": worked,
            "metrics_during_night": scraped,
            "flood_multiple": {"asked": o.flood, "reached": round(flood_run["per_second"] / chair_rate, 2)}}


def scrape_metrics(cluster: Cluster, o: DrillOptions, at: float, into: dict[str, Any]) -> None:
    """Read host 0's /metrics with the bearer token at `at`, as a monitoring system would; keep
    the page in the drill folder and its interesting lines in `into`."""
    import requests
    time.sleep(max(0.0, at - time.time()))
    into["at"] = time.time()
    path = o.folder / hosts.METRICS_FILE
    try:
        answer = requests.get(f"{cluster.urls[0]}/metrics", timeout=10,
                              headers={"Authorization": f"Bearer {hosts.METRICS_TOKEN}"})
    except requests.RequestException as exc:
        into["error"] = repr(exc)
        return
    path.write_text(answer.text)
    into.update({"status": answer.status_code, "file": str(path), "lines": len(answer.text.splitlines()),
                 "excerpt": hosts.metrics_excerpt(answer.text) if answer.ok else []})


def hosts_report(cluster: Cluster, o: DrillOptions, t0: float, faults: list[dict[str, Any]]) -> dict[str, Any]:
    """How many hosts, which one was lost when, and the webhooks each served from the night's start."""
    loss = next((f for f in faults if "host" in f and "back_at" in f), None)
    served = []
    for h in range(o.hosts):
        log = cluster.access_log_of(h)
        row: dict[str, Any] = {"host": h, "port": cluster.ports[h], "by_client": hosts.served(log, t0)}
        row["webhooks"] = sum(row["by_client"].values())
        if loss is not None and loss["host"] == h:
            row["before_loss"] = sum(hosts.served(log, t0, loss["started"]).values())
            row["after_return"] = sum(hosts.served(log, loss["back_at"]).values())
        served.append(row)
    lost = None if loss is None else {
        "host": loss["host"], "at_s": round(loss["started"] - t0, 1), "down_s": round(loss["back_at"] - loss["started"], 1),
        "back_serving_s": round(loss["ended"] - t0, 1), "killed": loss.get("killed", [])}
    return {"count": o.hosts, "lost": lost, "served": served}


# Seconds after the night in which the unknown numbers' lane is judged. The sweeper lets the
# lane's texts through a sweep's worth (5 s) at a time, so a 10-s window held two sweeps or one
# and a half, and read 0.78-1.02 of the budget on a lane running steadily.
LANE_WINDOW = 20.0


def lane_after_night(cluster: Cluster, db: Database) -> dict[str, Any]:
    """The unknown numbers' lane over a short window once the chairs are done.

    During the night chairs go first, so on a machine the chairs fill the lane may rightly get
    little; once they are done it must run at its budget while texts wait (a lane that stalled
    once went unseen because nothing judged it).
    """
    redis = Redis.from_url(cluster.redis.url)
    budget = Config.from_env(cluster.env()).unknown_processing_per_second

    def snapshot() -> dict[str, Any]:
        with db.transaction() as uow:
            return metrics.unknown_lane(uow.session, redis, load.FLOOD_PREFIX)

    before = snapshot()
    time.sleep(LANE_WINDOW)
    return metrics.lane_rate(before, snapshot(), LANE_WINDOW, budget)


def job_throughput(cluster: Cluster, db: Database, o: DrillOptions, rows: list[dict[str, str]]) -> dict[str, Any]:
    """Texts handled per second by our processors against RQ no-op jobs, in alternating rounds."""
    from hotline_drill.chairs import Texter
    redis = Redis.from_url(cluster.redis.url)
    cluster.start_workers(senders=False)  # like the no-op ceiling: processors alone
    cluster.start_noop_workers()
    ceilings_mod.wait_workers(redis, 2 * o.processors)
    texter = Texter(cluster.url, DRILL_TOKEN, cluster.phones.url, client="probe")
    # One STATUS text per chair per round, so no two workers wait on one phone's lock.
    per_round = max(100, min(JOB_TEXTS, len(rows) // ROUNDS))
    sent = iter(range(10**9))

    def texts() -> None:
        for _ in range(per_round):
            texter.post(rows[next(sent) % len(rows)]["phones"].split(";")[0], "STATUS")

    jobs = ceilings_mod.paired(ROUNDS, lambda: ceilings_mod.noop_jobs(redis, 2 * per_round),
                               lambda: ceilings_mod.our_jobs(redis, db, texts))
    cluster.stop_noop_workers()
    cluster.start_workers(processors=False)
    return {**jobs, "texts_per_round": per_round, "worker_class": "SimpleWorker", "processors": o.processors}


def drain_phones(cluster: Cluster, rows: list[dict[str, str]], timeout: float = 60) -> None:
    """Wait for queued STATUS replies to go out, then empty every chair's phone."""
    redis = Redis.from_url(cluster.redis.url)
    deadline = time.time() + timeout
    while time.time() < deadline and any(Queue(q, connection=redis).count for q in ("replies", "outbound")):
        time.sleep(0.5)
    Redis.from_url(cluster.phones.url).flushdb()


def drill(o: DrillOptions) -> dict[str, Any]:
    """Run the whole drill; returns the report (figures, ratios, verdicts)."""
    problem = hosts.hosts_problem(o.hosts, o.database_url)
    if problem:
        raise ValueError(problem)
    o.folder.mkdir(parents=True, exist_ok=True)
    # PostgreSQL: a database of the drill's own, dropped at the end (never the one named).
    with hosts.own_database(o.database_url or f"sqlite:///{o.folder / 'drill.sqlite3'}") as url:
        if o.database_url and url != o.database_url:
            o.log(f"using a database of the drill's own, {url.rsplit('/', 1)[-1]} (dropped at the end)")
        return _drill(o, url)


def _drill(o: DrillOptions, url: str) -> dict[str, Any]:
    started = time.monotonic()
    migrate.upgrade(url)
    db = Database(url)
    o.log(f"generating {o.precincts} precincts and loading the roster ...")
    rows, delegates = setup_state(db, o.precincts, o.seed)
    if o.observers > 0:
        o.log("importing observers ...")
        observers.register(url, o.folder, observer_plans(rows, o))
    if o.staff > 0:
        o.log(f"creating {o.staff} staff accounts ...")
        staff.register(url, o.folder, staff.names(o.staff))
    twilio_faults = "twilio-errors" in o.faults
    cluster = Cluster(Options(folder=o.folder, database_url=url, web_workers=o.web_workers,
                              processors=o.processors, senders=o.senders,
                              sending_numbers=o.sending_numbers, send_rate=o.send_rate,
                              twilio_fail_rate=0.05 if twilio_faults else 0.0,
                              twilio_slow_rate=0.005 if twilio_faults else 0.0, hosts=o.hosts))
    generators: set[int] = set()  # the load generators lead sessions (so process groups) of their own
    # The cluster's own entries come last, so they win a reused pid.
    sampler = CpuSampler(lambda: {**{pid: GENERATORS for pid in set(generators)},
                                  **{pgid: role_of(name) for pgid, name in cluster.process_groups().items()}})
    try:
        cluster.start_backing()
        sampler.start()
        ceil = ceilings(cluster, db, o)
        o.log("measuring job throughput ...")
        jobs = job_throughput(cluster, db, o, rows)
        drain_phones(cluster, rows)
        for h in range(1, o.hosts):  # the ceilings are measured on host 0 alone
            o.log(f"starting host {h} (web on port {cluster.ports[h]}, its processors and senders) ...")
            cluster.start_host(h)
        night = play_night(cluster, db, o, rows, delegates, generators)
        lane = lane_after_night(cluster, db) if o.flood > 0 else None  # its window lets the last replies leave
        if lane is None:
            time.sleep(5)  # let the last replies leave
        phones = {r["phones"].split(";")[0] for r in rows}
        with db.transaction() as uow:
            current = metrics.current_counts(uow.session)
            integ = metrics.integrity(uow.session, night["outcomes"], phones, current)
            e2e = metrics.end_to_end(uow.session, night["outcomes"])
            sending = metrics.sending(Redis.from_url(cluster.phones.url), uow.session, o.send_rate,
                                      o.sending_numbers, night["t0"])
            failed = metrics.failed_jobs(uow.session, _failed_jobs(cluster))
            faults = metrics.by_fault(night["outcomes"], night["faults"], current)

        outages = [(f["started"], f["ended"]) for f in night["faults"] if f.get("outage")]
        server: dict[str, list[float]] = {}
        for h in range(o.hosts):
            for client, ms in metrics.server_times(cluster.access_log_of(h), night["t0"] + 0.5 * o.burst,
                                                   outages).items():
                server.setdefault(client, []).extend(ms)
        result = report.build(night, ceil, integ, e2e, sending, jobs, o.burst, server)
        result["faults"] = faults
        result["hosts"] = hosts_report(cluster, o, night["t0"], night["faults"])
        result["metrics_during_night"] = night["metrics_during_night"]
        result["unknown_lane"] = lane
        with db.transaction() as uow:
            result["observers"] = observers.judge(uow.session, night["observer_plans"], night["outcomes"],
                                                  night["observer_outcomes"], observers.tolerance(Config.from_env())) \
                if night["observer_plans"] else None
            result["figures"] = metrics.staff_and_queue(uow.session)
            result["staff"] = staff.judge(uow.session, night["staff_worked"], staff.names(o.staff), o.observers > 0) \
                if o.staff > 0 else None
        half = night["t0"] + 0.5 * o.burst
        result["cpu_cores"] = {"cpus": sampler.cpus, "before_flood": sampler.cores(night["t0"], half),
                               "during_flood": sampler.cores(half, night["t0"] + o.burst)}
        result["failed_jobs"] = failed
        result["ceilings"] = ceil
    finally:
        sampler.stop()
        cluster.stop()
        db.dispose()
    # The whole run, setup and teardown included: the bound is on what a person waits for.
    result["drill_seconds"] = round(time.monotonic() - started, 1)
    # The bound is on `make drill`, the default night; a longer burst or a bigger state takes longer.
    result["drill_at_defaults"] = (o.precincts, o.burst) == (DEFAULT.precincts, DEFAULT.burst)
    result["verdicts"] = report.verdicts(result, o.send_rate)
    return result


def _failed_jobs(cluster: Cluster) -> list[str]:
    from rq.registry import FailedJobRegistry

    from hotline.adapters.queues import ALL_QUEUES
    redis = Redis.from_url(cluster.redis.url)
    return [job for q in ALL_QUEUES for job in FailedJobRegistry(q, connection=redis).get_job_ids()]
