"""Observers on the keypad line, driven as Twilio would: identified by caller ID or by PIN, their
counts read back, confirmed with 1, compared with the chair's and never changing the chair's report."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline.adapters.models import BacklogItem, CallEvent, LogEntry, Observation, Observer, Report
from hotline.domain import verification
from hotline.services.log import chain
from tests.support.chairs import Phone, load_roster, report
from tests.support.observers import add_observer
from tests.web.voice.voicecall import Call

CHAIR = "+15155550142"  # DSM-42's chair, PIN 4321
OBSERVER = "+15155559001"
BORROWED = "+15155559555"  # not on any list
PIN = "2468"
FIRST_TEXT = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
# Ballot order: Bennet, Biden, Bloomberg, Buttigieg, Delaney, Gabbard, Klobuchar, Patrick,
# Sanders, Steyer, Warren, Yang, Uncommitted.
FIRST = ["0", "12", "0", "45", "0", "0", "8", "0", "40", "0", "30", "0", "0"]
FIRST_OFF = FIRST[:10] + ["33"] + FIRST[11:]  # Warren 33, not 30
FIRST_COUNTS = {"Biden": 12, "Buttigieg": 45, "Klobuchar": 8, "Sanders": 40, "Warren": 30}
MENU = ("Caucus results hotline. To report results with your keypad, press 1. To speak to the "
        "results desk, press 2. To leave a message, press 3. At any time, press star to go back, "
        "or 0 to reach a person.")
INTRO = "Observer count. Your numbers are compared with the chair's report and never count instead of it."
STAGE = ("Which results are you reporting? For first alignment, press 1. For final alignment, "
         "press 2. For county delegates, press 3.")
RECORDED = ("Recorded your count for precinct D S M 42: first alignment. It is compared with the chair's "
            "report, never used instead of it.")
PIN_PROMPT = "Precinct D S M 42, Des Moines 42. Enter your observer PIN, then press pound."


@pytest.fixture
def night(client, rt):
    """The roster, the chair's first alignment by text, and an observer of DSM-42 with a PIN."""
    load_roster(rt)
    report(Phone(client, rt, CHAIR), FIRST_TEXT)
    observer_id = add_observer(rt, OBSERVER, "DSM-42")
    with rt.db.transaction() as uow:
        uow.session.get(Observer, observer_id).pin_hash = verification.hash_pin(PIN)
    return observer_id


def observations(rt) -> list[Observation]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(Observation).order_by(Observation.id)).scalars())


def conflicts(rt) -> list[BacklogItem]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(BacklogItem).where(BacklogItem.kind == "source_conflict")).scalars())


def chair_first(rt) -> dict:
    with rt.db.transaction() as uow:
        return uow.session.execute(select(Report.counts).where(Report.status == "current",
                                                               Report.stage == "first")).scalar_one()


def log(rt, kind: str) -> list[LogEntry]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(LogEntry).where(LogEntry.kind == kind).order_by(LogEntry.seq)).scalars())


def keys_counts(call: Call, counts: list[str]) -> None:
    call.press("1")  # first alignment
    call.press("0")  # attendance not counted
    for n in counts:
        call.press(n)


def test_an_observer_by_caller_id_keys_counts_that_are_compared_and_agree(client, rt, night):
    call = Call(client, OBSERVER)
    call.start()
    assert call.says()[0] == MENU + " Observers, press 7."  # offered on an observer's own phone only
    call.press("7")
    # One assigned precinct: no code and no PIN, straight to the stage.
    assert call.says() == [f"{INTRO} Precinct D S M 42, Des Moines 42.", STAGE]
    keys_counts(call, FIRST)
    assert call.says()[0].startswith("Please check these numbers for precinct D S M 42, first alignment. "
                                     "Joe Biden: 12.")
    assert observations(rt) == []  # nothing is stored before the 1
    call.press("1")
    assert call.says()[0] == RECORDED
    assert call.says()[1].startswith("To report another result for this precinct, press 1.")
    [row] = observations(rt)
    assert (row.source, row.status, row.phone, row.observer_id) == ("voice", "confirmed", OBSERVER, night)
    assert row.stages == {"first": FIRST_COUNTS} and row.attendance is None
    assert conflicts(rt) == [] and chair_first(rt) == FIRST_COUNTS
    [seen] = [e for e in log(rt, "call_received") if e.phone == OBSERVER]
    assert seen.detail["observer"] == "Warren campaign" and seen.detail["call_sid"] == call.sid
    [checked] = [e for e in log(rt, "code_checked") if e.detail.get("observation_id") == row.id]
    assert checked.detail["call_sid"] == call.sid
    assert [e.detail["source"] for e in log(rt, "observation_confirmed")] == ["voice"]
    with rt.db.transaction() as uow:
        assert chain.verify(uow.session) is None
        steps = list(uow.session.execute(select(CallEvent.step).where(CallEvent.call_sid == call.sid)
                                         .order_by(CallEvent.id)).scalars())
    assert steps[:4] == ["incoming", "menu", "stage", "attendance"] and steps[-1] == "readback"


def test_a_differing_count_opens_a_source_conflict_and_leaves_the_chairs_report(client, rt, night):
    call = Call(client, OBSERVER)
    call.start()
    call.press("7")
    keys_counts(call, FIRST_OFF)
    call.press("1")
    assert call.says()[0] == RECORDED
    [item] = conflicts(rt)
    assert item.resolved_at is None and "Warren: chair 30, observer 33" in item.summary
    assert chair_first(rt) == FIRST_COUNTS  # the observation changed nothing of the chair's
    with rt.db.transaction() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Report)) == 1


def test_an_observer_on_another_phone_keys_the_precinct_and_their_pin(client, rt, night):
    call = Call(client, BORROWED)
    call.start()
    assert call.says()[0] == MENU  # the menu stays short for callers not known as observers
    call.press("7")
    assert call.says()[0] == INTRO and call.says()[1].startswith("Enter your precinct code on the keypad")
    call.press("37642")
    assert call.says() == [PIN_PROMPT]
    call.press(PIN)
    assert call.says() == [STAGE]
    keys_counts(call, FIRST_OFF)
    call.press("1")
    assert call.says()[0] == RECORDED
    [row] = observations(rt)
    assert (row.source, row.status, row.phone, row.observer_id) == ("voice", "confirmed", BORROWED, night)
    assert len(conflicts(rt)) == 1 and chair_first(rt) == FIRST_COUNTS
    [passed] = [e for e in log(rt, "pin_checked") if e.phone == BORROWED]
    assert passed.detail["ok"] is True and passed.detail["observer"] is True and passed.detail["observer_id"] == night


def test_a_wrong_observer_pin_records_nothing_and_counts_against_the_chairs_pin_limits(client, rt, night):
    call = Call(client, BORROWED)
    call.start()
    call.press("7")
    call.press("37642")
    call.press("4321")  # the chair's PIN is not an observer PIN
    assert call.says() == ["That observer PIN is not right for precinct D S M 42. 4 tries left. "
                           "Nothing was recorded.", PIN_PROMPT]
    for left in range(rt.config.pin_max_failures - 2, 0, -1):
        call.press("1111")
        assert call.says()[0].startswith(f"That observer PIN is not right for precinct D S M 42. {left} ")
    call.press("1111")
    assert call.says()[:2] == ["Too many wrong PINs from this phone, so it cannot try a PIN for now. Nothing "
                               "was recorded. You can text your counts from the phone you registered as an "
                               "observer.", MENU]
    misses = [e for e in log(rt, "pin_checked") if e.phone == BORROWED]
    assert len(misses) == rt.config.pin_max_failures
    assert all(e.detail["ok"] is False and e.detail["observer"] is True for e in misses)
    chair_path = Call(client, BORROWED)  # the same phone counter: the chair's PIN is refused too
    chair_path.start()
    chair_path.press("1")
    chair_path.press("37642")
    chair_path.press("4321")
    assert chair_path.says()[0].startswith("Too many wrong PINs from this phone")
    again = Call(client, BORROWED)  # and the right observer PIN, the same answer as a wrong one
    again.start()
    again.press("7")
    again.press("37642")
    again.press(PIN)
    assert again.says()[0].startswith("Too many wrong PINs from this phone")
    assert observations(rt) == []


def test_a_precinct_the_observer_is_not_assigned_to_is_refused(client, rt, night):
    add_observer(rt, "+15155559002", "DSM-42", "IC-5", name="Sam Lee", organisation="Neutral Watch")
    call = Call(client, "+15155559002")
    call.start()
    call.press("7")
    # Several precincts: key one, as chairs do; the example is one of theirs.
    assert call.says() == [INTRO, ("Enter your precinct code on the keypad, then press pound. For a letter, "
                                   "press the key that shows it, and skip the dash: for D S M 42, press "
                                   "3 7 6 4 2.")]
    call.press("3767")  # DSM-7
    assert call.says()[0] == ("You are not an observer for precinct D S M 7. Nothing was recorded. "
                              "Your precincts: D S M 42 and I C 5.")
    assert call.gather().attrib["action"].startswith("/twilio/voice/precinct?")
    [refused] = log(rt, "observation_refused")
    assert (refused.precinct_code, refused.detail["reason"], refused.detail["call_sid"]) == (
        "DSM-7", "not assigned", call.sid)
    assert refused.detail["organisation"] == "Neutral Watch"
    call.press("425")  # IC-5: theirs
    assert call.says() == ["Precinct I C 5, Iowa City 5.", STAGE]
    assert observations(rt) == []


def test_an_observer_hanging_up_mid_way_leaves_nothing_recorded(client, rt, night):
    call = Call(client, OBSERVER)
    call.start()
    call.press("7")
    keys_counts(call, FIRST[:5])
    # The observer hangs up: Twilio sends nothing more for the call's steps.
    assert observations(rt) == [] and log(rt, "observation_code_sent") == []
    assert len([e for e in log(rt, "call_received") if e.phone == OBSERVER]) == 1  # the call is in the log
    with rt.db.transaction() as uow:  # and every webhook is kept
        assert uow.session.scalar(select(func.count()).select_from(CallEvent).where(
            CallEvent.call_sid == call.sid)) == 9
    later = Call(client, OBSERVER)  # a new call starts clean
    later.start()
    later.press("7")
    assert later.says()[-1] == STAGE


def test_the_chairs_phone_is_the_chairs_and_an_observer_without_precincts_is_told(client, rt, night):
    chair = Call(client, CHAIR)
    chair.start()
    assert chair.says()[0] == MENU
    chair.press("7")
    assert chair.says()[0] == "Sorry, that is not one of the choices."
    add_observer(rt, "+15155559003", name="No Precincts")
    call = Call(client, "+15155559003")
    call.start()
    call.press("7")
    assert call.says()[:2] == ["This phone is not assigned to any precinct as an observer. Nothing was "
                               "recorded.", MENU]  # and no longer offered the observers' key
    assert [e.detail["reason"] for e in log(rt, "observation_refused")] == ["no precincts"]


def test_a_spanish_observer_hears_spanish(client, rt, night):
    add_observer(rt, "+15155559004", "DSM-42", name="Luz Diaz", language="es")
    call = Call(client, "+15155559004")
    call.start()
    assert call.says()[0].endswith(" Observadores, oprima 7.")
    call.press("7")
    assert call.says()[0] == ("Conteo de observador. Sus números se comparan con el reporte del presidente y "
                              "nunca cuentan en su lugar. Precinto D S M 42, Des Moines 42.")
    assert call.find("Gather/Say").get("language") == "es-MX"
