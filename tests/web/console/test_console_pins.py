"""The PIN slow-down item: staff clear it from the console, and it is logged."""
from __future__ import annotations

from sqlalchemy import select

from hotline.adapters.models import BacklogItem, LogEntry
from tests.support.chairs import Phone
from tests.web.console.staff import flashes, item_row


def slowed_item(client, rt) -> int:
    for i in range(rt.config.pin_max_failures):  # five strangers, one wrong PIN each
        Phone(client, rt, f"+1202555{1000 + i}").send("DSM-42 PIN 1111 first: Biden 12")
    with rt.db.transaction() as uow:
        return uow.session.execute(select(BacklogItem.id).where(
            BacklogItem.kind == "pin_lockout")).scalar_one()


def test_staff_clear_the_pin_slow_down_and_the_chair_gets_through(client, rt, alice):
    item_id = slowed_item(client, rt)
    borrowed = Phone(client, rt, "+15155558000")
    borrowed.send("DSM-42 PIN 4321 first: Biden 12")
    assert borrowed.last().kind == "pin_slowed"

    assert "Clear the PIN slow-down" not in alice.text(f"/console/items/{item_id}")  # only for the holder
    alice.post(f"/console/items/{item_id}/claim")
    page = alice.text(f"/console/items/{item_id}")
    assert "PIN tries slowed after wrong PINs: DSM-42" in page and "Clear the PIN slow-down" in page
    resp = alice.post(f"/console/items/{item_id}/pins/clear", follow_redirects=True)
    assert flashes(resp.get_data(as_text=True)) == [
        "Cleared the PIN slow-down for DSM-42. The item is closed."]
    row = item_row(rt, item_id)
    assert (row.resolution, row.resolved_by) == ("cleared", "alice")
    with rt.db.transaction() as uow:
        entry = uow.session.execute(select(LogEntry).where(
            LogEntry.kind == "pin_slowdown_cleared")).scalar_one()
        assert (entry.precinct_code, entry.actor) == ("DSM-42", "alice")

    borrowed.send("DSM-42 PIN 4321 first: Biden 12")
    assert borrowed.last().body.startswith("PIN accepted for DSM-42.")


def test_other_items_have_no_pin_action(client, rt, alice):
    slowed_item(client, rt)
    Phone(client, rt, "+15155558000").send("DSM-42 PIN 4321 first: Biden 12")
    with rt.db.transaction() as uow:
        callback = uow.session.execute(select(BacklogItem.id).where(
            BacklogItem.kind == "callback_request")).scalar_one()
    alice.post(f"/console/items/{callback}/claim")
    assert "Clear the PIN slow-down" not in alice.text(f"/console/items/{callback}")
    resp = alice.post(f"/console/items/{callback}/pins/clear", follow_redirects=True)
    assert flashes(resp.get_data(as_text=True)) == ["This item has no PIN slow-down to clear."]
