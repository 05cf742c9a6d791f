"""Issue 24, the new-user trial: the log in sentences, entry from the recorded figures, a note on an
item that closed itself, the administrators-only page, partly reported precincts, holds' bad input."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from hotline.adapters.models import BacklogItem, LogEntry, PrecinctHold, Report
from hotline.services.console import entry as staff_entry
from hotline.services.records import roster
from tests.support.chairs import Phone, report, report_flagged
from tests.web.console.staff import flashes

CHAIR = "+15155550142"
FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
FINAL = "final: Pete 55, Bernie 48, Warren 32"
DELEGATES = "delegates: Pete 3, Bernie 2, Warren 2"
ENTER = "/console/precincts/DSM-42/enter"


def log_rows(page: str) -> list[str]:
    return re.findall(r'<tr id="entry-\d+">(.*?)</tr>', page, re.DOTALL)


def cells(row: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]


def pending(rt) -> list[tuple[int, dict, int | None]]:
    """Staff entries waiting for approval: (id, counts by stage, attendance)."""
    with rt.db.reading() as s:
        return [(sub.id, {r.stage: r.counts for r in sub.reports}, sub.attendance) for sub in staff_entry.pending(s)]


# 1. The verification log reads as sentences

def test_the_log_page_shows_a_sentence_per_entry_and_keeps_the_raw_detail(rt, client, carol, alice):
    report(Phone(client, rt, CHAIR), FIRST)
    alice.post(ENTER, data={"text": FINAL})
    page = carol.text("/admin/log?precinct=DSM-42")
    rows = [cells(r) for r in log_rows(page)]
    details = {row[2]: row for row in reversed(rows)}  # kind -> the oldest row of that kind
    sent = [row for row in rows if row[2] == "code_sent"]
    chair_code = next(row for row in sent if row[5] == CHAIR)
    assert chair_code[6].startswith(f"Read-back code sent to {CHAIR} for DSM-42 (first); checks: attendance-missing")
    assert details["report_confirmed"][6].startswith("Report confirmed: DSM-42 first alignment Biden 12, Buttigieg 45")
    assert details["report_confirmed"][5] == CHAIR
    # alice's entry: under her name, and not worded as a code sent
    staff_code = next(row for row in sent if row[5] == "alice")
    assert "Read-back" not in staff_code[6] and "stored by alice" in staff_code[6]
    assert details["staff_entered"][5] == "alice" and details["sms_received"][5] == CHAIR
    # sentences, never JSON; the raw detail one click away
    for row in log_rows(page):
        sentence = re.search(r'<span class="sentence">(.*?)</span>', row, re.DOTALL).group(1)
        assert "{" not in sentence and "&#34;" not in sentence
    assert page.count("<summary>raw</summary>") >= len(rows) - 1 and '"submission_id": ' in page


def test_the_who_column_says_system_for_automatic_entries(rt, client, carol):
    report_flagged(client, rt)
    rows = [cells(r) for r in log_rows(carol.text("/admin/log?kind=backlog_opened"))]
    assert rows and all(row[5] == "system" for row in rows)
    assert rows[0][6].startswith("Item #") and "opened" in rows[0][6]


# 2. Enter results starts from the recorded figures

def test_entry_boxes_hold_the_recorded_figures_and_unchanged_stages_are_not_entered(rt, client, alice):
    report(Phone(client, rt, CHAIR), FIRST, FINAL)
    index = {c.name: i for i, c in enumerate(roster.candidates(rt.units))}
    page = alice.text(ENTER)
    assert "The boxes hold the figures recorded now for DSM-42" in page
    assert f'name="first-{index["Buttigieg"]}" inputmode="numeric" pattern="[0-9]*" size="4" value="45"' in page
    assert f'name="final-{index["Warren"]}" inputmode="numeric" pattern="[0-9]*" size="4" value="32"' in page
    form = dict(re.findall(r'<input id="[^"]+" name="((?:first|final|delegates)-\d+|attendance)"[^>]*value="([^"]*)"', page))

    resp = alice.post(ENTER, data=form, follow_redirects=True)  # nothing changed
    assert "Nothing changed" in " ".join(flashes(resp.get_data(as_text=True))) and pending(rt) == []

    changed = {**form, f"final-{index['Warren']}": "33"}  # one box
    assert alice.post(ENTER, data=changed).status_code == 302
    [(_, stages, attendance)] = pending(rt)
    assert stages == {"final": {"Buttigieg": 55, "Sanders": 48, "Warren": 33}} and attendance is None
    with rt.db.reading() as s:
        logged = s.scalars(select(LogEntry).where(LogEntry.kind == "staff_entered")).one()
        assert list(logged.detail["stages"]) == ["final"]


def test_a_newly_filled_stage_is_entered_alone(rt, client, alice):
    report(Phone(client, rt, CHAIR), FIRST)
    index = {c.name: i for i, c in enumerate(roster.candidates(rt.units))}
    page = alice.text(ENTER)
    form = dict(re.findall(r'<input id="[^"]+" name="((?:first|final|delegates)-\d+|attendance)"[^>]*value="([^"]*)"', page))
    form.update({f"delegates-{index['Buttigieg']}": "3", f"delegates-{index['Warren']}": "2"})
    alice.post(ENTER, data=form)
    assert [stages for _, stages, _ in pending(rt)] == [{"delegates": {"Buttigieg": 3, "Warren": 2}}]


def test_typed_text_with_the_recorded_figures_enters_nothing(rt, client, alice):
    report(Phone(client, rt, CHAIR), FIRST)
    resp = alice.post(ENTER, data={"text": FIRST}, follow_redirects=True)
    assert "Nothing changed: these are the figures already recorded for DSM-42" in resp.get_data(as_text=True)
    assert pending(rt) == []


def test_a_precinct_without_figures_says_so_on_the_entry_page(rt, alice):
    page = alice.text(ENTER)
    assert "DSM-42 has no figures recorded yet" in page and "The boxes hold" not in page


# 3. A failed-check item that closes itself keeps the staff member's note

def test_a_note_on_an_item_that_closed_itself_is_kept_and_logged(rt, client, alice):
    item_id = report_flagged(client, rt)
    alice.post(f"/console/items/{item_id}/claim")
    assert "Resolve" in alice.text(f"/console/items/{item_id}")      # alice starts writing her note
    chair = Phone(client, rt, CHAIR)
    chair.send(DELEGATES)                                              # meanwhile the chair corrects it
    chair.send(f"YES {chair.code()}")
    resp = alice.post(f"/console/items/{item_id}/resolve", data={"note": "called the chair, she resent"},
                      follow_redirects=True)
    with rt.db.reading() as s:
        item = s.get(BacklogItem, item_id)
        entry = s.scalars(select(LogEntry).where(LogEntry.kind == "backlog_note_added")).one()
        assert item.resolved_by == "system" and item.claimed_by is None
        said = " ".join(flashes(resp.get_data(as_text=True)))
        assert (f"This item closed itself at {item.resolved_at:%H:%M} UTC because a newer confirmed report passes "
                "the checks; your note was added.") in said
        assert [n["note"] for n in item.detail["notes"]] == ["called the chair, she resent"]
        assert (entry.actor, entry.detail["item_id"], entry.detail["note"]) == ("alice", item_id,
                                                                                "called the chair, she resent")
    page = html.unescape(alice.text(f"/console/items/{item_id}"))
    assert "called the chair, she resent" in page and "Add a note" in page

    alice.post(f"/console/items/{item_id}/note", data={"note": "chair thanked us"})  # the closed item's form
    with rt.db.reading() as s:
        assert [n["note"] for n in s.get(BacklogItem, item_id).detail["notes"]][-1] == "chair thanked us"


def test_the_note_form_refuses_an_open_item_and_an_empty_note(rt, client, alice):
    item_id = report_flagged(client, rt)
    resp = alice.post(f"/console/items/{item_id}/note", data={"note": "x"}, follow_redirects=True)
    assert "still open" in resp.get_data(as_text=True)
    resp = alice.post(f"/console/items/{item_id}/resolve", data={"note": "   "}, follow_redirects=True)
    with rt.db.reading() as s:
        assert s.get(BacklogItem, item_id).resolved_at is None


# 4. Administrators-only pages keep the layout

def test_a_staff_member_on_an_admin_page_gets_the_page_layout_and_a_plain_message(alice):
    resp = alice.get("/admin/log")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 403 and resp.mimetype == "text/html"
    assert "Administrators only: ask an administrator" in page
    assert 'aria-label="Main"' in page and "Work queue" in page and "Signed in as" in page
    resp = alice.get("/admin/log", headers={"Accept": "application/json"})
    assert resp.status_code == 403 and resp.get_json() == {"error": "Only administrators can open this page."}


# 5. The board: partly reported is not "Confirmed"

def test_a_precinct_with_one_stage_in_is_partly_reported(rt, client, carol):
    report(Phone(client, rt, CHAIR), FIRST)
    page = carol.text("/admin/")
    assert 'id="precinct-DSM-42" class="state-partial"' in page
    assert '<td data-state="partial">Partly reported (first alignment only)</td>' in page
    assert '<strong data-state="partial">1</strong>' in page and '<strong data-state="confirmed">0</strong>' in page
    only = carol.text("/admin/?state=partial")
    assert 'id="precinct-DSM-42"' in only and 'id="precinct-IC-5"' not in only
    report(Phone(client, rt, CHAIR), FINAL, DELEGATES)
    assert 'id="precinct-DSM-42" class="state-confirmed"' in carol.text("/admin/")


# 6. Holds' bad input

def test_a_hold_before_any_figures_keeps_them_out_until_released(rt, client, alice, bob):
    alice.post("/console/precincts/DSM-42/hold", {"reason": "chair sounded unsure"})
    said = " ".join(flashes(alice.text("/console/precincts/DSM-42")))
    assert "It has no figures yet" in said
    assert "no figures yet" in html.unescape(bob.text("/console/precincts/DSM-42"))
    with rt.db.reading() as s:
        held = s.scalars(select(LogEntry).where(LogEntry.kind == "precinct_held")).one()
        assert held.detail["no_figures"] is True and held.actor == "alice"
    report(Phone(client, rt, CHAIR), FIRST, FINAL, DELEGATES)
    assert client.get("/api/results").get_json()["precincts_reporting"] == 0
    bob.post("/console/precincts/DSM-42/release", {"note": "called the chair"})
    assert client.get("/api/results").get_json()["precincts_reporting"] == 1


def test_releasing_ones_own_hold_is_refused_and_logged(rt, client, alice):
    report(Phone(client, rt, CHAIR), FIRST)
    alice.post("/console/precincts/DSM-42/hold", {"reason": "photo differs"})
    alice.post("/console/precincts/DSM-42/release", {"note": "looked again"})
    said = " ".join(flashes(alice.text("/console/precincts/DSM-42")))
    assert "You placed this hold: another staff member must review DSM-42 and release it." in said
    with rt.db.reading() as s:
        [refused] = s.scalars(select(LogEntry).where(LogEntry.kind == "hold_release_refused")).all()
        assert (refused.actor, refused.precinct_code) == ("alice", "DSM-42")
        assert s.scalars(select(PrecinctHold)).one().released_at is None
        assert s.scalars(select(Report)).first() is not None
