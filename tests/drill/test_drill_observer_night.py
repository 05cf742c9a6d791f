"""A small drill night with observers against the real running system (gunicorn, RQ workers,
Redis, SQLite, the Twilio stand-in): the hotline finds exactly the planted conflicts.

The capacity ceilings are left out (they take a minute); the night itself is `run.play_night`.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from hotline.adapters import migrate
from hotline.adapters.db import Database
from hotline.config import Config
from hotline_drill import metrics, observers, report, run
from hotline_drill.cluster import Cluster, Options

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def test_a_small_night_with_observers_finds_exactly_the_planted_conflicts(tmp_path: Path) -> None:
    # Chairs who confirm a typo and correct it: their observers may see a conflict open and clear.
    o = run.DrillOptions(folder=tmp_path, precincts=12, burst=4.0, flood=0.0, voice=0.0, corrections=0.3,
                         observers=0.5, planted_conflicts=2, web_workers=1, processors=1, senders=1,
                         sending_numbers=20, log=lambda _: None)
    url = f"sqlite:///{tmp_path / 'drill.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    rows, delegates = run.setup_state(db, o.precincts, o.seed)
    observers.register(url, tmp_path, run.observer_plans(rows, o))
    cluster = Cluster(Options(folder=tmp_path, database_url=url, web_workers=o.web_workers,
                              processors=o.processors, senders=o.senders, sending_numbers=o.sending_numbers))
    try:
        cluster.start_backing()
        cluster.start_web()
        cluster.start_workers()
        night = run.play_night(cluster, db, o, rows, delegates, set())
        with db.transaction() as uow:
            judged = observers.judge(uow.session, night["observer_plans"], night["outcomes"],
                                     night["observer_outcomes"], observers.tolerance(Config.from_env()))
            figures = metrics.staff_and_queue(uow.session)
    finally:
        cluster.stop()
        db.dispose()
    assert [p for out in night["outcomes"] for p in out["problems"]] == []
    assert judged["problems"] == []
    assert len(judged["planted"]) == 2 and judged["expected_conflicts"] == judged["planted"]
    # A conflict that opened on a chair's typo and cleared with the correction may add a clause.
    assert observers.line(judged).startswith(
        "observers: 6 precincts observed, 2 planted conflicts: 2 found, 0 false, 0 missed; 4 corroborated")
    assert all(observers.verdicts(judged).values())
    assert judged["readbacks"] == judged["recorded"] >= 12  # at least two stages each
    # The conflicts wait in the queue for staff (no one in this drill acts on them).
    assert figures["staff"] == {} and figures["queue"]["by_kind"]["source_conflict"]["waiting"] == 2
    assert any(line.startswith("queue: ") and "source_conflict 2" in line for line in report.figures(figures))
