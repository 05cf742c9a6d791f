"""The key figures behind the Operations page and /metrics, from a real night's rows."""
from __future__ import annotations

from hotline.services.log import checkpoints
from hotline.services.ops import operations
from tests.support.chairs import Phone, load_roster, report

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"


def test_figures_count_waiting_texts_reports_by_state_and_the_checkpoints_age(rt, client):
    load_roster(rt)
    empty = operations.figures(rt.units, rt.redis)
    assert (empty.texts_waiting, empty.oldest_waiting_seconds, empty.checkpoint_age_seconds) == (0, None, None)
    assert empty.precincts == 4 and empty.reports_by_state == {} and empty.failed_jobs["inbound"] == 0
    chair = Phone(client, rt, "+15155550142")
    report(chair, FIRST)  # read back and confirmed
    chair.send("final: Pete 55, Bernie 48, Warren 32")  # read back, not yet confirmed
    Phone(client, rt, "+15155550107").send("HELP", process=False)  # still waiting for a worker
    checkpoints.take(rt.units, rt.redis)
    f = operations.figures(rt.units, rt.redis)
    assert f.texts_waiting == 1 and f.oldest_waiting_seconds is not None and f.oldest_waiting_seconds < 60
    assert f.reports_by_state == {"confirmed": 1, "awaiting_confirmation": 1}
    assert f.confirmed_recently == 1 and f.precincts_reporting == 1
    assert f.queue_depths is not None and sum(f.queue_depths.values()) == 1
    assert f.checkpoint_age_seconds is not None and f.checkpoint_age_seconds < 60


def test_the_schema_of_the_test_database_is_at_head(rt):
    assert operations.migrations_at_head(rt.units)
