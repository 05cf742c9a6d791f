"""Administration: imports, the precinct board, log search/export/verify, worksheets, the simulator."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

from sqlalchemy import func, select

from hotline.adapters.models import LogEntry, Precinct, Worksheet
from tests.web.console.staff import flashes, open_item
from tests.support.chairs import IC_5_BAD_DELEGATES, IC_5_DELEGATES, IC_5_FIRST, IC_5_FINAL, Phone, report

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
FINAL = "final: Pete 55, Bernie 48, Warren 32"
DELEGATES = "delegates: Pete 3, Bernie 2, Warren 2"


def upload(member, kind: str, text: str):
    return member.post("/admin/imports", data={"kind": kind, "file": (io.BytesIO(text.encode()), f"{kind}.csv")},
                       content_type="multipart/form-data")


def test_roster_upload_shows_row_errors_and_imports_nothing(rt, carol):
    bad = ("precinct,county,name,delegates,chair,phones,pin\n"
           "NEW-1,Polk,New 1,3,Ann,+15155550301,1234\n"
           "bad code,Polk,Bad,3,Bo,+15155550302,1234\n"
           "NEW-3,Polk,New 3,3,Cy,not-a-phone,12\n")
    resp = upload(carol, "roster", bad)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "line 3: precinct code" in page and "line 4: phones" in page and "line 4: PIN" in page
    with rt.db.transaction() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Precinct).where(Precinct.code == "NEW-1")) == 0
    good = "precinct,county,name,delegates,chair,phones,pin\nNEW-1,Polk,New 1,3,Ann,+15155550301,1234\n"
    resp = upload(carol, "roster", good)
    assert "Imported 1 roster rows" in " ".join(flashes(carol.text("/admin/imports")))
    with rt.db.transaction() as uow:
        entry = uow.session.execute(select(LogEntry).where(LogEntry.kind == "roster_imported")
                                    .order_by(LogEntry.seq.desc())).scalars().first()
    assert entry.actor == "carol"


def test_board_states_and_reporting_counts(rt, client, carol, alice, bob):
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, DELEGATES)           # DSM-42 confirmed
    report(Phone(client, rt, "+13195550105"), IC_5_FIRST, IC_5_FINAL, IC_5_BAD_DELEGATES)  # IC-5 flagged
    Phone(client, rt, "+15155550107").send("first: Biden 3, Pete 4")              # DSM-7 awaiting
    page = carol.text("/admin/")
    assert "1 of 4 precincts reporting" in page
    assert 'id="precinct-DSM-42" class="state-confirmed"' in page
    assert 'id="precinct-IC-5" class="state-flagged"' in page
    assert 'id="precinct-DSM-7" class="state-awaiting"' in page
    assert 'id="precinct-AMES-1" class="state-not_reported"' in page
    # a staff correction approved by someone else -> "approved"; the old report stays as history
    alice.post("/console/precincts/IC-5/enter", data={"text": IC_5_DELEGATES})
    sub_id = carol.text("/console/approvals").split('id="approve-')[1].split('"')[0]
    bob.post(f"/console/approvals/{sub_id}/approve")
    page = carol.text("/admin/?county=Johnson")
    assert 'id="precinct-IC-5" class="state-approved"' in page and "DSM-42" not in page.split('id="board"')[1]
    assert "2 of 4 precincts reporting" in page
    flagged = carol.text("/admin/?state=flagged")
    assert 'id="precinct-' not in flagged


def test_log_search_by_precinct_actor_kind_and_time(rt, client, carol, alice):
    report(Phone(client, rt, "+15155550142"), FIRST)
    alice.post("/console/precincts/DSM-42/enter", data={"text": FINAL})
    page = carol.text("/admin/log?precinct=dsm-42&actor=alice")
    assert "<td>staff_entered</td>" in page and "<td>sms_received</td>" not in page
    page = carol.text("/admin/log?phone=(515) 555-0142&kind=sms_received")
    assert page.count("<td>sms_received</td>") == 2
    assert "No entries match" in carol.text("/admin/log?since=2999-01-01T00:00")
    assert "staff_entered" in carol.text("/admin/log?since=2000-01-01T00:00&until=2999-01-01T00:00")


def test_log_exports_csv_and_json(rt, client, carol):
    report(Phone(client, rt, "+15155550142"), FIRST)
    data = json.loads(carol.get("/admin/log.json?precinct=DSM-42").get_data(as_text=True))
    assert data and all(row["precinct"] == "DSM-42" for row in data)
    assert [r["seq"] for r in data] == sorted(r["seq"] for r in data)
    rows = list(csv.DictReader(io.StringIO(carol.get("/admin/log.csv").get_data(as_text=True))))
    assert {"login", "report_confirmed"} <= {r["kind"] for r in rows}
    assert json.loads(rows[0]["detail"]) is not None and len(rows[0]["hash"]) == 64


def test_verify_button_finds_an_altered_entry(rt, carol):
    resp = carol.post("/admin/log/verify", follow_redirects=True)
    assert "is intact" in resp.get_data(as_text=True)
    with rt.db.transaction() as uow:
        entry = uow.session.execute(select(LogEntry).where(LogEntry.kind == "login")).scalars().first()
        entry.actor = "mallory"
    resp = carol.post("/admin/log/verify", follow_redirects=True)
    assert f"entry {entry.seq} was altered" in resp.get_data(as_text=True)


def test_worksheet_differences_and_correction_prefill(rt, client, carol):
    from hotline.services.records import roster
    report(Phone(client, rt, "+15155550142"), FIRST)
    index = {c.name: i for i, c in enumerate(roster.candidates(rt.units))}
    form = {f"first-{index[n]}": str(v) for n, v in
            {"Biden": 12, "Buttigieg": 46, "Klobuchar": 8, "Sanders": 40, "Warren": 30}.items()}
    carol.post("/admin/reconcile/DSM-42", data={**form, "note": "signed sheet"})
    page = carol.text("/admin/reconcile?code=DSM-42")
    assert "1 difference from the recorded report" in page and "<td>46</td><td>45</td>" in page
    with rt.db.transaction() as uow:
        ws = uow.session.execute(select(Worksheet)).scalar_one()
    prefilled = carol.text(f"/console/precincts/DSM-42/enter?worksheet={ws.id}")
    assert f'id="first-{index["Buttigieg"]}" name="first-{index["Buttigieg"]}" inputmode="numeric" pattern="[0-9]*" size="4" value="46"' in prefilled


def test_results_export_includes_unpublished_precincts(rt, client, carol):
    report(Phone(client, rt, "+15155550142"), FIRST)
    rows = list(csv.DictReader(io.StringIO(carol.get("/admin/exports/results.csv").get_data(as_text=True))))
    biden = next(r for r in rows if r["candidate"] == "Biden")
    assert (biden["precinct"], biden["first"], biden["published"], biden["state"]) == ("DSM-42", "12", "False", "partial")
    assert json.loads(carol.get("/admin/exports/results.json").get_data(as_text=True))[0]["precinct"] == "DSM-42"


def test_phone_simulator_posts_a_signed_text_and_shows_the_reply(rt, alice):
    from tests.support.stack import work
    page = alice.text("/dev/phone/")
    assert "Maria Nguyen" in page
    resp = alice.post("/dev/phone/send", data={"phone": "+15155550142", "body": FIRST})
    assert resp.status_code == 302
    work(rt)
    thread = alice.get("/dev/phone/thread.json?phone=%2B15155550142").get_json()
    assert thread["count"] == 2 and "Reply YES" in thread["html"]
    resp = alice.post("/dev/phone/send", data={"phone": "+19995550000", "body": "hi"}, follow_redirects=True)
    assert "Pick a chair first" in resp.get_data(as_text=True)


def test_phone_simulator_is_absent_in_production(rt, alice):
    rt.config = replace(rt.config, env="production")
    assert alice.get("/dev/phone/").status_code == 404
    assert alice.post("/dev/phone/send", data={"phone": "+15155550142", "body": "x"}).status_code == 404


def test_precinct_page_links_history(rt, carol):
    open_item(rt)
    page = carol.text("/console/precincts/dsm-42")
    assert "Maria Nguyen" in page and "/admin/log?precinct=DSM-42" in page
    assert carol.get("/console/precincts/NOPE-1").status_code == 404
