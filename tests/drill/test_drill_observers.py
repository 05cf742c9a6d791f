"""The drill's observers: who gets one, who is planted, and which conflicts the hotline must find."""
from __future__ import annotations

import random
from datetime import timedelta

from hotline.adapters.models import BacklogItem, StaffUser, utcnow
from hotline.domain.sources import Tolerance
from hotline.services.log import chain
from hotline_drill import metrics, observers, report
from hotline_drill.chairs import Plan
from tests.drill.test_drill_metrics import _passing_report

FIRST = {"Warren": 35, "Sanders": 40}
FINAL = {"Warren": 36, "Sanders": 44}


def chairs(n: int) -> list[Plan]:
    return [Plan(precinct=f"DSM-{i}", phone=f"+1515555{i:04d}", pin="1234", start=float(i), gaps=[5.0, 5.0],
                 messy=False, correction=i % 4 == 0, unregistered=None, seed=i) for i in range(n)]


def test_a_share_of_precincts_get_an_observer_with_a_phone_of_their_own():
    plans = observers.make_plans(chairs(40), 0.5, None, seed=1)
    assert len(plans) == 20 and len({p.precinct for p in plans}) == 20
    assert len({p.phone for p in plans}) == 20
    assert not {p.phone for p in plans} & {c.phone for c in chairs(40)}
    assert {p.organisation for p in plans} == set(observers.ORGANISATIONS)
    assert sum(1 for p in plans if p.planted_stage) == 1  # 5% of 20, at least one
    by_code = {c.precinct: c for c in chairs(40)}
    for p in plans:  # each stage texted a little after the chair's
        assert p.at[0] > by_code[p.precinct].start and p.at[0] < p.at[1] < p.at[2]
    assert observers.make_plans(chairs(40), 0.5, None, seed=1) == plans  # registered, then played: the same
    assert observers.make_plans(chairs(40), 0.0, None, seed=1) == []


def test_planted_observers_are_off_by_more_than_the_tolerance():
    plans = observers.make_plans(chairs(100), 0.6, 7, seed=3, tol=Tolerance(alignment=2, delegates=0))
    planted = [p for p in plans if p.planted_stage]
    assert len(planted) == 7
    for p in planted:
        allowed = 0 if p.planted_stage == "delegates" else 2
        assert allowed < abs(p.planted_by) <= allowed + 3
    assert [p.planted_by for p in plans if not p.planted_stage] == [0] * 53


def test_off_by_never_goes_below_zero():
    rng = random.Random(0)
    for _ in range(50):
        changed = observers.off_by({"Warren": 1, "Sanders": 0}, -3, rng)
        assert min(changed.values()) >= 0 and changed != {"Warren": 1, "Sanders": 0}


def test_expected_conflicts_come_from_what_each_side_finally_confirmed():
    chair = {
        ("A-1", "first"): [FIRST], ("A-1", "final"): [FINAL],
        ("B-1", "first"): [FIRST], ("B-1", "final"): [FINAL],
        # C-1's chair confirmed a typo, then corrected it: a conflict may have opened and cleared.
        ("C-1", "first"): [{"Warren": 45, "Sanders": 40}, FIRST],
        # D-1's chair never confirmed the final alignment the planted observer got wrong.
        ("D-1", "first"): [FIRST],
        # E-1's chair corrected to a figure its observer still disagrees with.
        ("E-1", "first"): [FIRST, {"Warren": 31, "Sanders": 40}],
    }
    observed = {
        ("A-1", "first"): [FIRST], ("A-1", "final"): [FINAL],
        ("B-1", "final"): [{"Warren": 38, "Sanders": 44}],
        ("C-1", "first"): [FIRST],
        ("D-1", "final"): [{"Warren": 30, "Sanders": 44}],
        ("E-1", "first"): [FIRST],
        ("F-1", "first"): [FIRST],  # no chair report at all: nothing to compare
    }
    exp = observers.expected_conflicts(chair, observed, Tolerance())
    assert exp.conflicts == {"B-1", "E-1"}
    assert exp.agreeing == {"A-1", "C-1"}
    assert exp.may_clear == {"C-1"}
    within = observers.expected_conflicts(chair, observed, Tolerance(alignment=2))
    assert within.conflicts == {"E-1"}  # B-1 is 2 off: inside the tolerance


def test_confirmations_are_ordered_by_when_yes_was_sent():
    outcomes = [{"precinct": "A-1", "confirms": [{"stage": "first", "counts": FIRST, "yes_sent_at": 20.0},
                                                  {"stage": "first", "counts": FINAL, "yes_sent_at": 10.0}]}]
    assert observers.confirmed(outcomes) == {("A-1", "first"): [FINAL, FIRST]}


def judged(**changes: object) -> dict:
    r = {"observers": 10, "precincts_observed": 10, "planted": ["B-1", "E-1"], "expected_conflicts": ["B-1", "E-1"],
         "found": 2, "false": [], "missed": [], "cleared": [], "corroborated": 8, "readbacks": 25, "recorded": 25,
         "without_answer": 0, "problems": []}
    return {**r, **changes}


def test_the_observer_line_and_verdicts():
    assert observers.line(judged()) == ("observers: 10 precincts observed, 2 planted conflicts: 2 found, 0 false, "
                                        "0 missed; 8 corroborated")
    assert observers.line(judged(cleared=["C-1"], without_answer=1)).endswith(
        "; 1 cleared after the chair's correction; 1 observers left without an answer")
    assert all(observers.verdicts(judged()).values())
    assert not all(observers.verdicts(judged(found=1, missed=["E-1"])).values())
    assert not all(observers.verdicts(judged(false=["Z-9"])).values())
    assert not all(observers.verdicts(judged(without_answer=2)).values())
    assert observers.verdicts(None) == {} and observers.verdicts(judged(observers=0)) == {}
    # In the drill's verdicts and summary only when the night had observers.
    quiet = {**_passing_report(), "flood_multiple": {"asked": 0.0, "reached": 0.0}}
    plain = report.verdicts(quiet, send_rate=1.0)
    assert not any(name.startswith("observers") for name in plain)
    with_observers = report.verdicts({**quiet, "observers": judged(false=["Z-9"])}, send_rate=1.0)
    assert with_observers["observers: every planted conflict found, none false"] is False


def test_the_queue_figures_lines():
    quiet = {"staff": {}, "queue": {"waiting": 0, "by_kind": {}, "oldest_wait_s": None}}
    assert report.figures(quiet) == ["queue: no items waiting"]
    busy = {"staff": {"alice": {"resolved": 3, "approved": 1, "median_claim_to_resolve_s": 95.0}},
            "queue": {"waiting": 5, "oldest_wait_s": 130.0,
                      "by_kind": {"failed_check": {"waiting": 1, "oldest_wait_s": 130.0},
                                  "source_conflict": {"waiting": 4, "oldest_wait_s": 40.0}}}}
    assert report.figures(busy) == [
        "staff alice: resolved 3 (median claim to resolve 1 min 35 s), approved 1",
        "queue: 5 items waiting: source_conflict 4 (oldest 40 s), failed_check 1 (oldest 2 min 10 s); "
        "oldest wait 2 min 10 s"]


def test_staff_and_queue_figures_from_the_rows(rt):
    now = utcnow()
    with rt.db.transaction() as uow:
        s = uow.session
        s.add(StaffUser(username="alice", display_name="Alice", password_hash="x", role="staff"))
        items = [BacklogItem(kind="source_conflict", summary="a", created_at=now - timedelta(seconds=40)),
                 BacklogItem(kind="source_conflict", summary="b", created_at=now - timedelta(seconds=10)),
                 BacklogItem(kind="failed_check", summary="c", created_at=now - timedelta(seconds=130)),
                 BacklogItem(kind="failed_check", summary="d", created_at=now - timedelta(hours=1),
                             resolved_at=now)]
        s.add_all(items)
        s.flush()
        chain.record(s, "backlog_claimed", actor="alice", item_id=items[3].id)
        chain.record(s, "backlog_resolved", actor="alice", item_id=items[3].id)
        chain.record(s, "backlog_resolved", actor="system", item_id=items[0].id)  # not a staff account
    with rt.db.transaction() as uow:
        f = metrics.staff_and_queue(uow.session, now=now)
    assert list(f["staff"]) == ["alice"] and f["staff"]["alice"]["resolved"] == 1
    assert f["queue"]["waiting"] == 3 and f["queue"]["oldest_wait_s"] == 130.0
    assert f["queue"]["by_kind"] == {"source_conflict": {"waiting": 2, "oldest_wait_s": 40.0},
                                     "failed_check": {"waiting": 1, "oldest_wait_s": 130.0}}
