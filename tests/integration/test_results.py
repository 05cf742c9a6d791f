"""Checks at read-back time, flagged reports kept out of public results until explained."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.adapters.models import BacklogItem, Report
from hotline.services.console import review
from hotline.services.ops import reminders as completeness
from hotline.services.records import reports
from tests.support.chairs import Phone, load_roster, statements_run

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
FINAL = "final: Pete 55, Bernie 48, Warren 32"
GOOD_DELEGATES = "delegates: Pete 3, Bernie 2, Warren 2"
BAD_DELEGATES = "delegates: Pete 2, Bernie 3, Warren 2"


@pytest.fixture
def chair(client, rt):
    load_roster(rt)
    return Phone(client, rt, "+15155550142")


def report(chair, *texts):
    for text in texts:
        chair.send(text)
        chair.send(f"YES {chair.code()}")


def statewide(client) -> dict:
    data = client.get("/api/results").get_json()
    return {c["candidate"]: c for c in data["statewide"]}, data


def test_clean_report_is_published_with_sdes(client, chair):
    report(chair, FIRST, FINAL, GOOD_DELEGATES)
    by_name, data = statewide(client)
    assert data["precincts_reporting"] == 1 and data["precincts_total"] == 4
    # Polk: 4 state delegates over 7 + 3 county delegates -> ratio 0.4
    assert by_name["Buttigieg"] == {"candidate": "Buttigieg", "first": 45, "final": 55,
                                    "county_delegates": 3, "sde": "1.2000"}
    assert by_name["Sanders"]["sde"] == "0.8000"
    polk = next(c for c in data["counties"] if c["county"] == "Polk")
    assert (polk["precincts_reporting"], polk["precincts_total"]) == (1, 2)


def test_partial_report_is_not_published(client, chair):
    report(chair, FIRST, FINAL)
    assert statewide(client)[1]["precincts_reporting"] == 0


def test_readback_names_the_mistake_before_the_chair_confirms(chair):
    report(chair, FIRST, FINAL)
    chair.send(BAD_DELEGATES)
    body = chair.last().body
    assert chair.last().kind == "readback"
    assert "CHECK:" in body and "Buttigieg" in body and "confirm as written" in body


def test_flagged_report_is_held_back_until_staff_explain_it(client, rt, chair):
    report(chair, FIRST, FINAL, BAD_DELEGATES)
    assert "does not add up" in chair.last().body
    assert statewide(client)[1]["precincts_reporting"] == 0
    with rt.db.transaction() as uow:
        item = uow.session.execute(select(BacklogItem).where(BacklogItem.kind == "failed_check")).scalar_one()
        assert item.precinct.code == "DSM-42" and item.resolved_at is None
    review.explain(rt.units, "DSM-42", "alex",
                   "worksheet photo shows the chair's allocation; party rules committee agreed")
    assert statewide(client)[1]["precincts_reporting"] == 1
    assert chair.last().kind == "explained" or "reviewed" in chair.inbox()[-1].body
    with rt.db.transaction() as uow:
        assert uow.session.get(BacklogItem, item.id).resolved_at is not None


def test_correction_replaces_flagged_report(client, chair):
    report(chair, FIRST, FINAL, BAD_DELEGATES)
    report(chair, GOOD_DELEGATES)
    assert statewide(client)[1]["precincts_reporting"] == 1


def test_public_outputs_carry_nothing_personal(client, chair):
    report(chair, FIRST, FINAL, GOOD_DELEGATES)
    for path in ("/api/results", "/api/results/precincts", "/api/results/precincts.csv", "/results"):
        body = client.get(path).get_data(as_text=True)
        assert "5155550142" not in body and "Maria" not in body and "4321" not in body
    csv_text = client.get("/api/results/precincts.csv").get_data(as_text=True)
    assert "Polk,DSM-42,Buttigieg,45,55,3,1.2000" in csv_text
    assert "12 of" not in client.get("/results").get_data(as_text=True)
    assert "1 of 4 precincts reporting" in client.get("/results").get_data(as_text=True)


def test_cache_is_invalidated_by_a_new_confirmation(client, chair):
    assert statewide(client)[1]["precincts_reporting"] == 0  # fills the cache
    report(chair, FIRST, FINAL, GOOD_DELEGATES)
    assert statewide(client)[1]["precincts_reporting"] == 1


def test_missing_stages_are_chased_after_a_while(rt, chair):
    report(chair, FIRST)
    with rt.db.transaction() as uow:
        for r in uow.session.execute(select(Report)).scalars():
            r.recorded_at = r.recorded_at - timedelta(minutes=rt.config.complete_after_minutes + 1)
    assert completeness.remind_incomplete(rt.units) == 1
    with statements_run(rt.db.engine) as statements:
        assert completeness.remind_incomplete(rt.units) == 0  # once only
    writes = [st for st in statements if st.split()[0].upper() in ("BEGIN", "INSERT", "UPDATE", "DELETE")]
    assert writes == []  # and asking again takes no write lock (every sweep asks)
    from tests.support.stack import work
    work(rt)
    assert chair.last().kind == "incomplete_reminder"
    assert "final alignment, county delegates" in chair.last().body


def test_outbox_with_numbers_and_codes_needs_a_login(client, chair):
    chair.send(FIRST)
    resp = client.get("/outbox")
    assert resp.status_code in (302, 401, 403)
    assert chair.code() not in resp.get_data(as_text=True)


def test_a_corrected_stage_supersedes_the_old_one_and_the_reply_counts_all_three(rt, chair):
    report(chair, FIRST, FINAL, GOOD_DELEGATES)
    assert "All three stages are in" in chair.last().body
    report(chair, "final: Pete 56, Bernie 47, Warren 32")  # the chair recounted the final alignment
    assert chair.last().kind == "recorded"
    assert "Still to send" not in chair.last().body and "All three stages are in" in chair.last().body
    with rt.db.reading() as s:
        finals = {r.status: r for r in s.execute(select(Report).where(Report.stage == "final")).scalars()}
        assert set(finals) == {"current", "superseded"}
        assert finals["superseded"].superseded_by_id == finals["current"].id
        assert finals["current"].counts["Buttigieg"] == 56
        assert len(reports.current_reports(s, finals["current"].precinct_id)) == 3


def test_attendance_from_an_earlier_report_checks_a_later_stage(rt, chair):
    report(chair, "first: att 135 Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30")
    assert "does not add up" not in chair.last().body
    report(chair, "final: Pete 70, Bernie 48, Warren 32")  # 150 people, but only 135 came
    assert chair.last().kind == "recorded" and "does not add up" in chair.last().body
    with rt.db.reading() as s:
        item = s.execute(select(BacklogItem).where(BacklogItem.kind == "failed_check")).scalar_one()
        assert "attendance" in item.summary


def test_attendance_sent_with_the_report_is_checked_at_once(chair):
    report(chair, "first: att 100 Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30")  # 135 counted
    assert chair.last().kind == "recorded" and "does not add up" in chair.last().body
