"""A small drill night with observers and two simulated staff against the real running system
(gunicorn, RQ workers, Redis, SQLite, the Twilio stand-in): the staff sign in through the console's
pages, settle every conflict and work off the queue, and their figures show it.

The capacity ceilings are left out (they take a minute); the night itself is `run.play_night`.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.adapters import migrate
from hotline.adapters.db import Database
from hotline.adapters.models import BacklogItem
from hotline.config import Config
from hotline_drill import metrics, observers, report, run, staff
from hotline_drill.chairs import Texter
from hotline_drill.cluster import DRILL_TOKEN, Cluster, Options

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def test_a_small_night_with_staff_settles_every_conflict_through_the_console(tmp_path: Path) -> None:
    # No corrections: every conflict then stays open until someone settles it, so each must be staff's.
    o = run.DrillOptions(folder=tmp_path, precincts=12, burst=4.0, flood=0.0, voice=0.0, corrections=0.0,
                         observers=0.5, planted_conflicts=2, staff=2, staff_think=(0.05, 0.2), staff_poll=0.3,
                         web_workers=1, processors=1, senders=1, sending_numbers=20, log=lambda _: None)
    url = f"sqlite:///{tmp_path / 'drill.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    rows, delegates = run.setup_state(db, o.precincts, o.seed)
    observers.register(url, tmp_path, run.observer_plans(rows, o))
    staff.register(url, tmp_path, staff.names(o.staff))
    cluster = Cluster(Options(folder=tmp_path, database_url=url, web_workers=o.web_workers,
                              processors=o.processors, senders=o.senders, sending_numbers=o.sending_numbers))
    try:
        cluster.start_backing()
        cluster.start_web()
        cluster.start_workers()
        # Two strangers text in: items staff resolve with a plain note. (Settled conflicts are not in
        # the per-staff figures: those count the log's `backlog_resolved` entries.)
        stranger = Texter(cluster.url, DRILL_TOKEN, cluster.phones.url, client="probe")
        for phone in ("+12085550101", "+12085550102"):
            stranger.post(phone, "hi who is this")
        night = run.play_night(cluster, db, o, rows, delegates, set())
        with db.transaction() as uow:
            judged = observers.judge(uow.session, night["observer_plans"], night["outcomes"],
                                     night["observer_outcomes"], observers.tolerance(Config.from_env()))
            figures = metrics.staff_and_queue(uow.session)
            worked = staff.judge(uow.session, night["staff_worked"], staff.names(o.staff), observers=True)
            conflicts = list(uow.session.execute(select(BacklogItem.resolved_at, BacklogItem.resolved_by)
                                                 .where(BacklogItem.kind == "source_conflict")))
    finally:
        cluster.stop()
        db.dispose()
    assert [p for out in night["outcomes"] for p in out["problems"]] == []
    assert [p for w in night["staff_worked"] for p in w["problems"]] == []
    # The planted conflicts were found (their items exist, settled by staff) and nothing else.
    assert len(judged["planted"]) == 2 and judged["found"] == 2
    assert all(observers.verdicts(judged).values()), observers.line(judged)
    assert len(conflicts) == 2
    assert all(at is not None and who in staff.names(o.staff) for at, who in conflicts), conflicts
    assert worked["on_shift"] == 2 and worked["conflicts"] == {"items": 2, "open": 0, "settled_by_staff": 2}
    assert worked["resolved"] >= 4 and worked["median_claim_to_resolve_s"] is not None
    assert staff.line(worked).startswith(f"staff: 2 on shift, {worked['resolved']} items resolved (median claim "
                                         "to resolve ")
    assert all(staff.verdicts(worked).values())
    # The per-staff figures come from the log's staff entries; the queue was worked off.
    assert figures["staff"] and set(figures["staff"]) <= set(staff.names(o.staff)), night["staff_worked"]
    assert figures["queue"]["waiting"] == worked["left_waiting"] == 0
    lines = report.figures(figures)
    assert any(line.startswith("staff drill-staff-") for line in lines) and lines[-1] == "queue: no items waiting"
