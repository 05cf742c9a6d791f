"""What staff see of an opted-out chair and a reply loop: the board's marker, the item, "opted out"
in the thread and on /outbox."""
from __future__ import annotations

from sqlalchemy import select

from hotline.adapters.models import BacklogItem, OutboundMessage
from tests.support.chairs import Phone
from tests.web.console.staff import flashes

CHAIR = "+15155550142"  # DSM-42's registered phone
FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"


def item(rt, kind: str) -> BacklogItem:
    with rt.db.transaction() as uow:
        return uow.session.execute(select(BacklogItem).where(BacklogItem.kind == kind)).scalar_one()


def board_row(page: str, code: str) -> str:
    return page.split(f'id="precinct-{code}"')[1].split("</tr>")[0]


def test_an_opted_out_chair_is_marked_on_the_board_and_in_the_thread(rt, client, carol, alice):
    chair = Phone(client, rt, CHAIR)
    chair.send(FIRST)
    assert "opted out" not in board_row(carol.text("/admin/"), "DSM-42")
    chair.send("STOP")
    chair.send("status")
    page = carol.text("/admin/")
    assert 'class="opted-out"' in board_row(page, "DSM-42")
    assert "opted out" not in board_row(page, "DSM-7")
    opted = item(rt, "opted_out")
    assert "Call this chair" in alice.text("/console/")
    thread = alice.text(f"/console/items/{opted.id}")
    assert CHAIR in thread and "· status · opted out" in thread
    assert "<td class=\"status-opted_out\">opted out</td>" in alice.text("/outbox")
    alice.post(f"/console/items/{opted.id}/claim")
    page = alice.post(f"/console/items/{opted.id}/sms", data={"to": CHAIR, "body": "Please call us"},
                      follow_redirects=True).get_data(as_text=True)
    assert any("opted out of texts" in f for f in flashes(page))
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(OutboundMessage).where(OutboundMessage.kind == "staff_sms")).first() is None
    chair.send("START")
    assert "opted out" not in board_row(carol.text("/admin/"), "DSM-42")


def test_a_reply_loop_item_is_in_the_queue(rt, client, alice):
    bot = Phone(client, rt, CHAIR)
    for _ in range(3):
        bot.send("I'm driving, I'll get back to you")
    loop = item(rt, "reply_loop")
    assert "Automatic replies paused" in alice.text("/console/")
    assert "· parse_error · loop held" in alice.text(f"/console/items/{loop.id}")
