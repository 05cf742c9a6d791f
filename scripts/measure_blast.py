"""A reminder blast to the missing precincts of a simulated night, measured on the drill's Twilio
stand-in, against the send budget planner's estimate. Developer aid, not part of the suite:

    .venv/bin/python scripts/measure_blast.py [--precincts 400] [--numbers 5] [--rate 1] [--folder DIR]

It starts the system as the drill does (gunicorn, processors, senders, Redis, the Twilio stand-in;
hotline_drill/cluster.py), plays a partial night over signed webhooks (55% of the chairs report all
three stages, 15% only the first, the others nothing), at a fast sending rate so the night itself
does not take long. Then it restarts the senders at `--rate` per number, runs
`hotline remind --missing`, and while the blast goes out has a few late chairs text their first
alignment (their read-backs must not wait behind the blast). It prints the blast's texts and
segments, the planner's estimate, and the measured time from the blast's creation to the last
blast text handed to the stand-in.
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from redis import Redis
from sqlalchemy import func, select

from hotline.adapters import migrate
from hotline.adapters.db import Database
from hotline.adapters.models import Blast, OutboundMessage, Report
from hotline.domain import send_budget
from hotline.domain.model import Stage
from hotline.domain.segments import segments
from hotline.services.ops import status
from hotline_drill.chairs import Texter
from hotline_drill.cluster import DRILL_TOKEN, Cluster, Options
from hotline_drill.run import setup_state
from hotline_drill.simulation import caucus_night, stage_text

NIGHT_RATE = 20.0  # segments a second per number while the night is played (not what is measured)
STAGES = [Stage.FIRST, Stage.FINAL, Stage.DELEGATES]


def play_chair(texter: Texter, phone: str, stages: int, seed: int, candidates: list, delegates: int) -> int:
    """Report `stages` stages and confirm each with its code; how many were confirmed."""
    rng = random.Random(seed)
    night = caucus_night(rng, candidates, delegates)
    counts = {Stage.FIRST: night.first, Stage.FINAL: night.final, Stage.DELEGATES: night.delegates}
    done = 0
    for i, stage in enumerate(STAGES[:stages]):
        texter.post(phone, stage_text(rng, stage, counts[stage], messy=False,
                                      attendance=night.attendance if i == 0 else None))
        code, _ = texter.reply_with_code(phone)
        if not code:
            continue
        texter.post(phone, f"YES {code}")
        if (texter.reply(phone) or "").startswith("Recorded"):
            done += 1
    return done


def wait_idle(redis: Redis, queues: tuple[str, ...] = ("replies", "inbound", "outbound", "bulk"),
              timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not any(redis.llen(f"rq:queue:{q}") for q in queues):
            time.sleep(2)
            if not any(redis.llen(f"rq:queue:{q}") for q in queues):
                return
        time.sleep(0.5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--precincts", type=int, default=400)
    ap.add_argument("--numbers", type=int, default=5)
    ap.add_argument("--rate", type=float, default=1.0)
    ap.add_argument("--folder", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="measure-blast-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'blast.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    rows, delegates = setup_state(db, args.precincts, args.seed)
    with db.transaction() as uow:
        candidates = status.candidates(uow.session)
    cluster = Cluster(Options(folder=folder, database_url=url, web_workers=2, processors=2, senders=4,
                              sending_numbers=args.numbers, send_rate=NIGHT_RATE))
    rng = random.Random(args.seed)
    plan = []  # (row, stages to report): 55% all three, 15% the first only, 30% nothing
    for r in rows:
        roll = rng.random()
        plan.append((r, 3 if roll < 0.55 else 1 if roll < 0.70 else 0))
    try:
        cluster.start_backing()
        cluster.start_web()
        cluster.start_workers()
        texter = Texter(cluster.url, DRILL_TOKEN, cluster.phones.url)
        started = time.time()
        with ThreadPoolExecutor(max_workers=40) as pool:
            confirmed = sum(pool.map(lambda pr: play_chair(texter, pr[0]["phones"].split(";")[0], pr[1],
                                                           args.seed * 7919 + rows.index(pr[0]), candidates,
                                                           delegates[pr[0]["precinct"]]),
                                     [pr for pr in plan if pr[1]]))
        redis = Redis.from_url(cluster.redis.url)
        wait_idle(redis)
        with db.transaction() as uow:
            recorded = uow.session.scalar(select(func.count()).select_from(Report).where(Report.status == "current"))
        print(f"night: {len(rows)} precincts; {sum(1 for _, n in plan if n == 3)} reported all three stages, "
              f"{sum(1 for _, n in plan if n == 1)} only the first, {sum(1 for _, n in plan if n == 0)} nothing; "
              f"{confirmed} stages confirmed ({recorded} recorded) in {time.time() - started:.0f} s")
        Redis.from_url(cluster.phones.url).flushdb()

        # The blast, on the numbers at the rate being measured.
        for i in range(cluster.opts.senders):
            cluster._stop(f"sender-{i}")
        cluster.opts.send_rate = args.rate
        cluster.start_workers(processors=False)
        time.sleep(3)
        hotline = str(Path(sys.executable).parent / "hotline")
        dry = subprocess.run([hotline, "remind", "--missing", "--dry-run"], env=cluster.env(),
                             capture_output=True, text=True, check=True)
        print(f"$ hotline remind --missing --dry-run\n{dry.stdout.strip()}")
        late = [r for r, n in plan if n == 0][:5]  # chairs who text while the blast goes out
        waits: list[float] = []

        def late_chair(r: dict) -> None:
            time.sleep(2)
            phone = r["phones"].split(";")[0]
            rng2 = random.Random(r["precinct"])
            night = caucus_night(rng2, candidates, delegates[r["precinct"]])
            sent = time.time()
            texter.post(phone, stage_text(rng2, Stage.FIRST, night.first, messy=False, attendance=night.attendance))
            code, _ = texter.reply_with_code(phone)
            if code:
                waits.append(time.time() - sent)

        threads = [threading.Thread(target=late_chair, args=(r,)) for r in late]
        sent = subprocess.run([hotline, "remind", "--missing", "--by", "measure_blast"], env=cluster.env(),
                              capture_output=True, text=True)
        for t in threads:
            t.start()
        print(f"$ hotline remind --missing --by measure_blast\n{(sent.stdout + sent.stderr).strip()}")
        with db.transaction() as uow:
            blast = uow.session.scalars(select(Blast).order_by(Blast.id.desc())).first()
            assert blast is not None, "no blast was stored"
            created, texts = blast.created_at, blast.recipients
        deadline = time.time() + 3 * texts / (args.numbers * args.rate) + 60
        while time.time() < deadline:
            with db.transaction() as uow:
                rows_ = uow.session.execute(select(OutboundMessage.body, OutboundMessage.sent_at, OutboundMessage.status)
                                            .where(OutboundMessage.kind == "blast_reminder")).all()
            if rows_ and all(r.sent_at is not None for r in rows_):
                break
            time.sleep(0.5)
        for t in threads:
            t.join(timeout=120)
        segs = sum(segments(r.body) for r in rows_)
        last = max(r.sent_at for r in rows_ if r.sent_at is not None)
        measured = (last - created).total_seconds()
        estimate = send_budget.sending_seconds(segs, args.numbers, args.rate)
        a = send_budget.Assumptions(reminder_share=len(rows_) / len(rows))
        planned = send_budget.plan(len(rows), args.numbers, args.rate, a)
        print(f"blast: {len(rows_)} texts, {segs} segments ({segs / max(1, len(rows_)):.2f} each), "
              f"on {args.numbers} numbers at {args.rate:g} segment/s")
        print(f"planner's estimate: {estimate:.1f} s (plan for {len(rows)} precincts, "
              f"{a.reminder_share:.0%} reminded: {planned.reminder_sending_seconds:.1f} s)")
        print(f"measured on the Twilio stand-in: {measured:.1f} s from the blast's creation to its last text")
        if waits:
            print(f"late chairs' read-backs during the blast: {len(waits)}, waited {min(waits):.1f}-{max(waits):.1f} s "
                  f"(their text to the code on the phone)")
        print(f"logs and database: {folder}")
    finally:
        cluster.stop()
        db.dispose()


if __name__ == "__main__":
    main()
