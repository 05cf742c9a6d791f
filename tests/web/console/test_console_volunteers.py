"""A console for 50 volunteers: staff counties first in the queue, canned replies, per-staff and
queue figures, the paged precinct board in natural order."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from hotline.adapters.models import LogEntry
from hotline.domain.codes import natural_key
from hotline.services.console import entry as staff_entry
from hotline.services.log import chain as vlog
from tests.support.chairs import load_roster
from tests.web.console.staff import flashes, open_item

TEXT = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"


def user_id(carol, name: str) -> int:
    page = carol.text("/admin/staff")
    row = page[page.index(f'id="user-{name}"'):]
    return int(re.search(r"/admin/staff/(\d+)", row).group(1))


def set_counties(carol, name: str, counties: str):
    return carol.post(f"/admin/staff/{user_id(carol, name)}", data={"counties": counties}, follow_redirects=True)


def row_order(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="row-(\d+)"', html)]


def log_kinds(rt, kind: str) -> list[tuple[str | None, dict]]:
    with rt.db.transaction() as uow:
        return [(a, d) for a, d in uow.session.execute(
            select(LogEntry.actor, LogEntry.detail).where(LogEntry.kind == kind).order_by(LogEntry.seq))]


# --- counties first -------------------------------------------------------------------------

def test_the_queue_shows_the_staff_members_counties_first_and_all_is_one_click_away(rt, alice, carol):
    polk = open_item(rt, "callback_request", code="DSM-42")                  # oldest, most urgent
    unknown = open_item(rt, "callback_request", code=None, phone="+15155559999", summary="who is this")
    story = open_item(rt, "callback_request", code="AMES-1")
    johnson = open_item(rt, "unparsed_text", code="IC-5")                   # less urgent kind
    plain = [polk, unknown, story, johnson]
    assert row_order(alice.get("/console/queue.json").get_json()["rows_html"]) == plain  # no counties: as before

    page = set_counties(carol, "alice", "johnson; Story").get_data(as_text=True)
    assert "Account updated." in flashes(page)
    assert 'data-counties="alice">Johnson, Story<' in page
    assert log_kinds(rt, "staff_user_changed")[-1] == ("carol", {"username": "alice",
                                                                  "counties": ["Johnson", "Story"]})

    rows = alice.get("/console/queue.json").get_json()["rows_html"]
    assert row_order(rows) == [story, johnson, polk, unknown]               # hers first, then the rest
    assert rows.count("your county") == 2
    queue = alice.text("/console/")
    assert "Items in your counties (Johnson, Story) come first" in queue
    assert 'href="/console/?scope=all"' in queue
    everything = alice.text("/console/?scope=all")
    assert row_order(everything) == plain and 'href="/console/?scope=mine"' in everything
    assert row_order(alice.get("/console/queue.json?scope=all").get_json()["rows_html"]) == plain
    # The kind filter keeps the scope; bob (no counties) still sees the plain order.
    assert row_order(alice.get("/console/queue.json?kind=callback_request").get_json()["rows_html"]) == \
        [story, polk, unknown]
    assert 'name="scope" value="mine"' in queue


def test_counties_must_be_on_the_roster_and_can_be_cleared(rt, alice, bob, carol):
    resp = set_counties(carol, "bob", "Polk, Atlantis")
    assert "No county named Atlantis on the roster." in flashes(resp.get_data(as_text=True))
    set_counties(carol, "bob", "Polk")
    assert 'data-counties="bob">Polk<' in carol.text("/admin/staff")
    set_counties(carol, "bob", "")
    assert 'data-counties="bob">all<' in carol.text("/admin/staff")
    assert [d.get("counties") for _, d in log_kinds(rt, "staff_user_changed")] == [["Polk"], []]
    assert "scope-line" not in bob.text("/console/")


# --- canned replies -------------------------------------------------------------------------

def test_canned_replies_are_managed_by_administrators_only_and_logged(rt, alice, carol):
    for path in ("/admin/replies", "/admin/figures", "/admin/figures.json"):
        assert alice.get(path).status_code == 403
    assert alice.post("/admin/replies", data={"title": "x", "body": "y", "language": "en"}).status_code == 403

    carol.post("/admin/replies", data={"title": "Call us", "body": "Please call the hotline.", "language": "en"})
    carol.post("/admin/replies", data={"title": "Llámenos", "body": "Llame a la línea, por favor.",
                                       "language": "es"})
    bad = carol.post("/admin/replies", data={"title": "x", "body": "y", "language": "fr"}, follow_redirects=True)
    assert "Language must be one of: en, es." in flashes(bad.get_data(as_text=True))
    page = carol.text("/admin/replies")
    assert "2 canned replies" in page and 'data-language="es">es<' in page
    ids = [int(n) for n in re.findall(r'id="reply-(\d+)"', page)]
    assert len(ids) == 2
    english = ids[0]  # by language, then title

    assert alice.post(f"/admin/replies/{english}", data={"title": "t", "body": "b", "language": "en"}
                      ).status_code == 403
    assert alice.post(f"/admin/replies/{english}/delete").status_code == 403
    carol.post(f"/admin/replies/{english}", data={"title": "Call us", "body": "Please call 515-555-0100.",
                                                  "language": "en"})
    assert "Please call 515-555-0100." in carol.text("/admin/replies")
    carol.post(f"/admin/replies/{english}/delete")
    assert "1 canned reply<" in carol.text("/admin/replies")

    assert [a for a, _ in log_kinds(rt, "canned_reply_created")] == ["carol", "carol"]
    assert log_kinds(rt, "canned_reply_changed") == [("carol", {"reply_id": english,
                                                                "text": "Please call 515-555-0100."})]
    assert log_kinds(rt, "canned_reply_deleted") == [("carol", {"reply_id": english, "title": "Call us"})]


def test_a_canned_reply_inserts_into_text_the_chair(rt, alice, carol):
    carol.post("/admin/replies", data={"title": "Send a photo", "language": "en",
                                       "body": "Please text us a photo of the worksheet."})
    reply_id = int(re.search(r'id="reply-(\d+)"', carol.text("/admin/replies")).group(1))
    item_id = open_item(rt)
    alice.post(f"/console/items/{item_id}/claim")
    page = alice.text(f"/console/items/{item_id}")
    assert 'data-insert-into="sms-body"' in page
    assert f'<option value="{reply_id}" data-text="Please text us a photo of the worksheet." lang="en"' in page
    assert "[en] Send a photo" in page
    assert re.search(r'<textarea id="sms-body"[^>]*></textarea>', page)
    # Without JavaScript, Insert reloads the page with the text in the message box.
    filled = alice.text(f"/console/items/{item_id}?reply={reply_id}")
    assert re.search(r'<textarea id="sms-body"[^>]*>Please text us a photo of the worksheet.</textarea>', filled)
    assert "<script>" not in filled  # nothing inline: the CSP forbids it


# --- per-staff and queue figures -------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = datetime(2020, 2, 3, 20, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: int) -> None:
        self.now = datetime(2020, 2, 3, 20, 0, tzinfo=timezone.utc) + timedelta(seconds=seconds)


@pytest.fixture
def log_clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(vlog, "utcnow", clock)
    return clock


def test_per_staff_figures_from_a_scripted_shift(rt, alice, bob, carol, log_clock):
    one, two, three = open_item(rt), open_item(rt, code="IC-5"), open_item(rt, code="AMES-1")
    log_clock.at(0)
    alice.post(f"/console/items/{one}/claim")
    log_clock.at(250)
    alice.post(f"/console/items/{one}/claim")          # "Continue": the hold started at 0
    log_clock.at(400)
    alice.post(f"/console/items/{one}/resolve", data={"note": "called back"})        # 400 s
    log_clock.at(500)
    alice.post(f"/console/items/{two}/claim")
    log_clock.at(800)
    alice.post(f"/console/items/{two}/resolve", data={"note": "entered"})           # 300 s
    log_clock.at(900)
    bob.post(f"/console/items/{three}/claim")
    log_clock.at(910)
    bob.post(f"/console/items/{three}/release")       # given back: its time does not count
    log_clock.at(1000)
    alice.post(f"/console/items/{three}/claim")
    log_clock.at(1900)
    alice.post(f"/console/items/{three}/resolve", data={"note": "voicemail left"})  # 900 s
    first = staff_entry.submit(rt.units, "DSM-42", "alice", text=TEXT)
    second = staff_entry.submit(rt.units, "IC-5", "alice", text=TEXT)
    bob.post(f"/console/approvals/{first}/approve")
    carol.post(f"/console/approvals/{second}/approve")

    staff = carol.get("/admin/figures.json").get_json()["staff"]
    assert staff["alice"] == {"resolved": 3, "median_seconds": 400.0, "approved": 0}
    assert staff["bob"] == {"resolved": 0, "median_seconds": None, "approved": 1}
    assert staff["carol"] == {"resolved": 0, "median_seconds": None, "approved": 1}
    page = carol.text("/admin/figures")
    alice_row = page[page.index('data-staff="alice"'):]
    assert re.search(r'data-fig="resolved">3<.*data-fig="median">6 min 40 s<.*data-fig="approved">0<',
                     alice_row[:400], re.DOTALL)
    assert 'data-poll="/admin/figures.json"' in page


def test_queue_figures_by_kind_with_the_oldest_wait(rt, alice, carol):
    from hotline.adapters.models import BacklogItem
    now = datetime.now(timezone.utc)
    items = {"old": open_item(rt), "new": open_item(rt, code="IC-5"),
             "text": open_item(rt, "unparsed_text", code="DSM-7")}
    with rt.db.transaction() as uow:
        for key, minutes in (("old", 30), ("new", 5), ("text", 12)):
            uow.session.get(BacklogItem, items[key]).created_at = now - timedelta(minutes=minutes)
    alice.post(f"/console/items/{items['new']}/claim")
    q = carol.get("/admin/figures.json").get_json()["queue"]
    assert (q["waiting"], q["in_hand"]) == (3, 1)
    assert q["kinds"]["callback_request"]["waiting"] == 2 and q["kinds"]["callback_request"]["in_hand"] == 1
    assert q["kinds"]["unparsed_text"] == {"waiting": 1, "in_hand": 0,
                                           "oldest_seconds": pytest.approx(12 * 60, abs=30)}
    assert q["kinds"]["callback_request"]["oldest_seconds"] == pytest.approx(30 * 60, abs=30)
    assert q["oldest_seconds"] == pytest.approx(30 * 60, abs=30)
    data = carol.get("/admin/figures.json").get_json()
    assert 'data-kind="callback_request"' in data["queue_html"] and "30 min" in data["queue_html"]
    assert 'data-staff="alice"' in data["staff_html"]
    alice.post(f"/console/items/{items['new']}/resolve", data={"note": "done"})
    assert carol.get("/admin/figures.json").get_json()["queue"]["kinds"]["callback_request"]["waiting"] == 1


# --- the board: paged, natural order ---------------------------------------------------------

def big_roster(n: int) -> str:
    lines = ["precinct,county,name,delegates,chair,phones,pin,past_turnout"]
    for i in range(1, n + 1):
        county = "Polk" if i % 2 else "Story"
        lines.append(f"DSM-{i},{county},Precinct {i},3,Chair {i},+1515600{i:04d},{1000 + i},")
    return "\n".join(lines) + "\n"


def board_codes(html: str) -> list[str]:
    return re.findall(r'<tr id="precinct-([A-Z]+-\d+)"', html)


def test_the_board_pages_in_natural_order_and_keeps_its_filters(rt, carol):
    load_roster(rt, big_roster(250))  # on top of the test roster: AMES-1 and IC-5 stay, 252 in all
    expected = ["AMES-1"] + [f"DSM-{i}" for i in range(1, 251)] + ["IC-5"]
    first = carol.text("/admin/")
    assert board_codes(first) == expected[:100]                # DSM-2 before DSM-10, 100 a page
    assert "252 precincts match; page 1 of 3, 100 shown" in first
    assert 'rel="next" href="/admin/?page=2&amp;per_page=100"' in first
    third = carol.text("/admin/?page=3")
    assert board_codes(third) == expected[200:]
    assert board_codes(carol.text("/admin/?page=99")) == expected[200:]   # past the end: the last page
    # A filter is kept across pages; a page size is chosen without JS.
    polk = carol.text("/admin/?county=Polk&page=2&per_page=50")
    assert board_codes(polk) == [f"DSM-{i}" for i in range(101, 200, 2)]
    assert "125 precincts match; page 2 of 3, 50 shown" in polk
    assert 'href="/admin/?page=3&amp;county=Polk&amp;per_page=50"' in polk
    assert '<option selected>50</option>' in polk
    everything = carol.text("/admin/?per_page=500")
    assert board_codes(everything) == expected and "page 1 of" not in everything
    assert sorted(expected, key=natural_key) == expected
    # The statewide count still covers every precinct, whatever the page.
    assert "0 of 252 precincts reporting" in third
    assert len(board_codes(carol.text("/admin/?per_page=7"))) == 100   # a size not offered: the default
