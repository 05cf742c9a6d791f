"""The queue: order, counts and filters, claiming (including a race), expiry, release and resolve."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from sqlalchemy import select, update

from hotline.adapters.models import BacklogItem, LogEntry, utcnow
from hotline.services.console import claims
from tests.web.console.staff import flashes, item_row, open_item, signed_in


def test_queue_lists_by_priority_then_age_with_counts(rt, alice):
    late_unknown = open_item(rt, "unknown_sender", code=None, phone="+15155559999",
                             summary="Texts from unregistered number +15155559999")
    check = open_item(rt, "failed_check", code="IC-5", summary="IC-5: totals do not add up")
    call = open_item(rt, "callback_request", code="DSM-42")
    data = alice.get("/console/queue.json").get_json()
    html = data["rows_html"]
    assert html.index(f"row-{call}") < html.index(f"row-{check}") < html.index(f"row-{late_unknown}")
    assert data["counts"]["callback_request"] == 1 and data["counts"]["unknown_sender"] == 1
    page = alice.text("/console/")
    assert "Chair asked for a call back: <strong" in page and "IC-5: totals do not add up" in page


def test_filters_by_kind_and_county(rt, alice):
    polk = open_item(rt, "callback_request", code="DSM-42")
    johnson = open_item(rt, "callback_request", code="IC-5")
    unparsed = open_item(rt, "unparsed_text", code="DSM-7")
    by_county = alice.get("/console/queue.json?county=Johnson").get_json()["rows_html"]
    assert f"row-{johnson}" in by_county and f"row-{polk}" not in by_county
    by_kind = alice.get("/console/queue.json?kind=unparsed_text").get_json()["rows_html"]
    assert f"row-{unparsed}" in by_kind and f"row-{polk}" not in by_kind


def test_version_changes_only_when_the_queue_does(rt, alice):
    first = alice.get("/console/queue.json").get_json()["version"]
    assert alice.get("/console/queue.json").get_json()["version"] == first
    open_item(rt)
    assert alice.get("/console/queue.json").get_json()["version"] != first


def test_claim_then_only_the_claimant_can_act(rt, alice, bob):
    item_id = open_item(rt)
    assert alice.post(f"/console/items/{item_id}/claim").headers["Location"].endswith(f"/console/items/{item_id}")
    assert item_row(rt, item_id).claimed_by == "alice"
    # bob cannot claim, resolve or release it
    resp = bob.post(f"/console/items/{item_id}/claim", follow_redirects=True)
    assert "Someone else is already working on that item" in resp.get_data(as_text=True)
    bob.post(f"/console/items/{item_id}/resolve", data={"note": "done"})
    bob.post(f"/console/items/{item_id}/release")
    row = item_row(rt, item_id)
    assert row.claimed_by == "alice" and row.resolved_at is None
    assert "alice is working on this item" in bob.text(f"/console/items/{item_id}")
    assert "You are working on this item" in alice.text(f"/console/items/{item_id}")


@pytest.mark.pg  # row locks: the database's own behaviour
def test_two_staff_claiming_at_once_never_both_get_it(app, rt, accounts):
    item_id = open_item(rt)
    members = [signed_in(app, name) for name in ("alice", "bob")]
    barrier, outcomes = threading.Barrier(2), {}

    def grab(member):
        barrier.wait()
        resp = member.post(f"/console/items/{item_id}/claim")
        outcomes[member.name] = resp.headers["Location"].endswith(f"/console/items/{item_id}")

    threads = [threading.Thread(target=grab, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == [False, True]
    winner = next(name for name, ok in outcomes.items() if ok)
    assert item_row(rt, item_id).claimed_by == winner
    with rt.db.transaction() as uow:
        claimed = uow.session.execute(select(LogEntry.actor).where(LogEntry.kind == "backlog_claimed")).scalars().all()
    assert claimed == [winner]


def test_claim_service_is_atomic_under_many_tries(rt, accounts):
    item_id = open_item(rt)
    wins = []

    def grab(name):
        with rt.db.transaction() as uow:
            if claims.claim(uow.session, item_id, name, 600):
                wins.append(name)

    threads = [threading.Thread(target=grab, args=(f"user{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(wins) == 1


def test_an_expired_claim_can_be_taken_over(rt, alice, bob):
    item_id = open_item(rt)
    alice.post(f"/console/items/{item_id}/claim")
    with rt.db.transaction() as uow:
        uow.session.execute(update(BacklogItem).where(BacklogItem.id == item_id)
                            .values(claim_expires_at=utcnow() - timedelta(seconds=1)))
    assert "Nobody yet" in alice.get("/console/queue.json").get_json()["rows_html"]
    bob.post(f"/console/items/{item_id}/claim")
    assert item_row(rt, item_id).claimed_by == "bob"
    resp = alice.post(f"/console/items/{item_id}/resolve", data={"note": "late"}, follow_redirects=True)
    assert "Claim this item first" in resp.get_data(as_text=True)


def test_claim_length_is_configurable(app, rt, accounts):
    from dataclasses import replace
    rt.config = replace(rt.config, claim_ttl_seconds=60)
    item_id = open_item(rt)
    signed_in(app, "alice").post(f"/console/items/{item_id}/claim")
    left = item_row(rt, item_id).claim_expires_at - utcnow()
    assert timedelta(seconds=50) < left <= timedelta(seconds=60)


def test_resolve_needs_a_note_then_closes_and_logs(rt, alice):
    item_id = open_item(rt)
    alice.post(f"/console/items/{item_id}/claim")
    resp = alice.post(f"/console/items/{item_id}/resolve", data={"note": "  "}, follow_redirects=True)
    assert any("note" in f for f in flashes(resp.get_data(as_text=True)))
    assert item_row(rt, item_id).resolved_at is None
    alice.post(f"/console/items/{item_id}/resolve", data={"note": "Called; chair will text again"})
    row = item_row(rt, item_id)
    assert row.resolved_by == "alice" and row.note == "Called; chair will text again"
    assert f"row-{item_id}" not in alice.get("/console/queue.json").get_json()["rows_html"]
    with rt.db.transaction() as uow:
        entry = uow.session.execute(select(LogEntry).where(LogEntry.kind == "backlog_resolved")).scalar_one()
    assert entry.actor == "alice" and entry.precinct_code == "DSM-42"


def test_release_puts_it_back(rt, alice, bob):
    item_id = open_item(rt)
    alice.post(f"/console/items/{item_id}/claim")
    alice.post(f"/console/items/{item_id}/release")
    assert item_row(rt, item_id).claimed_by is None
    bob.post(f"/console/items/{item_id}/claim")
    assert item_row(rt, item_id).claimed_by == "bob"


def test_item_page_shows_history_photos_and_checks(rt, client, alice):
    from tests.support.chairs import Phone
    chair = Phone(client, rt, "+15155550142")
    chair.send("first: Biden 12, Pete 45, Warren 30", media=["https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1"])
    chair.send(f"YES {chair.code()}")
    item_id = open_item(rt)
    page = alice.text(f"/console/items/{item_id}")
    assert "Maria Nguyen" in page and "+15155550142" in page
    assert "first: Biden 12, Pete 45, Warren 30" in page       # the inbound text
    assert "Reply YES" in page                                  # our read-back
    assert "api.twilio.com" not in page and "photo arriving" in page  # our copy, once downloaded
    assert "Buttigieg 45" in page and "confirmed" in page       # the report


def test_item_without_a_precinct_offers_the_senders_number(rt, alice):
    item_id = open_item(rt, "unknown_sender", code=None, phone="+15155559999",
                        summary="Texts from unregistered number +15155559999", detail={"first_body": "hi"})
    alice.post(f"/console/items/{item_id}/claim")
    page = alice.text(f"/console/items/{item_id}")
    assert "No precinct is linked to this item yet" in page
    assert "<option>+15155559999</option>" in page and 'id="verify"' not in page
    alice.post(f"/console/items/{item_id}/sms", data={"to": "+15155559999", "body": "Which precinct?"})
    assert "Which precinct?" in alice.text(f"/console/items/{item_id}")
