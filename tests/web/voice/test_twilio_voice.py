"""Keypad reporting by phone, driven as Twilio would: signed webhooks in, TwiML parsed and checked."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from hotline.adapters.models import (
    BacklogItem,
    CallEvent,
    ChairPhone,
    ConfirmationCode,
    LogEntry,
    OutboundMessage,
    Report,
    Submission,
    utcnow,
)
from hotline.services.log import chain as vlog
from tests.support.chairs import ROSTER, Phone, load_roster
from tests.web.voice.voicecall import Call

CHAIR = "+15155550142"  # registered for DSM-42, PIN 4321
STRANGER = "+15155559999"
# Ballot order: Bennet, Biden, Bloomberg, Buttigieg, Delaney, Gabbard, Klobuchar, Patrick,
# Sanders, Steyer, Warren, Yang, Uncommitted.
FIRST = ["0", "12", "0", "45", "0", "0", "8", "0", "40", "0", "30", "0", "0"]
FIRST_COUNTS = {"Biden": 12, "Buttigieg": 45, "Klobuchar": 8, "Sanders": 40, "Warren": 30}
MENU = ("Caucus results hotline. To report results with your keypad, press 1. To speak to the "
        "results desk, press 2. To leave a message, press 3. At any time, press star to go back, "
        "or 0 to reach a person.")
OFFER = "Para espa\u00f1ol, oprima 4."  # said after the menu in the Spanish voice
STAGE = ("Which results are you reporting? For first alignment, press 1. For final alignment, "
         "press 2. For county delegates, press 3.")
READBACK_END = ("To record these numbers, press 1. To enter them again, press 2. "
                "To change the last number, press star.")


@pytest.fixture
def roster(rt):
    load_roster(rt)


def current(rt, code: str = "DSM-42") -> dict[str, dict]:
    with rt.db.transaction() as uow:
        rows = uow.session.execute(select(Report).join(Submission).where(
            Report.status == "current", Submission.precinct.has(code=code))).scalars()
        return {r.stage: r.counts for r in rows}


def count(rt, model, *where) -> int:
    with rt.db.transaction() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def log_kinds(rt) -> list[str]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(LogEntry.kind).order_by(LogEntry.seq)).scalars())


def to_counts(call: Call, precinct_keys: str = "37642", pin: str = "4321", stage: str = "1") -> None:
    call.start()
    call.press("1")
    call.press(precinct_keys)
    call.press(pin)
    call.press(stage)
    if stage == "1":
        call.press("0")  # attendance not counted: the checks use the first-alignment total


def test_full_keypad_report_from_the_registered_phone_is_recorded(client, rt, roster):
    call = Call(client, CHAIR)
    call.start()
    assert call.verbs() == ["Gather"]
    g = call.gather()
    assert g.attrib == {"action": "/twilio/voice/menu?t=1", "method": "POST", "input": "dtmf",
                        "numDigits": "1", "timeout": "6", "finishOnKey": "#", "actionOnEmptyResult": "true"}
    assert call.says() == [MENU, OFFER]

    call.press("1")
    assert call.gather().attrib["action"] == "/twilio/voice/precinct?t=2"
    assert "numDigits" not in call.gather().attrib  # a code of any length, ended by pound
    # The caller's own precinct is the example, so a chair hears exactly which keys to press.
    assert call.says() == [("Enter your precinct code on the keypad, then press pound. For a letter, "
                           "press the key that shows it, and skip the dash: for D S M 42, press 3 7 6 4 2.")]
    call.press("37642")
    assert call.says() == ["Precinct D S M 42, Des Moines 42. Enter the chair's PIN, then press pound."]
    call.press("4321")
    assert call.says() == [STAGE]
    call.press("1")
    assert call.says() == [("First, how many eligible attendees did you count when the caucus was called "
                            "to order? Enter the number, then pound. If you did not count them, press 0 "
                            "then pound.")]
    call.press("140")
    assert call.says() == [
        ("First alignment. I will name each candidate in ballot order. Enter the number, then press "
        "pound. For zero, press 0 then pound. Press star to go back one candidate."),
        "For Michael Bennet, enter the number, then pound."]
    for n in FIRST:
        call.press(n)
    assert call.says() == [
        ("Please check these numbers for precinct D S M 42, first alignment. Attendance: 140. Joe Biden: 12. "
        "Pete Buttigieg: 45. Amy Klobuchar: 8. Bernie Sanders: 40. Elizabeth Warren: 30. Total: 135. "
        "Zero for Michael Bennet, Mike Bloomberg, John Delaney, Tulsi Gabbard, Deval Patrick, "
        "Tom Steyer, Andrew Yang and Uncommitted."), READBACK_END]
    assert call.gather().get("numDigits") == "1"
    assert current(rt) == {}  # nothing counts before the chair presses 1

    call.press("1")
    assert call.says() == [
        ("Recorded for precinct D S M 42: first alignment. Still to report: final alignment and "
        "county delegates."),
        ("To report another result for this precinct, press 1. If you are done, you can hang up now. "
        "Thank you.")]
    assert current(rt) == {"first": FIRST_COUNTS}
    with rt.db.transaction() as uow:
        sub = uow.session.execute(select(Submission)).scalar_one()
        assert (sub.source, sub.sender, sub.confirm_phone, sub.status) == ("voice", CHAIR, CHAIR, "confirmed")
        assert sub.attendance == 140
        assert uow.session.execute(select(ConfirmationCode.kind)).scalar_one() == "keypad"
        assert vlog.verify(uow.session) is None
    kinds = log_kinds(rt)
    assert {"call_received", "pin_checked", "code_sent", "code_checked", "report_confirmed"} <= set(kinds)

    call.press("2")
    assert call.verbs() == ["Say", "Hangup"]
    assert call.says() == ["Thank you for calling the caucus results hotline. Goodbye."]


def test_a_second_stage_in_the_same_call(client, rt, roster):
    call = Call(client, CHAIR)
    to_counts(call, stage="3")
    for n in ["0", "0", "0", "3", "0", "0", "0", "0", "2", "0", "2", "0", "0"]:
        call.press(n)
    assert call.says()[0].startswith("Please check these numbers for precinct D S M 42, county delegates. "
                                     "Pete Buttigieg: 3. Bernie Sanders: 2. Elizabeth Warren: 2. Total: 7.")
    call.press("1")
    call.press("1")  # another stage
    assert call.says() == [STAGE]
    call.press("1")
    call.press("0")  # attendance not counted
    for n in FIRST:
        call.press(n)
    call.press("1")
    assert call.says()[0] == ("Recorded for precinct D S M 42: first alignment. "
                              "Still to report: final alignment.")
    assert current(rt) == {"first": FIRST_COUNTS, "delegates": {"Buttigieg": 3, "Sanders": 2, "Warren": 2}}


def test_the_readback_says_what_the_checks_found(client, rt, roster):
    call = Call(client, CHAIR)
    to_counts(call, stage="3")  # delegates that add up to more than DSM-42's 7
    for n in ["0", "0", "0", "5", "0", "0", "0", "0", "5", "0", "0", "0", "0"]:
        call.press(n)
    readback = call.says()[0]
    assert "Total: 10." in readback and "Please check: " in readback
    assert "7" in readback.split("Please check: ")[1]


def test_another_phone_needs_the_code_texted_to_the_registered_phone(client, rt, roster):
    call = Call(client, STRANGER)
    to_counts(call, stage="2")
    for n in ["0", "14", "0", "55", "0", "0", "0", "0", "48", "0", "34", "0", "0"]:
        call.press(n)
    call.press("1")
    assert call.says() == [
        ("We texted a 4-digit code to the chair's registered phone, ending 0 1 4 2. Enter that code, "
        "then pound. The chair can also reply YES and the code from that phone. Nothing is recorded "
        "until then.")]
    assert current(rt) == {}
    chair = Phone(client, rt, CHAIR)
    text = chair.last()
    assert text.kind == "callback_code" and "9999" in text.body and "Buttigieg 55" in text.body
    code = chair.code()

    call.press("1000" if code != "1000" else "1001")
    assert call.says()[0] == "That code does not match. 2 tries left."
    assert current(rt) == {}
    call.press(code)
    assert call.says()[0] == ("Recorded for precinct D S M 42: final alignment. Still to report: "
                              "first alignment and county delegates.")
    assert current(rt) == {"final": {"Biden": 14, "Buttigieg": 55, "Sanders": 48, "Warren": 34}}
    with rt.db.transaction() as uow:
        sub = uow.session.execute(select(Submission)).scalar_one()
        assert (sub.sender, sub.confirm_phone) == (STRANGER, CHAIR)


def test_too_many_wrong_codes_void_the_voice_report(client, rt, roster):
    call = Call(client, STRANGER)
    to_counts(call)
    for n in FIRST:
        call.press(n)
    call.press("1")
    wrong = "1000" if Phone(client, rt, CHAIR).code() != "1000" else "1001"
    for left in range(rt.config.code_max_attempts - 1, 0, -1):
        call.press(wrong)
        assert call.says()[0] == f"That code does not match. {left} {'try' if left == 1 else 'tries'} left."
    call.press(wrong)
    assert call.says() == [("Too many wrong codes, so that report was not recorded. Hotline staff will "
                           "call the chair."), MENU, OFFER]
    with rt.db.transaction() as uow:
        sub = uow.session.execute(select(Submission)).scalar_one()
        assert sub.status == "locked"
        assert set(uow.session.execute(select(Report.status)).scalars()) == {"discarded"}
        item = uow.session.execute(select(BacklogItem).where(BacklogItem.kind == "code_lockout")).scalar_one()
        assert (item.submission_id, item.phone) == (sub.id, STRANGER)
    assert current(rt) == {}


def test_an_expired_code_offers_a_new_one(client, rt, roster):
    call = Call(client, STRANGER)
    to_counts(call)
    for n in FIRST:
        call.press(n)
    call.press("1")
    code = Phone(client, rt, CHAIR).code()
    with rt.db.transaction() as uow:
        row = uow.session.execute(select(ConfirmationCode)).scalar_one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    call.press(code)
    assert call.says()[0] == "That code is no longer valid. To send a new code, press 1."
    assert call.gather().attrib["action"].startswith("/twilio/voice/readback?")
    call.press("1")  # a new read-back and code replace the expired one
    with rt.db.transaction() as uow:
        statuses = sorted(uow.session.execute(select(Submission.status)).scalars())
    assert statuses == ["awaiting_confirmation", "replaced"]
    assert current(rt) == {}


def test_a_precinct_without_a_registered_phone_goes_to_the_desk(client, rt):
    load_roster(rt, ROSTER + "NOP-1,Polk,No Phone 1,2,Nora Pine,+15155550300,2468,40\n")
    with rt.db.transaction() as uow:  # the roster insists on a phone; this chair's was removed since
        uow.session.execute(delete(ChairPhone).where(ChairPhone.phone == "+15155550300"))
    call = Call(client, STRANGER)
    to_counts(call, precinct_keys="6671", pin="2468")
    for n in FIRST:
        call.press(n)
    call.press("1")
    assert call.says() == [("The PIN is right, but precinct N O P 1 has no registered phone to confirm "
                           "from. Hotline staff will help you."), "Connecting you to the results desk."]
    assert call.find("Enqueue").text == "hotline-chairs"
    assert rt.redis.zscore("hotline:desk:waiting:hotline-chairs", call.sid) is not None
    with rt.db.transaction() as uow:
        item = uow.session.execute(select(BacklogItem).where(BacklogItem.kind == "unknown_sender")
                                   ).scalar_one()
        assert {k: n for k, n in item.detail["counts"].items() if n} == FIRST_COUNTS  # staff get the numbers
        assert item.phone == STRANGER
    assert count(rt, Submission) == 0


def test_the_chair_can_confirm_a_voice_report_by_text(client, rt, roster):
    call = Call(client, STRANGER)
    to_counts(call)
    for n in FIRST:
        call.press(n)
    call.press("1")  # the caller hangs up here; the chair answers the text instead
    chair = Phone(client, rt, CHAIR)
    chair.send(f"YES {chair.code()}")
    assert chair.last().kind == "recorded"
    assert current(rt) == {"first": FIRST_COUNTS}


PIN_PROMPT = "Precinct D S M 42, Des Moines 42. Enter the chair's PIN, then press pound."
WAY_THROUGH = ("Nothing was recorded. Hotline staff will call the chair's registered phone. The chair "
               "can also text the results from that phone, with no PIN.")


def to_pin(call: Call, pin: str) -> None:
    call.start()
    call.press("1")
    call.press("37642")
    call.press(pin)


def test_wrong_pins_from_other_phones_slow_the_precinct_but_never_shut_the_chair_out(client, rt, roster):
    # Before: five wrong PINs locked DSM-42 for 15 minutes, for callers and texters on any other phone.
    for i in range(rt.config.pin_max_failures):  # five callers, one wrong PIN each
        call = Call(client, f"+1515555{9000 + i}")
        to_pin(call, "1111")
        assert call.says()[0].startswith("That PIN is not right for precinct D S M 42.")
    assert count(rt, BacklogItem, BacklogItem.kind == "pin_lockout") == 1

    borrowed = Call(client, "+15155558888")  # the chair on a borrowed phone takes its turn like any try
    to_pin(borrowed, "4321")
    assert borrowed.says() == [("Precinct D S M 42 had too many wrong PINs, so it takes one PIN try every "
                                "3 minutes. " + WAY_THROUGH), MENU, OFFER]
    texter = Phone(client, rt, "+15155557777")  # the same slow-down holds for texts
    texter.send("DSM-42 PIN 4321 first: Biden 12")
    assert texter.last().kind == "pin_slowed"
    assert current(rt) == {}
    with rt.db.transaction() as uow:  # and staff get one call-back to the registered phone, not one per try
        [(phone, priority)] = uow.session.execute(select(BacklogItem.phone, BacklogItem.priority).where(
            BacklogItem.kind == "callback_request")).all()
    assert (phone, priority) == (CHAIR, 0)

    chair = Call(client, CHAIR)  # the registered phone is never slowed, and its right PIN ends the slow-down
    to_pin(chair, "4321")
    assert "Which results are you reporting?" in chair.said()
    assert count(rt, BacklogItem, BacklogItem.kind == "pin_lockout", BacklogItem.resolved_at.is_(None)) == 0
    again = Call(client, "+15155558888")
    to_pin(again, "4321")
    assert "Which results are you reporting?" in again.said()


def test_wrong_pins_on_the_keypad_lock_only_the_phone_that_typed_them(client, rt, roster):
    call = Call(client, STRANGER)
    to_pin(call, "1111")
    for left in range(rt.config.pin_max_failures - 2, 0, -1):
        call.press("1111")
        assert call.says() == [
            f"That PIN is not right for precinct D S M 42. {left} {'try' if left == 1 else 'tries'} left. "
            "Nothing was recorded.", PIN_PROMPT]
    call.press("1111")
    locked = "Too many wrong PINs from this phone, so it cannot try a PIN for now. " + WAY_THROUGH
    assert call.says() == [locked, MENU, OFFER]
    again = Call(client, STRANGER)  # that phone stays locked, even with the right PIN...
    to_pin(again, "4321")
    assert again.says() == [locked, MENU, OFFER]
    chair = Call(client, CHAIR)  # ...while the chair's registered phone is not
    to_pin(chair, "4321")
    assert "Which results are you reporting?" in chair.said()


def test_pressing_2_on_the_readback_enters_the_numbers_again(client, rt, roster):
    call = Call(client, CHAIR)
    to_counts(call)
    for n in FIRST:
        call.press(n)
    call.press("2")
    assert call.says()[0] == "Let's enter the numbers again."
    assert call.says()[-1] == "For Michael Bennet, enter the number, then pound."
    fixed = list(FIRST)
    fixed[1] = "13"
    for n in fixed:
        call.press(n)
    assert "Joe Biden: 13." in call.says()[0] and "Total: 136." in call.says()[0]
    call.press("1")
    assert current(rt)["first"]["Biden"] == 13
    assert count(rt, Submission) == 1  # the first attempt was never stored


def test_star_goes_back_and_star_zero_reaches_a_person(client, rt, roster):
    call = Call(client, CHAIR)
    to_counts(call)
    call.press("0")
    call.press("12")
    assert call.says() == ["For Mike Bloomberg, enter the number, then pound."]
    call.press("*")
    assert call.says() == ["For Joe Biden, enter the number, then pound."]
    call.press("21")
    call.press("*")
    call.press("*")
    assert call.says()[-1] == "For Michael Bennet, enter the number, then pound."
    call.press("*")  # before the first candidate: back to the stage question
    assert call.says() == [STAGE]
    call.press("1")
    call.press("0")  # attendance not counted
    for n in FIRST:
        call.press(n)
    call.press("*")  # on the read-back: change the last number
    assert call.says() == ["For Uncommitted, enter the number, then pound."]
    call.press("3")
    assert "Uncommitted: 3." in call.says()[0]
    call.press("*0")
    assert call.verbs() == ["Say", "Say", "Enqueue"]
    assert call.says() == ["Let me connect you to the results desk.", "Connecting you to the results desk."]
    assert call.find("Enqueue").text == "hotline-chairs"
    assert current(rt) == {}


def test_zero_reaches_a_person_outside_the_counts(client, rt, roster):
    call = Call(client, STRANGER)
    call.start()
    call.press("1")
    call.press("0")
    assert call.find("Enqueue").text == "hotline-callers"  # not yet known to be a chair


def test_silence_repeats_the_prompt_then_hands_over_to_a_person(client, rt, roster):
    call = Call(client, CHAIR)
    call.start()
    call.silence()
    assert call.says() == ["I did not hear anything.", MENU, OFFER]
    assert call.gather().attrib["action"] == "/twilio/voice/menu?t=2"
    call.press("7")
    assert call.says() == ["Sorry, that is not one of the choices.", MENU, OFFER]
    call.silence()
    assert call.says() == ["Let me connect you to the results desk.", "Connecting you to the results desk."]
    assert call.find("Enqueue").text == "hotline-chairs"


def test_silence_in_the_counts_repeats_the_candidate(client, rt, roster):
    call = Call(client, CHAIR)
    to_counts(call)
    call.press("5")
    call.silence()  # a lone # is silence too: Twilio posts no Digits for it
    assert call.says() == ["I did not hear anything.", "For Joe Biden, enter the number, then pound."]
    call.press("123456")
    assert call.says() == ["Sorry, 1 2 3 4 5 6 is not a number I can use.",
                           "For Joe Biden, enter the number, then pound."]
    call.press("12")
    assert call.says() == ["For Mike Bloomberg, enter the number, then pound."]


def test_all_zero_is_not_a_report(client, rt, roster):
    call = Call(client, CHAIR)
    to_counts(call)
    for _ in FIRST:
        call.press("0")
    assert call.says()[0] == "You entered zero for every candidate. Let's enter the numbers again."
    assert count(rt, Submission) == 0


def test_unknown_precinct_and_shared_keys(client, rt):
    load_roster(rt, ROSTER + "ERM-42,Polk,Ermine 42,3,Eve Ross,+15155550342,2468,80\n")
    call = Call(client, STRANGER)
    call.start()
    call.press("1")
    assert "for A B C 12, press 2 2 2 1 2." in call.says()[0]  # no precinct of its own: a neutral example
    call.press("999")
    assert call.says()[0] == "I found no precinct for 9 9 9. Please check the code on your worksheet."
    call.press("37642")  # DSM-42 and ERM-42 are both 3 7 6 4 2
    assert call.says() == [("That number fits more than one precinct. For D S M 42, press 1. "
                           "For E R M 42, press 2.")]
    call.press("2")
    assert call.says() == ["Precinct E R M 42, Ermine 42. Enter the chair's PIN, then press pound."]


def test_a_call_abandoned_mid_report_leaves_nothing_half_recorded(client, rt, roster):
    call = Call(client, CHAIR)
    to_counts(call)
    for n in FIRST[:6]:
        call.press(n)
    # The chair hangs up. Twilio sends nothing more for the call's steps.
    assert count(rt, Submission) == 0 and count(rt, Report) == 0
    assert "code_sent" not in log_kinds(rt)
    assert count(rt, CallEvent, CallEvent.call_sid == call.sid) == 12  # every webhook is kept
    ttl = rt.redis.ttl(f"hotline:call:{call.sid}")
    assert 0 < ttl <= 3600  # the half-entered numbers expire with the call's state

    later = Call(client, CHAIR)  # a new call starts clean
    to_counts(later)
    assert later.says()[-1] == "For Michael Bennet, enter the number, then pound."


def test_an_abandoned_callback_code_counts_for_nothing(client, rt, roster):
    call = Call(client, STRANGER)
    to_counts(call)
    for n in FIRST:
        call.press(n)
    call.press("1")  # the code is texted; the caller hangs up without keying it
    with rt.db.transaction() as uow:
        statuses = set(uow.session.execute(select(Report.status)).scalars())
    assert statuses == {"pending"} and current(rt) == {}


def test_a_twilio_retry_of_a_step_does_not_act_twice(client, rt, roster):
    call = Call(client, CHAIR)
    to_counts(call)
    for n in FIRST:
        call.press(n)
    action = call.gather().attrib["action"]
    first = call.post(action, Digits="1")
    again = call.post(action, Digits="1")  # same CallSid, step and t: Twilio's retry
    assert [e.text for e in first.iter("Say")] == [e.text for e in again.iter("Say")]
    assert count(rt, Submission) == 1
    assert count(rt, CallEvent, CallEvent.call_sid == call.sid, CallEvent.step == "readback") == 1


def test_keys_for_a_prompt_the_call_already_left_repeat_the_current_one(client, rt, roster):
    call = Call(client, CHAIR)
    call.start()
    old = call.gather().attrib["action"]
    call.press("1")
    call.post(old, Digits="3")  # a late, different request for the menu: not acted on
    assert call.says()[-1].startswith("Enter your precinct code")
    assert count(rt, BacklogItem) == 0


def test_forged_voice_webhooks_are_refused(client, rt, roster):
    form = {"CallSid": "CA" + "f" * 32, "AccountSid": "AC" + "0" * 32, "From": CHAIR, "To": "+15155550100",
            "Digits": "1"}
    assert client.post("/twilio/voice/menu?t=1", data=form,
                       headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}).status_code == 403
    assert client.post("/twilio/voice", data=form).status_code == 403
    assert count(rt, CallEvent) == 0


def test_something_unexpected_is_apologised_for_and_a_person_offered(client, rt, roster, monkeypatch):
    from hotline.services.voice import steps as voice

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    call = Call(client, CHAIR)
    call.start()
    monkeypatch.setattr(voice, "handle", broken)
    call.press("1")
    assert call.verbs() == ["Say", "Redirect"]
    assert call.says() == ["Sorry, something went wrong on our side."]
    assert call.find("Redirect").text.startswith("/twilio/voice/desk?t=-")
    call.follow()
    assert call.find("Enqueue").text == "hotline-chairs"


def test_a_call_whose_state_expired_starts_over(client, rt, roster):
    call = Call(client, CHAIR)
    to_counts(call)
    rt.redis.delete(f"hotline:call:{call.sid}")
    call.press("12")
    assert call.says() == ["Sorry, I lost track of this call. Let's start again.", MENU, OFFER]


def test_the_callback_code_sms_goes_out_first(client, rt, roster):
    call = Call(client, STRANGER)
    to_counts(call)
    for n in FIRST:
        call.press(n)
    call.press("1")
    with rt.db.transaction() as uow:
        msg = uow.session.execute(select(OutboundMessage)).scalar_one()
    assert (msg.to_number, msg.kind, msg.priority) == (CHAIR, "callback_code", 0)


def test_many_precincts_on_the_same_keys_are_offered_a_page_at_a_time(client, rt):
    # D/E/F x P/Q/R/S x M/N/O all key as 3 7 6: eleven precincts fit 3 7 6 4 2 here.
    codes = ["DSM-42"] + [f"{a}{b}{c}-42" for a in "EF" for b in "PQ" for c in "MNO"][:10]
    extra = "".join(f"{code},Polk,{code} room,3,Chair {i},+1515555{7000 + i:04d},{2000 + i},80\n"
                    for i, code in enumerate(codes[1:]))
    load_roster(rt, ROSTER + extra)
    call = Call(client, STRANGER)
    call.start()
    call.press("1")
    call.press("37642")
    first_page = call.said()
    assert first_page.startswith("That number fits more than one precinct. For D S M 42, press 1.")
    assert "press 8." in first_page and "press 9." in first_page and first_page.endswith(
        "For more precincts, press 9.")
    call.press("9")
    second_page = call.said()
    assert second_page == ("That number fits more than one precinct. For F P N 42, press 1. For F P O 42, "
                           "press 2. For F Q M 42, press 3. For more precincts, press 9.")
    call.press("3")
    assert call.says() == ["Precinct F Q M 42, FQM-42 room. Enter the chair's PIN, then press pound."]

    # A chair on the registered phone hears their own precinct first, whatever its letters.
    own = Call(client, "+15155557009")  # the chair of FQM-42, the last of the eleven
    own.start()
    own.press("1")
    own.press("37642")
    assert own.said().startswith("That number fits more than one precinct. For F Q M 42, press 1.")
