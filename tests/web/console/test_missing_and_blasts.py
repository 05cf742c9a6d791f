"""The Missing page, reminder and broadcast forms (preview, send, cancel), the board's link and
the send budget page."""
from __future__ import annotations

import re

from sqlalchemy import select

from hotline.adapters.models import Blast, LogEntry, OutboundMessage
from tests.support.chairs import Phone, report
from tests.web.console.staff import flashes

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"


def codes_in(page: str) -> list[str]:
    return re.findall(r'<tr id="missing-([A-Z0-9-]+)"', page)


def blast_texts(rt) -> list[tuple[str, str, int, str]]:
    with rt.db.transaction() as uow:
        m = OutboundMessage
        return [tuple(r) for r in uow.session.execute(select(m.to_number, m.kind, m.priority, m.status)
                                                      .where(m.kind.like("blast_%")).order_by(m.id))]


def test_staff_see_missing_precincts_by_county_with_filters(rt, client, alice):
    report(Phone(client, rt, "+15155550142"), FIRST)  # DSM-42: first alignment only
    page = alice.text("/console/missing-reports")
    assert codes_in(page) == ["IC-5", "DSM-7", "DSM-42", "AMES-1"]  # Johnson, Polk (7 before 42), Story
    assert '<strong id="missing-total">4 of 4 precincts</strong>' in page
    assert 'since the first report of the night' in page
    row = page.split('id="missing-DSM-42"')[1].split("</tr>")[0]
    assert "Final alignment, County delegates" in row and "not yet" in row
    assert codes_in(alice.text("/console/missing-reports?county=Polk")) == ["DSM-7", "DSM-42"]
    assert codes_in(alice.text("/console/missing-reports?stage=first")) == ["IC-5", "DSM-7", "AMES-1"]
    assert 'id="blast-form"' not in page  # staff see the list; administrators send


def test_staff_cannot_send_a_blast(rt, alice):
    resp = alice.post("/console/blasts", data={"kind": "reminder", "action": "send"})
    assert resp.status_code == 403
    assert blast_texts(rt) == []


def test_an_administrator_previews_then_sends_a_reminder_and_can_cancel_it(rt, carol):
    page = carol.post("/console/blasts", data={"kind": "reminder", "county": "Polk",
                                                "action": "preview"}).get_data(as_text=True)
    assert "<strong>Preview:</strong> 2 texts (2 GSM-7), 1 segment each, 2 in all" in page
    assert 'value="send">Send 2 texts</button>' in page
    assert blast_texts(rt) == []  # a preview sends nothing
    resp = carol.post("/console/blasts", data={"kind": "reminder", "county": "Polk", "action": "send"})
    assert resp.status_code == 302
    assert [(to, kind, prio) for to, kind, prio, _ in blast_texts(rt)] == [
        ("+15155550107", "blast_reminder", 2), ("+15155550142", "blast_reminder", 2)]
    page = carol.text(resp.headers["Location"])
    assert flashes(page)[0].startswith("Blast 1 sent: 2 texts")
    assert page.count("reminded just now") == 2
    assert codes_in(carol.text("/console/missing-reports?not_reminded=1")) == ["IC-5", "AMES-1"]
    carol.post("/console/blasts/1/cancel")
    assert [status for *_, status in blast_texts(rt)] == ["cancelled", "cancelled"]
    assert "Blast 1 cancelled: 2 texts will not be sent." in flashes(carol.text("/console/missing-reports"))
    with rt.db.transaction() as uow:
        kinds = uow.session.scalars(select(LogEntry.kind).where(LogEntry.actor == "carol")).all()
        assert {"blast_sent", "blast_cancelled"} <= set(kinds)


def test_a_broadcast_and_the_bad_inputs_get_a_clear_answer(rt, carol):
    resp = carol.post("/console/blasts", data={"kind": "broadcast", "text": "", "action": "preview"})
    assert resp.status_code == 422 and "Write the broadcast&#39;s text first." in resp.get_data(as_text=True)
    resp = carol.post("/console/blasts", data={"kind": "broadcast", "county": "Nowhere", "text": "hi",
                                               "action": "send"})
    assert resp.status_code == 422 and "No chair matches" in resp.get_data(as_text=True)
    resp = carol.post("/console/blasts", data={"kind": "broadcast", "action": "send",
                                               "text": "The hotline number changed: text 515-555-9000."})
    assert resp.status_code == 302 and len(blast_texts(rt)) == 4
    with rt.db.transaction() as uow:
        assert uow.session.scalars(select(Blast.kind)).all() == ["broadcast"]


def test_the_board_links_to_the_missing_page_with_a_count(rt, carol):
    page = carol.text("/admin/")
    assert re.search(r'Missing: <strong>4</strong> precincts still miss a stage, 4 with no report', page)
    assert "/console/missing-reports" in page


def test_the_send_budget_page(rt, carol, alice):
    page = carol.text("/admin/plan?precincts=1765&numbers=50&rate=1")
    assert "1765 precincts on 50 numbers at 1.0 segment/s" in page
    assert re.search(r'<strong id="plan-needed">\d+</strong> numbers? at this rate', page)
    assert "short-code" in page and "https://support.twilio.com/hc/en-us/articles/4411046744987" in page
    assert "measured: the drill" in page
    assert "4 precincts on 1 number" in carol.text("/admin/plan?precincts=oops")  # the roster's, not a 500
    assert alice.get("/admin/plan").status_code == 403
