"""On the voice line, a delegates report whose math leaves a coin toss asks who won it, one key a group."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.adapters.models import CoinTossRow, LogEntry, Submission
from tests.support.chairs import Phone, load_roster, report
from tests.web.voice.voicecall import Call

CHAIR = "+15155550142"  # registered for DSM-42 (7 delegates), PIN 4321
# 14 attendees, final 6 / 5 / 2 / 1: Sanders and Warren share the 7 delegates, a toss decides the odd one.
SMALL = "Sanders 6, Warren 5, Biden 2, Klobuchar 1"
# Ballot order: Bennet, Biden, Bloomberg, Buttigieg, Delaney, Gabbard, Klobuchar, Patrick,
# Sanders, Steyer, Warren, Yang, Uncommitted.
DELEGATES = ["0", "0", "0", "0", "0", "0", "0", "0", "3", "0", "4", "0", "0"]  # Sanders 3, Warren 4
AFTER = ("To report another result for this precinct, press 1. If you are done, you can hang up now. "
         "Thank you.")


@pytest.fixture
def night(client, rt):
    """DSM-42's first and final alignments, texted and confirmed."""
    load_roster(rt)
    report(Phone(client, rt, CHAIR), f"first: {SMALL} att 14", f"final: {SMALL}")


def key_in_delegates(client) -> Call:
    call = Call(client, CHAIR)
    call.start()
    for keys in ("1", "37642", "4321", "3", *DELEGATES):
        call.press(keys)
    call.press("1")  # record
    return call


def test_the_caller_is_asked_who_won_and_the_key_records_it(client, rt, night):
    call = key_in_delegates(client)
    assert call.says() == [
        "Recorded for precinct D S M 42: county delegates. All three results are in. Thank you!",
        "A coin toss decided between Sanders and Warren. Press 1 if Sanders won, 2 if Warren won."]
    assert call.gather().attrib["action"].startswith("/twilio/voice/coin?")
    call.press("7")  # not one of the choices: asked again, nothing stored
    assert call.says()[-1].startswith("A coin toss decided between Sanders and Warren.")
    call.press("2")
    assert call.says() == ["Coin toss recorded for precinct D S M 42: Warren won.", AFTER]
    with rt.db.transaction() as uow:
        row = uow.session.scalars(select(CoinTossRow)).one()
        assert (row.winners, row.channel, row.recorded_by) == (["Warren"], "voice", CHAIR)
        entry = uow.session.scalars(select(LogEntry).where(LogEntry.kind == "coin_toss_recorded")).one()
        assert entry.detail["channel"] == "voice" and entry.phone == CHAIR
        sub = uow.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
        assert not sub.flagged and "coin-toss" in [f["code"] for f in sub.findings]


def test_a_key_that_contradicts_the_delegates_is_recorded_and_holds_the_report(client, rt, night):
    call = key_in_delegates(client)
    call.press("1")  # Sanders won, but the delegates give Warren the odd one
    assert call.says()[0] == ("Coin toss recorded for precinct D S M 42: Sanders won. It does not fit the "
                              "delegates reported, so hotline staff will review them with you.")
    with rt.db.transaction() as uow:
        sub = uow.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
        assert sub.flagged and "coin-toss-mismatch" in [f["code"] for f in sub.findings]


def test_star_skips_the_question_and_nothing_is_recorded(client, rt, night):
    call = key_in_delegates(client)
    call.press("*")
    assert call.says() == [AFTER]
    with rt.db.transaction() as uow:
        assert uow.session.scalars(select(CoinTossRow)).all() == []
