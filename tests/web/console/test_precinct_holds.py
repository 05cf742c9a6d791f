"""Staff hold a precinct back from the public results for review; a second staff member releases
it. Warnings that suggest a copy error hold a precinct on their own until somebody looks."""
from __future__ import annotations

import dataclasses
import html

from sqlalchemy import select

from hotline.adapters.models import BacklogItem, LogEntry, PrecinctHold, ResultChange
from tests.support.chairs import IC_5_DELEGATES, IC_5_FINAL, IC_5_FIRST, Phone, load_roster, report
from tests.web.console.staff import flashes

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
FINAL = "final: Pete 55, Bernie 48, Warren 32"
DELEGATES = "delegates: Pete 3, Bernie 2, Warren 2"
PAGE = "/console/precincts/DSM-42"
REASON = "worksheet photo shows 56 for Pete"


def reporting(client) -> int:
    return client.get("/api/results").get_json()["precincts_reporting"]


def reasons(rt) -> list[str]:
    with rt.db.reading() as s:
        return list(s.scalars(select(ResultChange.reason).order_by(ResultChange.sequence)))


def test_a_hold_takes_the_precinct_out_of_the_public_results_and_a_second_person_releases_it(rt, client, alice, bob):
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, DELEGATES)
    assert reporting(client) == 1
    page = html.unescape(alice.text(PAGE))
    assert "Hold for review" in page and "Not held" in page and 'action="/console/precincts/DSM-42/hold"' in page

    resp = alice.post("/console/precincts/DSM-42/hold", {"reason": REASON})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#hold")
    assert reporting(client) == 0
    assert reasons(rt) == ["first report", "held for review"]
    public = client.get("/api/results/precincts/DSM-42").get_json()
    assert public["status"] == "held for review" and public["held_since"] and "delegates" not in public
    visible = client.get("/results/precincts/DSM-42").get_data(as_text=True) + str(public)
    assert REASON not in visible and "alice" not in visible  # when, never why or who
    with rt.db.reading() as s:
        item = s.scalars(select(BacklogItem).where(BacklogItem.kind == "precinct_held")).one()
        assert item.resolved_at is None and REASON in item.summary and "alice" in item.summary

    # alice may not release her own hold
    page = html.unescape(alice.text(PAGE))
    assert "another staff member must review the precinct" in page and "Release the hold" not in page
    alice.post("/console/precincts/DSM-42/release", {"note": "looked again"})
    assert "You placed this hold" in " ".join(flashes(alice.text(PAGE)))
    assert reporting(client) == 0

    bob_page = html.unescape(bob.text(PAGE))
    assert f"by alice: {REASON}" in bob_page and "Release the hold" in bob_page
    bob.post("/console/precincts/DSM-42/release", {"note": "called the chair: 55 is right"})
    assert reporting(client) == 1
    assert reasons(rt) == ["first report", "held for review", "released after review"]
    with rt.db.reading() as s:
        assert s.scalars(select(BacklogItem.resolved_at).where(BacklogItem.kind == "precinct_held")).one()
        kinds = [(e.kind, e.actor) for e in s.scalars(select(LogEntry).where(
            LogEntry.kind.in_(("precinct_held", "precinct_released"))).order_by(LogEntry.seq))]
        assert kinds == [("precinct_held", "alice"), ("precinct_released", "bob")]
    assert "Not held (1 earlier hold, released)" in html.unescape(alice.text(PAGE))


def test_refused_holds_and_releases_change_nothing(rt, client, alice, bob):
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, DELEGATES)
    alice.post("/console/precincts/DSM-42/hold", {"reason": "   "})
    assert "Say why the precinct is held" in " ".join(flashes(alice.text(PAGE)))
    bob.post("/console/precincts/DSM-42/release", {"note": "x"})
    assert "DSM-42 is not held." in " ".join(flashes(bob.text(PAGE)))
    alice.post("/console/precincts/DSM-42/hold", {"reason": REASON})
    alice.post("/console/precincts/DSM-42/hold", {"reason": "again"})
    assert "already held" in " ".join(flashes(alice.text(PAGE)))
    bob.post("/console/precincts/DSM-42/release", {"note": ""})
    assert "Say what you checked" in " ".join(flashes(bob.text(PAGE)))
    assert alice.post("/console/precincts/NOPE-1/hold", {"reason": REASON}).status_code == 404
    with rt.db.reading() as s:
        assert len(s.scalars(select(PrecinctHold)).all()) == 1
    assert reporting(client) == 0


def test_a_precinct_that_copies_anothers_alignments_is_held_until_someone_looks(rt, client, alice):
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, DELEGATES)
    report(Phone(client, rt, "+13195550105"), FIRST, FINAL, "delegates: Pete 2, Bernie 1, Warren 1")  # DSM-42's
    assert reporting(client) == 1  # IC-5 is held by the checks
    with rt.db.reading() as s:
        hold = s.scalars(select(PrecinctHold)).one()
        assert hold.kind == "auto" and hold.held_by is None and hold.findings == ["identical-precinct"]
    assert client.get("/api/results/precincts/IC-5").get_json()["status"] == "held for review"
    page = html.unescape(alice.text("/console/precincts/IC-5"))
    assert "by the checks: possible copy error (identical-precinct)" in page and "Release the hold" in page
    alice.post("/console/precincts/IC-5/release", {"note": "the chair confirmed both counts by phone"})
    assert reporting(client) == 2


def test_the_copy_hold_can_be_turned_off(rt, client):
    load_roster(rt)
    rt.config = dataclasses.replace(rt.config, hold_copy_warnings=False)
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, DELEGATES)
    report(Phone(client, rt, "+13195550105"), FIRST, FINAL, "delegates: Pete 2, Bernie 1, Warren 1")
    assert reporting(client) == 2
    report(Phone(client, rt, "+15155550107"), "first: Pete 30, Bernie 25, Warren 10")
    with rt.db.reading() as s:
        assert s.scalars(select(PrecinctHold)).all() == []


def test_distinct_precincts_are_not_held(rt, client):
    load_roster(rt)
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, DELEGATES)
    report(Phone(client, rt, "+13195550105"), IC_5_FIRST, IC_5_FINAL, IC_5_DELEGATES)
    assert reporting(client) == 2


def test_resolving_a_hold_item_releases_the_hold_under_its_two_person_rule(rt, client, alice, bob):
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, DELEGATES)
    alice.post("/console/precincts/DSM-42/hold", {"reason": REASON})
    with rt.db.reading() as s:
        item_id = s.scalars(select(BacklogItem.id).where(BacklogItem.kind == "precinct_held")).one()
    alice.post(f"/console/items/{item_id}/claim")
    resp = alice.post(f"/console/items/{item_id}/resolve", {"note": "looked again"})
    assert "another staff member must review" in " ".join(flashes(alice.text(resp.headers["Location"])))
    assert reporting(client) == 0  # still held: she placed it
    bob.post(f"/console/items/{item_id}/claim")
    resp = bob.post(f"/console/items/{item_id}/resolve", {"note": "photo matches"})
    assert "the hold is released" in " ".join(flashes(bob.text(resp.headers["Location"])))
    assert reporting(client) == 1
    with rt.db.reading() as s:
        assert s.get(BacklogItem, item_id).resolved_at is not None
        assert s.scalars(select(PrecinctHold.released_by)).one() == "bob"


def test_a_release_closes_the_hold_item_under_the_releasing_staff_members_name(rt, client, alice, bob):
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, DELEGATES)
    alice.post("/console/precincts/DSM-42/hold", {"reason": REASON})
    bob.post("/console/precincts/DSM-42/release", {"note": "photo matches"})
    with rt.db.reading() as s:
        item = s.scalars(select(BacklogItem).where(BacklogItem.kind == "precinct_held")).one()
        assert item.resolved_by == "bob" and item.resolution == "released"
        assert s.scalars(select(LogEntry.actor).where(LogEntry.kind == "backlog_resolved")).all() == ["bob"]
