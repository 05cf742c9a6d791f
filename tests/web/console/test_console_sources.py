"""The console's second-source panel: the chair's figures beside an observer's, the conflict item,
settling it with a note, and the public record while it is open."""
from __future__ import annotations

import html

from sqlalchemy import select

from hotline.adapters.models import BacklogItem, LogEntry
from hotline.services.console import figures
from tests.support.chairs import Phone, load_roster, report
from tests.support.observers import add_observer
from tests.web.console.staff import flashes, signed_in

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
FIRST_OFF = FIRST.replace("Warren 30", "Warren 33")
FINAL = "final: Pete 55, Bernie 48, Warren 32"
DELEGATES = "delegates: Pete 3, Bernie 2, Warren 2"
PAGE = "/console/precincts/DSM-42"


def reporting(client) -> int:
    return client.get("/api/results").get_json()["precincts_reporting"]


def night(client, rt, observed: str) -> None:
    load_roster(rt)
    add_observer(rt, "+15155559001", "DSM-42", name="Ana Ruiz", organisation="Warren campaign")
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, DELEGATES)
    report(Phone(client, rt, "+15155559001"), observed)


def test_a_conflict_item_shows_the_sources_side_by_side_and_staff_settle_it(rt, client, alice):
    night(client, rt, FIRST_OFF)
    assert reporting(client) == 0  # held while the sources differ
    public = client.get("/api/results/precincts/DSM-42").get_json()
    assert public["status"] == "held for review"
    with rt.db.reading() as s:
        item_id = s.scalars(select(BacklogItem.id).where(BacklogItem.kind == "source_conflict")).one()
    page = html.unescape(alice.text(f"/console/items/{item_id}"))
    assert "An observer's counts differ from the chair's" in page
    assert "Second source" in page and "Warren campaign" in page and "Ana Ruiz" in page
    assert '<td class="differs">33 <strong>differs</strong></td>' in page  # Warren: chair 30, observer 33
    assert "Confirm the chair's figures" in page and "Enter a correction" in page

    refused = alice.post(f"{PAGE}/sources/confirm-chair", {"note": " ", "next": f"/console/items/{item_id}"})
    assert "Say what you checked" in " ".join(flashes(alice.text(refused.headers["Location"])))
    assert reporting(client) == 0

    done = alice.post(f"{PAGE}/sources/confirm-chair", {"note": "called the chair: Warren 30",
                                                        "next": f"/console/items/{item_id}"})
    assert done.headers["Location"].endswith(f"/console/items/{item_id}#sources")
    assert reporting(client) == 1
    with rt.db.reading() as s:
        item = s.get(BacklogItem, item_id)
        assert item.resolution == "chair_confirmed" and item.resolved_by == "alice"
        logged = s.scalars(select(LogEntry).where(LogEntry.kind == "source_conflict_resolved")).one()
        assert logged.actor == "alice" and logged.detail["note"] == "called the chair: Warren 30"
    page = html.unescape(alice.text(PAGE))
    assert "Held: an observer's counts differ" not in page and "Confirm the chair's figures" not in page


def test_agreeing_sources_show_on_the_precinct_page(rt, client, alice):
    night(client, rt, FIRST)
    page = html.unescape(alice.text(PAGE))
    assert "2 sources agree" in page and "differs" not in page
    assert reporting(client) == 1


def test_the_release_button_does_not_end_a_conflict_hold(rt, client, alice):
    night(client, rt, FIRST_OFF)
    page = html.unescape(alice.text(PAGE))
    assert "Held while an observer's counts differ" in page and "Release the hold" not in page
    resp = alice.post(f"{PAGE}/release", {"note": "looked"})
    assert "settle the source conflict" in " ".join(flashes(alice.text(resp.headers["Location"])))
    assert reporting(client) == 0


def test_the_public_record_and_exports_say_two_sources_agree_with_organisations_only(rt, client):
    night(client, rt, FIRST)
    record = client.get("/api/results/precincts/DSM-42").get_json()
    assert record["status"] == "published"
    assert record["sources"] == {"agreeing": 2, "organisations": ["Warren campaign"]}
    page = client.get("/results/precincts/DSM-42").get_data(as_text=True)
    assert "2 sources agree:" in page and "Warren campaign" in page
    assert "Ana Ruiz" not in page + str(record) and "9001" not in page + str(record)
    csv_text = client.get("/api/results/precincts.csv").get_data(as_text=True)
    header, first = csv_text.splitlines()[:2]
    assert header.endswith("sources_agreeing,corroborated_by") and first.endswith(",2,Warren campaign")


def test_the_board_and_the_admin_export_show_the_second_source(rt, client, app, accounts):
    night(client, rt, FIRST)
    admin = signed_in(app, "carol")
    page = html.unescape(admin.text("/admin/?code=DSM-42"))
    assert "Second source" in page and "2 sources agree (Warren campaign)" in page
    export = admin.get("/admin/exports/results.csv").get_data(as_text=True).splitlines()
    assert "sources_agreeing,corroborated_by,source_conflict" in export[0]
    assert ",2,Warren campaign,False," in export[1]
    report(Phone(client, rt, "+15155559001"), FIRST_OFF)  # the observer corrects to a different count
    page = html.unescape(admin.text("/admin/?code=DSM-42"))
    assert "observer's counts differ" in page


def test_resolving_the_conflict_item_settles_the_conflict_and_ends_the_hold(rt, client, alice):
    night(client, rt, FIRST_OFF)
    with rt.db.reading() as s:
        item_id = s.scalars(select(BacklogItem.id).where(BacklogItem.kind == "source_conflict")).one()
    alice.post(f"/console/items/{item_id}/claim")
    resp = alice.post(f"/console/items/{item_id}/resolve", {"note": "worksheet says Warren 30"})
    assert "the chair's figures are confirmed" in html.unescape(" ".join(flashes(alice.text(resp.headers["Location"]))))
    assert reporting(client) == 1  # not left held with nothing in the queue to say so
    with rt.db.reading() as s:
        item = s.get(BacklogItem, item_id)
        assert item.resolution == "chair_confirmed" and item.resolved_by == "alice" and item.claimed_by is None


def test_the_board_says_when_staff_settled_a_difference(rt, client, app, accounts, alice):
    night(client, rt, FIRST_OFF)
    alice.post(f"{PAGE}/sources/confirm-chair", {"note": "called the chair"})
    page = html.unescape(signed_in(app, "carol").text("/admin/?code=DSM-42"))
    assert "observer's counts differ; staff confirmed the chair's figures" in page


def test_settling_a_conflict_counts_in_the_staff_members_figures(rt, client, alice):
    night(client, rt, FIRST_OFF)
    with rt.db.reading() as s:
        item_id = s.scalars(select(BacklogItem.id).where(BacklogItem.kind == "source_conflict")).one()
    alice.post(f"/console/items/{item_id}/claim")
    alice.post(f"{PAGE}/sources/confirm-chair", {"note": "called the chair"})
    with rt.db.reading() as s:
        closed = s.scalars(select(LogEntry).where(LogEntry.kind == "backlog_resolved",
                                                  LogEntry.detail["item_id"].as_integer() == item_id)).one()
        assert closed.actor == "alice"
    alice_row = next(r for r in figures.per_staff(rt.units) if r.username == "alice")
    assert alice_row.resolved == 1 and alice_row.median_seconds is not None
