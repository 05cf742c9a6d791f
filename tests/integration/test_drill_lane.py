"""The drill judges the unknown numbers' lane: what it handled in the flood against its budget."""
from __future__ import annotations

from hotline.drill import metrics, report
from hotline.drill.load import FLOOD_PREFIX
from hotline.services import inbox
from hotline.services.inbox import PARKED_KEY
from hotline.models import InboundMessage, utcnow
from tests.unit.test_drill_metrics import _passing_report

LANE_VERDICT = "the unknown numbers' lane runs at >= 0.8x its budget in the flood"


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


def test_the_lane_counts_handled_waiting_and_throttled_flood_texts(rt):
    flood_rows(rt, ["unknown_sender"] * 40 + ["ignored"] * 10 + [None] * 60 + ["throttled"] * 7)
    rt.redis.rpush(PARKED_KEY, "N" + inbox.parked_record("sms", "SMp1", {"From": [FLOOD_PREFIX + "9999"]}),
                   "T" + inbox.parked_record("sms", "SMp2", {"From": [FLOOD_PREFIX + "9999"]}))
    with rt.db.transaction() as uow:
        lane = metrics.unknown_lane(uow.session, rt.redis, FLOOD_PREFIX, seconds=20.0, budget=5.0)
    assert lane == {"handled": 50, "waiting": 61, "throttled": 7, "seconds": 20.0, "per_second": 2.5,
                    "budget_per_second": 5.0, "share_of_due": 0.5}  # 50 of the 100 its budget allowed


def test_a_lane_that_emptied_is_not_blamed_for_its_budget(rt):
    flood_rows(rt, ["unknown_sender"] * 30)
    with rt.db.transaction() as uow:
        lane = metrics.unknown_lane(uow.session, rt.redis, FLOOD_PREFIX, seconds=100.0, budget=5.0)
    assert lane["share_of_due"] == 1.0 and lane["waiting"] == 0


def test_the_lane_verdict():
    def judged(share: float | None) -> bool:
        lane = None if share is None else {"share_of_due": share}
        r = {**_passing_report(), "flood_slowdown_p99": 1.5, "flood_multiple": {"asked": 10.0, "reached": 10.0},
             "unknown_lane": lane}
        return report.verdicts(r, send_rate=1.0)[LANE_VERDICT]

    assert judged(0.9) and judged(None)  # no flood, nothing to judge
    assert not judged(0.6)


def test_the_summary_says_what_the_lane_did():
    lane = {"handled": 50, "waiting": 61, "throttled": 7, "seconds": 20.0, "per_second": 2.5,
            "budget_per_second": 5.0, "share_of_due": 0.5}
    line = report._lane(lane)
    assert "handled 50 flood texts in 20.0 s = 2.5/s (budget 5.0/s; 0.5 of what was due), 61 waiting" in line
