"""A small drill night on two hosts against one PostgreSQL and one Redis (gunicorn, RQ workers,
the Twilio stand-in, all real), with one host lost mid-night: kill -9 of its web and workers,
started again a few seconds later. Nothing may be lost or recorded twice, every chair answered.

The capacity ceilings are left out (they take a minute); the night itself is `run.play_night`.
PostgreSQL only (several hosts on one SQLite file is not a setup): skipped without TEST_DATABASE_URL.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterator

import pytest

from hotline.adapters import migrate
from hotline.adapters.db import Database
from hotline_drill import hosts, metrics, report, run
from hotline_drill.cluster import Cluster, Options

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database of the drill's own (hosts.own_database), dropped afterwards."""
    admin = os.environ.get("TEST_DATABASE_URL")
    if not admin:
        pytest.skip("PostgreSQL tests skipped: TEST_DATABASE_URL is not set")
    with hosts.own_database(admin) as url:
        assert url.rsplit("/", 1)[-1].startswith("hotline_drill_")
        yield url


def test_two_hosts_lose_one_and_nothing_is_lost_or_recorded_twice(tmp_path: Path, pg_url: str) -> None:
    o = run.DrillOptions(folder=tmp_path, database_url=pg_url, precincts=12, burst=14.0, flood=0.0, voice=0.0,
                         faults=("host-loss",), hosts=2, loss_down=3.0, web_workers=1, processors=1, senders=1,
                         sending_numbers=20, log=lambda _: None)
    migrate.upgrade(pg_url)
    db = Database(pg_url)
    rows, delegates = run.setup_state(db, o.precincts, o.seed)
    cluster = Cluster(Options(folder=tmp_path, database_url=pg_url, web_workers=o.web_workers,
                              processors=o.processors, senders=o.senders, sending_numbers=o.sending_numbers,
                              hosts=o.hosts))
    try:
        cluster.start_backing()
        for h in range(o.hosts):
            cluster.start_host(h)
        night = run.play_night(cluster, db, o, rows, delegates, set())
        phones = {r["phones"].split(";")[0] for r in rows}
        deadline = time.time() + 15  # the last replies leave
        while True:
            with db.transaction() as uow:
                current = metrics.current_counts(uow.session)
                integ = metrics.integrity(uow.session, night["outcomes"], phones, current)
                faults = metrics.by_fault(night["outcomes"], night["faults"], current)
            if integ["replies_never_sent"] == 0 or time.time() > deadline:
                break
            time.sleep(0.5)
        served = run.hosts_report(cluster, o, night["t0"], night["faults"])
    finally:
        cluster.stop()
        db.dispose()
    # Each host has its own instance folder: spool, metrics, logs.
    for h in (0, 1):
        assert (tmp_path / f"host-{h}" / "access.log").exists() and (tmp_path / f"host-{h}" / "metrics").is_dir()
    assert (tmp_path / "host-1" / "web-h1.log").exists() and not (tmp_path / "web-h1.log").exists()
    problems = [p for out in night["outcomes"] for p in out["problems"]]
    assert problems == []  # every chair answered, those whose webhook met the lost host too
    assert night["all_recorded_at"] is not None
    assert {k: integ[k] for k in ("reports_lost", "reports_recorded_twice", "texts_handled_twice",
                                  "replies_never_sent")} == dict.fromkeys(
        ("reports_lost", "reports_recorded_twice", "texts_handled_twice", "replies_never_sent"), 0), integ
    assert integ["stages_expected"] == 3 * o.precincts
    [loss] = faults
    assert loss["fault"].startswith("host 1 lost") and loss["lost"] == 0 and loss["confirmations"] > 0
    # The fault covered traffic: host 1 served webhooks before it went and after it came back.
    lost = served["lost"]
    assert lost["host"] == 1 and sorted(lost["killed"]) == ["processor-0-h1", "sender-0-h1", "web-h1"]
    assert lost["down_s"] >= 3.0
    assert report._host_loss_verdicts(served) == {
        "host 1 served webhooks before it was lost and after it came back": True}, served
    assert all(row["webhooks"] > 0 for row in served["served"]), served
    # host 0's /metrics, read with the bearer token at 60% of the night.
    scraped = night["metrics_during_night"]
    assert scraped.get("status") == 200, scraped
    assert (tmp_path / hosts.METRICS_FILE).read_text().startswith("#")
    assert any(line.startswith("hotline_webhook_seconds_count") for line in scraped["excerpt"]), scraped
