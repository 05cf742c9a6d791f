"""The drill judges the unknown numbers' lane: what it handled after the night against its budget."""
from __future__ import annotations

from hotline_drill import metrics, report
from hotline_drill.load import FLOOD_PREFIX
from hotline.adapters.models import InboundMessage, utcnow
from hotline.services.sms import inbox
from hotline.services.sms.inbox import PARKED_KEY
from tests.drill.test_drill_metrics import _passing_report

LANE_VERDICT = "the unknown numbers' lane runs at >= 0.8x its budget after the night"


def flood_rows(rt, outcomes: list[str | None]) -> None:
    with rt.db.transaction() as uow:
        for i, outcome in enumerate(outcomes):
            uow.session.execute(InboundMessage.__table__.insert().values(
                sid=f"SMlane{i}", from_number=f"{FLOOD_PREFIX}{i:04d}", body="lol", raw={},
                outcome=outcome, received_at=utcnow()))
        # a chair's text is no flood text
        uow.session.execute(InboundMessage.__table__.insert().values(
            sid="SMchair", from_number="+15155550142", body="status", raw={}, outcome="status",
            received_at=utcnow()))


def test_flood_texts_are_counted_as_handled_waiting_or_over_the_allowance(rt):
    flood_rows(rt, ["unknown_sender"] * 40 + ["ignored"] * 10 + [None] * 60 + ["throttled"] * 7)
    rt.redis.rpush(PARKED_KEY, "N" + inbox.parked_record("sms", "SMp1", {"From": [FLOOD_PREFIX + "9999"]}),
                   "T" + inbox.parked_record("sms", "SMp2", {"From": [FLOOD_PREFIX + "9999"]}))
    with rt.db.transaction() as uow:
        assert metrics.unknown_lane(uow.session, rt.redis, FLOOD_PREFIX) == {
            "handled": 50, "waiting": 61, "throttled": 7}


def test_the_lane_is_judged_on_its_budget_or_on_what_there_was():
    before = {"handled": 100, "waiting": 400, "throttled": 9}
    busy = metrics.lane_rate(before, {"handled": 125, "waiting": 375, "throttled": 9}, 10.0, budget=5.0)
    assert busy["handled_in_window"] == 25 and busy["per_second"] == 2.5 and busy["share_of_due"] == 0.5
    emptied = metrics.lane_rate({"handled": 100, "waiting": 20, "throttled": 0},
                                {"handled": 120, "waiting": 0, "throttled": 0}, 10.0, budget=5.0)
    assert emptied["share_of_due"] == 1.0  # all 20 there were, though the budget allowed 50
    idle = metrics.lane_rate({"handled": 3, "waiting": 0, "throttled": 0},
                             {"handled": 3, "waiting": 0, "throttled": 0}, 10.0, budget=5.0)
    assert idle["share_of_due"] == 1.0
    stalled = metrics.lane_rate(before, {"handled": 102, "waiting": 398, "throttled": 9}, 10.0, budget=5.0)
    assert stalled["share_of_due"] == 0.04


def test_the_lane_verdict_and_summary():
    def judged(share: float) -> bool:
        r = {**_passing_report(), "flood_slowdown_p99": 1.5, "flood_multiple": {"asked": 10.0, "reached": 10.0},
             "unknown_lane": {"share_of_due": share}}
        return report.verdicts(r, send_rate=1.0)[LANE_VERDICT]

    assert judged(0.9)
    assert not judged(0.6)
    # No flood asked for: neither the flood nor its lane is judged (rather than passed or failed).
    quiet = report.verdicts({**_passing_report(), "flood_slowdown_p99": None, "unknown_lane": None,
                             "flood_multiple": {"asked": 0.0, "reached": 0.0}}, send_rate=1.0)
    assert LANE_VERDICT not in quiet and not any("flood" in name for name in quiet)
    assert all(quiet.values())
    lane = metrics.lane_rate({"handled": 100, "waiting": 400, "throttled": 9},
                             {"handled": 150, "waiting": 350, "throttled": 9}, 10.0, budget=5.0)
    assert report._lane(lane) == (
        "unknown numbers' lane, in the 10 s after the night: 50 flood texts handled = 5.0/s (budget 5.0/s; "
        "1.0 of what was due); flood texts handled in all 150, waiting 350, over their numbers' allowance 9")
