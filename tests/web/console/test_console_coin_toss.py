"""Staff see and record a precinct's coin toss on the console's precinct page."""
from __future__ import annotations

import html

from sqlalchemy import select

from hotline.adapters.models import CoinTossRow, LogEntry, ResultChange, Submission
from tests.support.chairs import Phone, report
from tests.web.console.staff import flashes

CHAIR = "+15155550142"
# DSM-42 elects 7: 14 attendees, final 6 / 5 / 2 / 1, so Sanders and Warren share the 7 delegates and
# a coin toss gives one of them the odd one. Warren got it here.
SMALL = "Sanders 6, Warren 5, Biden 2, Klobuchar 1"
NIGHT = (f"first: {SMALL} att 14", f"final: {SMALL}", "delegates: Sanders 3, Warren 4")
PAGE = "/console/precincts/DSM-42"


def newest_flagged(rt) -> bool:
    with rt.db.transaction() as uow:
        return uow.session.scalars(select(Submission.flagged).where(Submission.status == "confirmed")
                                   .order_by(Submission.id.desc())).first()


def test_the_precinct_page_shows_the_toss_and_staff_record_and_change_it(rt, client, alice):
    report(Phone(client, rt, CHAIR), *NIGHT)
    page = html.unescape(alice.text(PAGE))
    assert "Coin toss: <strong class=\"coin-toss-status\">not recorded</strong>" in page
    assert 'action="/console/precincts/DSM-42/coin-toss"' in page and 'name="csrf_token"' in page
    assert '<option value="Sanders">Sanders</option><option value="Warren">Warren</option>' in page
    with rt.db.transaction() as uow:
        before = uow.session.scalar(select(ResultChange.sequence).order_by(ResultChange.sequence.desc()))
    # Sanders contradicts the worksheet: recorded, but the precinct is held.
    resp = alice.post(f"{PAGE}/coin-toss", {"winner": "Sanders"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(PAGE)
    page = html.unescape(alice.text(PAGE))
    assert any("Coin toss recorded for DSM-42: Sanders won. The reported delegates do not fit it" in f
               for f in flashes(page))
    assert "Sanders won (recorded by alice at " in page
    assert newest_flagged(rt)
    with rt.db.transaction() as uow:
        held = uow.session.scalars(select(ResultChange).order_by(ResultChange.sequence.desc())).first()
        assert held.sequence == before + 1 and held.new is None
        entry = uow.session.scalars(select(LogEntry).where(LogEntry.kind == "coin_toss_recorded")).one()
        assert (entry.actor, entry.phone, entry.detail["channel"]) == ("alice", None, "staff")
        assert "alice" not in str(entry.detail)
    # Changed to Warren: it fits, the precinct is published again.
    alice.post(f"{PAGE}/coin-toss", {"winner": "Warren"})
    page = html.unescape(alice.text(PAGE))
    assert "Warren won (recorded by alice at " in page and '<option value="Warren" selected>' in page
    assert not newest_flagged(rt)


def test_the_chairs_text_shows_as_recorded_by_the_chair(rt, client, alice):
    chair = Phone(client, rt, CHAIR)
    report(chair, *NIGHT)
    chair.send("COIN Warren")
    assert chair.last().body.startswith("DSM-42: coin toss recorded: Warren won.")
    assert "Warren won (recorded by the chair by text at " in html.unescape(alice.text(PAGE))


def test_a_winner_outside_the_tie_or_a_missing_token_records_nothing(rt, client, alice):
    report(Phone(client, rt, CHAIR), *NIGHT)
    alice.post(f"{PAGE}/coin-toss", {"winner": "Biden"})
    assert any("Coin toss not recorded: Biden is not in the coin toss (between Sanders and Warren)" in f
               for f in flashes(html.unescape(alice.text(PAGE))))
    resp = alice.client.post(f"{PAGE}/coin-toss", data={"winner": "Warren"})  # no CSRF token
    assert resp.status_code == 400
    with rt.db.transaction() as uow:
        assert uow.session.scalars(select(CoinTossRow)).all() == []


def test_a_precinct_without_a_tie_shows_no_coin_toss_form(rt, client, alice):
    assert "coin-toss-form" not in alice.text(PAGE)
    assert alice.client.get("/console/precincts/NOPE-1").status_code == 404
