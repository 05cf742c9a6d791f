"""The drill's simulated staff: reading the queue's rows, choosing the next item, the staff line and
verdict, and what `judge` reads from the hotline's rows."""
from __future__ import annotations

import random
import threading

from hotline.adapters.models import BacklogItem, utcnow
from hotline.services.console import claims
from hotline_drill import ceilings as ceilings_mod
from hotline_drill import report, staff

# The shape of console/_queue_rows.html as rendered: a free conflict, mine, someone else's, a phone.
ROWS = """
<tr id="row-7" class="p1">
<td>2 min ago</td>
<td>An observer&#39;s counts differ from the chair&#39;s: compare, then settle</td>
<td>DSM-12 <small>Polk</small> <span class="yours" data-yours="1">your county</span></td>
<td>Warren 36 vs 39</td>
<td>Nobody yet</td>
<td class="actions"><form method="post" action="/console/items/7/claim">
<input type="hidden" name="csrf_token" value="tok-123">
<button type="submit" id="claim-7" data-action="claim" class="primary">Work on this</button></form>
<a id="view-7" href="/console/items/7">View</a></td>
</tr>
<tr id="row-8" class="p1 claimed">
<td>1 min ago</td>
<td>Report failed a check</td>
<td>KAA-3 <small>County KAA</small></td>
<td>too many delegates</td>
<td>You</td>
<td class="actions"><form method="post" action="/console/items/8/claim">
<input type="hidden" name="csrf_token" value="tok-123">
<button type="submit" id="claim-8" data-action="claim" class="primary">Continue</button></form>
<a id="view-8" href="/console/items/8">View</a></td>
</tr>
<tr id="row-9" class="p2 claimed">
<td>just now</td>
<td>Text we could not read</td>
<td>DSM-1 <small>Polk</small></td>
<td>hello</td>
<td>drill-staff-2 is on it</td>
<td class="actions">
<a id="view-9" href="/console/items/9">View</a></td>
</tr>
<tr id="row-10" class="p3">
<td>just now</td>
<td>Text from an unregistered phone</td>
<td>+12025550001</td>
<td>lol</td>
<td>Nobody yet</td>
<td class="actions"><form method="post" action="/console/items/10/claim">
<input type="hidden" name="csrf_token" value="tok-123">
<button type="submit" id="claim-10" data-action="claim" class="primary">Work on this</button></form>
<a id="view-10" href="/console/items/10">View</a></td>
</tr>
"""


def test_queue_rows_are_read_with_kind_precinct_and_who_holds_them():
    assert staff.rows(ROWS) == [
        staff.Row(7, "source_conflict", "DSM-12", claimed=False, mine=False),
        staff.Row(8, "failed_check", "KAA-3", claimed=True, mine=True),
        staff.Row(9, None, "DSM-1", claimed=True, mine=False),
        staff.Row(10, None, None, claimed=False, mine=False)]
    assert staff.csrf_token(ROWS) == "tok-123"
    assert staff.rows('<tr><td colspan="6">Nothing is waiting.</td></tr>') == []
    assert staff.csrf_token("<p>no form</p>") is None


def test_the_kinds_staff_tell_apart_use_the_consoles_own_labels():
    for label, kind in staff.LABELS.items():
        assert claims.label(kind) == label


def test_a_volunteer_finishes_their_own_item_first_then_takes_the_top_free_one():
    queue = staff.rows(ROWS)
    assert staff.next_item(queue).item_id == 8  # mine
    assert staff.next_item(queue, skip={8}).item_id == 7  # the top one nobody holds
    assert staff.next_item(queue, skip={7, 8}).item_id == 10  # never someone else's (9)
    assert staff.next_item(queue, skip={7, 8, 10}) is None


class FakeConsole:
    """The console's answers for `work`: a queue that empties as items are settled."""

    def __init__(self, queue: list[staff.Row], refuse: set[int] = frozenset()) -> None:
        self.open = {r.item_id: r for r in queue}
        self.refuse, self.calls = refuse, []

    def sign_in(self) -> bool:
        return True

    def queue(self) -> list[staff.Row]:
        return list(self.open.values())

    def claim(self, item_id: int) -> bool:
        self.calls.append(("claim", item_id))
        self.open[item_id] = staff.Row(item_id, self.open[item_id].kind, self.open[item_id].precinct, True, True)
        return True

    def confirm_chair(self, code: str, item_id: int, note: str) -> None:
        self.calls.append(("confirm-chair", code, note))
        self.open.pop(item_id)

    def resolve(self, item_id: int, note: str) -> bool:
        self.calls.append(("resolve", item_id, note))
        if item_id in self.refuse:
            return False
        self.open.pop(item_id)
        return True

    def release(self, item_id: int) -> None:
        self.calls.append(("release", item_id))
        self.open.pop(item_id)


def test_a_staff_member_acts_by_kind_and_stops_once_the_night_is_over_and_nothing_waits(monkeypatch):
    fake = FakeConsole([staff.Row(1, "source_conflict", "DSM-1", False, False),
                        staff.Row(2, "failed_check", "DSM-2", False, False),
                        staff.Row(3, None, None, False, False), staff.Row(4, None, None, False, False)],
                       refuse={4})
    monkeypatch.setattr(staff, "Console", lambda url, name: fake)
    over = threading.Event()
    over.set()
    worked = staff.work("http://x", "drill-staff-1", staff.Shift(("drill-staff-1",), think=(0, 0), poll=0.01),
                        over, random.Random(1))
    assert worked.signed_in and fake.open == {}
    assert ("confirm-chair", "DSM-1", staff.NOTES["source_conflict"]) in fake.calls
    assert ("resolve", 2, staff.NOTES["failed_check"]) in fake.calls
    assert ("resolve", 3, staff.NOTE) in fake.calls
    # Refused three times: given back, and said so.
    assert fake.calls.count(("resolve", 4, staff.NOTE)) == staff.TRIES and ("release", 4) in fake.calls
    assert worked.problems == ["drill-staff-1: item 4 refused 3 times; released it"]
    assert [a["item"] for a in worked.acts if a["ok"]] == [1, 2, 3]


def judged(**kw) -> dict:
    return {"staff": 3, "on_shift": 3, "resolved": 41, "median_claim_to_resolve_s": 2.1, "left_waiting": 0,
            "observers": True, "conflicts": {"items": 4, "open": 0, "settled_by_staff": 4}, "problems": [], **kw}


def test_the_staff_line_and_verdict():
    assert staff.line(judged()) == ("staff: 3 on shift, 41 items resolved (median claim to resolve 2.1 s), "
                                    "0 left waiting; source conflicts 4: 4 settled by staff, 0 open")
    assert staff.line(judged(on_shift=2, median_claim_to_resolve_s=None, conflicts={"items": 0})).endswith(
        "(median claim to resolve -), 0 left waiting; 1 could not sign in")
    assert staff.verdicts(judged()) == {"staff: every source_conflict settled by the end": True}
    assert staff.verdicts(judged(conflicts={"items": 4, "open": 1, "settled_by_staff": 3})) == {
        "staff: every source_conflict settled by the end": False}
    assert staff.verdicts(judged(observers=False)) == {} and staff.verdicts(None) == {}


def test_staff_judged_from_the_rows(rt):
    now = utcnow()
    with rt.db.transaction() as uow:
        s = uow.session
        items = [BacklogItem(kind="source_conflict", summary="a", resolved_at=now, resolved_by="drill-staff-1"),
                 BacklogItem(kind="source_conflict", summary="b"),
                 BacklogItem(kind="failed_check", summary="c", resolved_at=now, resolved_by="drill-staff-2"),
                 BacklogItem(kind="failed_check", summary="d", resolved_at=now, resolved_by="system")]
        s.add_all(items)
        s.flush()
        ids = [i.id for i in items]
    worked = [{"name": "drill-staff-1", "signed_in": True, "problems": [],
               "acts": [{"item": ids[0], "claimed_at": 10.0, "done_at": 12.0, "ok": True},
                        {"item": ids[3], "claimed_at": 10.0, "done_at": 99.0, "ok": True}]},  # closed by the system
              {"name": "drill-staff-2", "signed_in": True, "problems": ["x"],
               "acts": [{"item": ids[2], "claimed_at": 20.0, "done_at": 23.0, "ok": True}]},
              {"name": "drill-staff-3", "signed_in": False, "problems": [], "acts": []}]
    with rt.db.transaction() as uow:
        r = staff.judge(uow.session, worked, staff.names(3), observers=True)
    assert r["on_shift"] == 2 and r["resolved"] == 2 and r["median_claim_to_resolve_s"] == 2.5
    assert r["left_waiting"] >= 1 and r["conflicts"]["open"] >= 1 and r["conflicts"]["settled_by_staff"] == 1
    assert r["problems"] == ["x"]
    assert staff.verdicts(r) == {"staff: every source_conflict settled by the end": False}


def test_the_summary_shows_the_staff_line_and_no_flood_line_without_a_flood():
    night = {"t0": 0.0, "outcomes": [], "last_chair_message": 1.0, "all_recorded_at": 2.0, "flood_latency": [],
             "faults": [], "flood_multiple": {"asked": 0.0, "reached": 0.0}}
    one = {"per_second": 1.0, "p99_ms": 1.0}
    zero = {"reports_lost": 0, "reports_recorded_twice": 0, "texts_handled_twice": 0, "replies_never_sent": 0,
            "stages_expected": 0}
    sending = {"messages": 0, "numbers_used": 0, "overall_per_second": 0.0, "max_in_any_1s_per_number": 0,
               "max_in_any_10s_per_number": 0, "queue_wait_s": {}, "other_sent_while_confirmation_waited": 0,
               "other_messages_sent": 0, "capacity_per_second": 1.0, "while_texts_waited": {"windows": 0}}
    jobs = {**ceilings_mod.paired(1, lambda: one, lambda: one), "worker_class": "SimpleWorker", "processors": 1}
    r = report.build(night, {"webhook": ceilings_mod.paired(1, lambda: one, lambda: one)}, zero, [], sending,
                     jobs, 10.0, {})
    r.update(faults=[], failed_jobs={"count": 0, "explained_by_backlog_item": 0, "unexplained": []},
             staff=judged())
    lines = report.summary(r)
    assert not any(line.startswith("flood slowdown") for line in lines)
    assert staff.line(judged()) in lines
    assert report.verdicts(r, send_rate=1.0)["staff: every source_conflict settled by the end"] is True
    r["flood_multiple"] = {"asked": 10.0, "reached": 9.5}
    assert any(line.startswith("flood slowdown") and "asked 10.0x" in line for line in report.summary(r))
