"""Staff entry for a chair (text or boxes) and approval by a different staff member only."""
from __future__ import annotations

from sqlalchemy import select

from hotline.adapters.models import LogEntry, OutboundMessage, Report, Submission
from hotline.services.console import entry as staff_entry
from tests.web.console.staff import flashes, open_item

TEXT = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30\nfinal: Pete 55, Bernie 48, Warren 32\n" \
       "delegates: Pete 3, Bernie 2, Warren 2"


def current(rt, code="DSM-42") -> dict:
    with rt.db.transaction() as uow:
        rows = uow.session.execute(select(Report).join(Submission).where(
            Report.status == "current", Submission.precinct.has(code=code))).scalars()
        return {r.stage: r.counts for r in rows}


def pending_ids(rt) -> list[int]:
    with rt.db.transaction() as uow:
        return [s.id for s in staff_entry.pending(uow.session)]


def test_text_entry_waits_for_a_second_staff_member(rt, alice, bob):
    resp = alice.post("/console/precincts/DSM-42/enter", data={"text": TEXT})
    assert resp.status_code == 302
    assert current(rt) == {}                                   # nothing counts yet
    [sub_id] = pending_ids(rt)
    page = alice.text("/console/approvals")
    assert "You entered this, so someone else must approve it" in page
    resp = alice.post(f"/console/approvals/{sub_id}/approve", follow_redirects=True)
    assert "someone else must approve" in " ".join(flashes(resp.get_data(as_text=True)))
    assert current(rt) == {}
    bob.post(f"/console/approvals/{sub_id}/approve")
    assert current(rt)["final"] == {"Buttigieg": 55, "Sanders": 48, "Warren": 32}
    with rt.db.transaction() as uow:
        sub = uow.session.get(Submission, sub_id)
        kinds = uow.session.execute(select(LogEntry.kind, LogEntry.actor).order_by(LogEntry.seq)).all()
        told = uow.session.execute(select(OutboundMessage).where(OutboundMessage.kind == "staff_recorded")).scalar_one()
    assert (sub.source, sub.sender, sub.approved_by) == ("staff", "alice", "bob")
    assert ("staff_entered", "alice") in kinds and ("staff_approved", "bob") in kinds
    assert ("report_confirmed", "bob") in kinds
    assert told.to_number == "+15155550142" and "Buttigieg 55" in told.body


def test_the_service_refuses_self_approval(rt, accounts):
    sub_id = staff_entry.submit(rt.units, "DSM-42", "alice", text="first: Biden 12, Pete 45")
    try:
        staff_entry.approve(rt.units, sub_id, "alice")
        raise AssertionError("self-approval was accepted")
    except staff_entry.EntryError as exc:
        assert "someone else" in str(exc)


def test_grid_entry_and_admin_approval(rt, alice, carol):
    from hotline.services.records import roster
    index = {c.name: i for i, c in enumerate(roster.candidates(rt.units))}  # boxes are in ballot order
    form = {f"first-{index['Biden']}": "12", f"first-{index['Buttigieg']}": "45", "attendance": "140"}
    assert alice.post("/console/precincts/DSM-42/enter", data=form).status_code == 302
    [sub_id] = pending_ids(rt)
    carol.post(f"/console/approvals/{sub_id}/approve")
    assert current(rt) == {"first": {"Biden": 12, "Buttigieg": 45}}


def test_unreadable_entry_is_explained_and_nothing_stored(rt, alice):
    resp = alice.post("/console/precincts/DSM-42/enter", data={"text": "first: Biden twelve"})
    assert resp.status_code == 422
    assert "twelve" in resp.get_data(as_text=True) and "Nothing was entered" in resp.get_data(as_text=True)
    resp = alice.post("/console/precincts/DSM-42/enter", data={"text": "IC-5 first: Biden 3"})
    assert resp.status_code == 422 and "you are entering DSM-42" in resp.get_data(as_text=True)
    resp = alice.post("/console/precincts/DSM-42/enter", data={"first-0": "x"})
    assert resp.status_code == 422 and "not a whole number" in resp.get_data(as_text=True)
    assert pending_ids(rt) == []


def test_entry_from_an_item_needs_its_claim(rt, alice, bob):
    item_id = open_item(rt)
    bob.post(f"/console/items/{item_id}/claim")
    resp = alice.post("/console/precincts/DSM-42/enter", data={"text": TEXT, "item": item_id})
    assert resp.status_code == 422 and pending_ids(rt) == []
    resp = bob.post("/console/precincts/DSM-42/enter", data={"text": TEXT, "item": item_id})
    assert resp.headers["Location"].endswith(f"/console/items/{item_id}")
    assert len(pending_ids(rt)) == 1


def test_reject_needs_a_reason_and_discards(rt, alice, bob):
    alice.post("/console/precincts/DSM-42/enter", data={"text": TEXT})
    [sub_id] = pending_ids(rt)
    bob.post(f"/console/approvals/{sub_id}/reject", data={"reason": ""})
    assert pending_ids(rt) == [sub_id]
    bob.post(f"/console/approvals/{sub_id}/reject", data={"reason": "chair gave other numbers"})
    assert pending_ids(rt) == [] and current(rt) == {}
    resp = bob.post(f"/console/approvals/{sub_id}/approve", follow_redirects=True)
    assert "no longer waiting" in resp.get_data(as_text=True)


def test_approved_correction_closes_the_failed_check(rt, client, alice, bob):
    from hotline.adapters.models import BacklogItem
    from tests.support.chairs import report_flagged
    item_id = report_flagged(client, rt)
    alice.post(f"/console/items/{item_id}/claim")
    alice.post("/console/precincts/DSM-42/enter", data={"text": "delegates: Pete 3, Bernie 2, Warren 2",
                                                        "item": item_id})
    bob.post(f"/console/approvals/{pending_ids(rt)[0]}/approve")
    assert current(rt)["delegates"] == {"Buttigieg": 3, "Sanders": 2, "Warren": 2}
    with rt.db.transaction() as uow:
        assert uow.session.get(BacklogItem, item_id).resolved_by == "system"
    board = client.get("/api/results").get_json()
    assert board["precincts_reporting"] == 1
