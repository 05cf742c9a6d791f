"""The versioned results feed: a sequence number per change to the published results, the
changes themselves, the results as they stood at any sequence, and bulk downloads that say which
sequence they were made at. Nothing personal in any of it."""
from __future__ import annotations

import csv
import io

import pytest

from hotline.services.console import review
from tests.support.chairs import Phone, load_roster, report
from tests.web.console.staff import _fast_hashes, accounts  # noqa: F401

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
FINAL = "final: Pete 55, Bernie 48, Warren 32"
DELEGATES = "delegates: Pete 3, Bernie 2, Warren 2"
BAD_DELEGATES = "delegates: Pete 2, Bernie 3, Warren 2"
RECOUNT = "final: Pete 56, Bernie 47, Warren 32"
PHONE = "+15155550142"
PERSONAL = ("5155550142", "3195550105", "alex", "Maria")


@pytest.fixture
def chair(client, rt) -> Phone:
    load_roster(rt)
    return Phone(client, rt, PHONE)


def changes(client, since: int = 0, **args) -> dict:
    query = "&".join(f"{k}={v}" for k, v in {"since": since, **args}.items())
    resp = client.get(f"/api/results/changes?{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def buttigieg(data: dict) -> dict:
    return next(c for c in data["statewide"] if c["candidate"] == "Buttigieg")


def test_a_first_report_then_a_correction_make_two_sequences_and_the_old_release_stays(client, chair):
    before = client.get("/api/results")
    assert before.get_json()["sequence"] == 0 and before.get_json()["as_of"] is None
    report(chair, FIRST, FINAL)  # not published yet: no change to the public results
    assert changes(client)["changes"] == [] and client.get("/api/results").get_json()["sequence"] == 0

    report(chair, DELEGATES)
    first = client.get("/api/results")
    one = first.get_json()
    assert one["sequence"] == 1 and one["as_of"] and one["precincts_reporting"] == 1
    assert first.headers["ETag"].startswith('"seq-1-')
    [row] = changes(client)["changes"]
    assert row["sequence"] == 1 and row["precinct"] == "DSM-42" and row["reason"] == "first report"
    assert row["channel"] == "sms" and row["old"] is None and row["stages"] == ["first", "final", "delegates"]
    assert row["new"]["final"] == {"Buttigieg": 55, "Sanders": 48, "Warren": 32}
    assert client.get("/api/results", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    report(chair, RECOUNT)  # the chair corrects the final alignment
    now = client.get("/api/results", headers={"If-None-Match": first.headers["ETag"]})
    assert now.status_code == 200 and now.headers["ETag"].startswith('"seq-2-')
    assert now.get_json()["sequence"] == 2 and buttigieg(now.get_json())["final"] == 56
    feed = changes(client, since=1)
    assert feed["sequence"] == 2 and feed["next"] is None
    [fix] = feed["changes"]
    assert (fix["sequence"], fix["precinct"], fix["stages"], fix["reason"], fix["channel"]) == (
        2, "DSM-42", ["final"], "correction by the chair", "sms")
    assert fix["old"]["final"]["Buttigieg"] == 55 and fix["new"]["final"]["Buttigieg"] == 56
    assert fix["old"]["first"] == fix["new"]["first"]

    # the release at sequence 1 still has the old figures, and never changes (cached, 304s)
    at1 = client.get("/api/results?at=1")
    assert at1.status_code == 200
    old = at1.get_json()
    assert old["sequence"] == 1 and old["as_of"] == one["as_of"] and buttigieg(old)["final"] == 55
    assert {k: v for k, v in old.items() if k not in ("updated_at", "updated_central")} == {
        k: v for k, v in one.items() if k not in ("updated_at", "updated_central")}
    assert client.get("/api/results?at=1", headers={"If-None-Match": at1.headers["ETag"]}).status_code == 304
    assert client.get("/api/results?at=0").get_json()["precincts_reporting"] == 0
    at2 = client.get("/api/results?at=2").get_json()
    assert at2["statewide"] == now.get_json()["statewide"]


def test_the_same_figures_again_take_no_sequence(client, chair):
    report(chair, FIRST, FINAL, DELEGATES)
    report(chair, FINAL)  # a resend of what is already published
    assert client.get("/api/results").get_json()["sequence"] == 1
    assert len(changes(client)["changes"]) == 1


def test_a_held_report_and_an_explained_flag_are_changes_with_their_reasons(client, rt, chair):
    report(chair, FIRST, FINAL, BAD_DELEGATES)
    assert client.get("/api/results").get_json()["sequence"] == 0  # flagged: not published
    review.explain(rt.units, "DSM-42", "alex", "coin toss, worksheet photo agrees")
    report(chair, "final: Pete 55, Bernie 48, Warren 33")  # a correction that fails the checks
    report(chair, FINAL, DELEGATES)  # and the chair puts it right (the explained flag was for the old one)
    rows = changes(client)["changes"]
    assert [(r["sequence"], r["reason"], r["channel"]) for r in rows] == [
        (1, "flag explained", "staff"),
        (2, "held: the newest report failed the checks", "sms"),
        (3, "correction by the chair", "sms")]
    assert rows[1]["new"] is None and rows[1]["old"] == rows[0]["new"] and rows[2]["old"] is None
    assert [client.get(f"/api/results?at={n}").get_json()["precincts_reporting"] for n in (1, 2, 3)] == [1, 0, 1]
    body = client.get("/api/results/changes").get_data(as_text=True)
    assert not [word for word in PERSONAL if word in body]


def test_changes_are_paginated_with_a_cursor(client, rt, chair):
    report(chair, FIRST, FINAL, DELEGATES, RECOUNT, FINAL)
    report(Phone(client, rt, "+13195550105"), "first: Pete 30, Bernie 40, Warren 20, Biden 5",  # IC-5
           "final: Pete 33, Bernie 42, Warren 20", "delegates: Pete 1, Bernie 2, Warren 1")
    page = changes(client, limit=2)
    assert [r["sequence"] for r in page["changes"]] == [1, 2] and page["next"] == 2 and page["limit"] == 2
    page = changes(client, since=page["next"], limit=2)
    assert [r["sequence"] for r in page["changes"]] == [3, 4] and page["next"] is None
    assert page["changes"][-1]["precinct"] == "IC-5" and page["changes"][-1]["reason"] == "first report"
    assert changes(client, since=4) == {**changes(client, since=4), "changes": [], "next": None}


@pytest.mark.parametrize("query,status", [
    ("/api/results?at=abc", 400), ("/api/results?at=-1", 400), ("/api/results?at=1.5", 400),
    ("/api/results?at=", 400), ("/api/results?at=2", 404), ("/api/results?at=99999999", 404),
    ("/api/results/changes?since=x", 400), ("/api/results/changes?since=-3", 400),
    ("/api/results/changes?since=2", 404), ("/api/results/changes?limit=0", 400),
    ("/api/results/changes?limit=2001", 400), ("/api/results/changes?limit=ten", 400),
])
def test_bad_sequences_get_a_clear_json_answer(client, chair, query, status):
    report(chair, FIRST, FINAL, DELEGATES)  # sequence 1
    resp = client.get(query)
    assert resp.status_code == status and resp.mimetype == "application/json"
    assert resp.get_json()["error"]
    assert client.get("/api/results?at=1").status_code == 200  # and good ones still answer


def test_bulk_downloads_carry_the_sequence_they_were_made_at(client, chair):
    report(chair, FIRST, FINAL, DELEGATES, RECOUNT)
    doc = client.get("/api/results/precincts")
    data = doc.get_json()
    assert doc.headers["X-Results-Sequence"] == "2" and data["sequence"] == 2 and data["as_of"]
    assert {(r["precinct"], r["candidate"], r["final"]) for r in data["precincts"]} >= {("DSM-42", "Buttigieg", 56)}
    sheet = client.get("/api/results/precincts.csv")
    assert sheet.headers["X-Results-Sequence"] == "2"
    assert "precinct-results-seq-2.csv" in sheet.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(sheet.get_data(as_text=True))))
    assert rows[0]["precinct"] == "DSM-42"  # the columns are unchanged: no comment lines
    for path in ("/api/results", "/api/results?at=1", "/api/results/changes", "/api/results/precincts",
                 "/api/results/precincts.csv"):
        body = client.get(path).get_data(as_text=True)
        assert not [word for word in PERSONAL if word in body], path


def test_a_staff_entry_is_a_change_by_the_staff_channel_with_no_staff_name(client, rt, accounts):  # noqa: F811
    from hotline.services.console import entry as staff_entry
    text = f"{FIRST}\n{FINAL}\n{DELEGATES}"
    sub_id = staff_entry.submit(rt.units, "DSM-42", "alice", text=text)
    staff_entry.approve(rt.units, sub_id, "bob")
    [row] = changes(client)["changes"]
    assert (row["sequence"], row["reason"], row["channel"]) == (1, "staff entry approved", "staff")
    body = client.get("/api/results/changes").get_data(as_text=True)
    assert "alice" not in body and "bob" not in body
