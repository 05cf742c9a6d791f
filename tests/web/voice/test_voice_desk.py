"""The results desk by phone: queues, wait messages, call-backs, voicemail, the staff line, floods."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from hotline.adapters.models import BacklogItem, LogEntry
from tests.support.chairs import load_roster
from tests.web.voice.voicecall import Call

CHAIR = "+15155550142"  # DSM-42
CHAIR_2 = "+13195550105"  # IC-5
CHAIR_3 = "+15155550107"  # DSM-7
STRANGER = "+15155559999"
STAFF = "+15155550900"
STAFF_PIN = "246810"
OFFER = "To get a call back instead of waiting, press 1."


@pytest.fixture
def staffed(rt):
    load_roster(rt)
    rt.config = dataclasses.replace(rt.config, staff_line_pin=STAFF_PIN)


def items(rt, kind: str) -> list[BacklogItem]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(BacklogItem).where(BacklogItem.kind == kind)
                                         .order_by(BacklogItem.id)).scalars())


def waiting(client, caller: str) -> Call:
    call = Call(client, caller)
    call.start()
    call.join_desk()
    return call


def staff_call(client) -> Call:
    staff = Call(client, STAFF)
    staff.start("/twilio/voice/staff-line")
    assert staff.says() == ["Staff line. Enter the staff PIN, then press pound."]
    staff.press(STAFF_PIN)
    return staff


def test_a_chair_joins_the_chairs_queue_and_hears_an_honest_wait(client, rt, staffed):
    call = waiting(client, CHAIR)
    assert call.verbs() == ["Say", "Enqueue"]
    enqueue = call.enqueued
    assert enqueue.text == "hotline-chairs"
    assert enqueue.attrib == {"action": "/twilio/voice/desk/left?t=2", "method": "POST",
                              "waitUrl": "/twilio/voice/desk/wait?t=2", "waitUrlMethod": "POST"}
    call.wait(position=1)
    assert call.verbs() == ["Gather"]
    g = call.gather()
    assert g.attrib == {"action": "/twilio/voice/desk/hold?t=3", "method": "POST", "input": "dtmf",
                        "numDigits": "1", "timeout": "2", "finishOnKey": "#"}  # silence: no post
    assert call.says() == ["You are number 1 in line for the results desk. I cannot estimate the wait yet. "
                           + OFFER]
    assert g.find("Play").text == rt.config.hold_music_url


def test_the_estimate_comes_from_how_fast_staff_answered(client, rt, staffed):
    first, second, third = (waiting(client, n) for n in (CHAIR, CHAIR_2, CHAIR_3))
    staff = staff_call(client)
    queue = staff.find("Dial/Queue")
    assert queue.text == "hotline-chairs"
    first.post(queue.attrib["url"], QueueTime="30", DequeingCallSid=staff.sid,
               QueueSid="QU" + "1" * 32)
    assert first.verbs() == ["Say"] and first.says() == ["Connecting you to hotline staff now."]
    staff.post(staff.find("Dial").attrib["action"], DialCallStatus="completed")
    assert staff.says() == ["To take the next caller, press 1."]
    staff.press("1")
    second.post(staff.find("Dial/Queue").attrib["url"], QueueTime="50", DequeingCallSid=staff.sid)
    # Two answered within the last minute: one caller per 30 s, so number 2 waits about a minute.
    third.wait(position=2, queue_time=40)
    assert third.says() == ["You are number 2 in line for the results desk. The estimated wait is "
                            "about 1 minute. " + OFFER]


def test_unknown_callers_wait_behind_chairs_and_staff_take_chairs_first(client, rt, staffed):
    stranger = waiting(client, STRANGER)
    assert stranger.enqueued.text == "hotline-callers"
    chair = waiting(client, CHAIR)
    stranger.wait(position=1)
    assert stranger.says() == ["You are number 2 in line. Precinct chairs are answered first, and 1 is "
                               "waiting now. I cannot estimate the wait yet. " + OFFER]
    chair.wait(position=1)
    assert chair.says()[0].startswith("You are number 1 in line for the results desk.")

    staff = staff_call(client)
    assert staff.says() == [("Next caller: a chair for precinct D S M 42, waiting less than a minute. "
                            "Waiting now: 1 chair and 1 other caller.")]
    assert staff.find("Dial").attrib["action"] == "/twilio/voice/staff/done?t=2"
    assert staff.find("Dial/Queue").text == "hotline-chairs"
    chair.post(staff.find("Dial/Queue").attrib["url"], QueueTime="20", DequeingCallSid=staff.sid)
    staff.post(staff.find("Dial").attrib["action"], DialCallStatus="completed")
    staff.press("1")
    assert staff.find("Dial/Queue").text == "hotline-callers"
    assert staff.says()[0].startswith("Next caller: a caller whose number is not on the roster")


def test_a_pin_keyed_in_the_call_makes_a_borrowed_phone_a_chair(client, rt, staffed):
    call = Call(client, STRANGER)
    call.start()
    call.press("1")
    call.press("37642")
    call.press("4321")
    call.press("0")  # at the stage question
    assert call.find("Enqueue").text == "hotline-chairs"


def test_a_long_wait_offers_a_call_back_and_books_it(client, rt, staffed):
    call = waiting(client, CHAIR)
    call.wait(position=3, queue_time=301)
    assert call.says() == [("You are number 3 in line for the results desk. I cannot estimate the wait "
                           "yet. The wait is longer than 5 minutes. Press 1 and we will call you back "
                           "instead, or stay on the line.")]
    call.press("1")
    assert call.verbs() == ["Say", "Leave"]
    call.left("leave", queue_time=305)
    assert call.says() == [("We will call you back at the number ending 0 1 4 2. To confirm, press 1. "
                           "To give a different number, press 2.")]
    call.press("1")
    assert call.verbs() == ["Say", "Hangup"]
    assert call.says() == [("Thank you. Hotline staff will call you back at the number ending 0 1 4 2. "
                           "You keep your place in line. You are number 1 in line for the results desk. "
                           "I cannot estimate the wait yet. Please keep that phone free. You can "
                           "hang up now. Goodbye.")]
    [item] = items(rt, "callback_request")
    assert (item.priority, item.phone, item.precinct.code) == (0, CHAIR, "DSM-42")
    assert item.summary == "Call back the chair of DSM-42 at +15155550142"
    assert item.detail["call_sid"] == call.sid and item.detail["asked_while_waiting"] is True


def test_pressing_1_while_waiting_and_another_number(client, rt, staffed):
    chair = waiting(client, CHAIR)
    chair.wait(position=1)
    chair.press("1")
    chair.left("leave")
    chair.press("1")
    stranger = waiting(client, STRANGER)
    stranger.wait(position=1)
    stranger.press("5")
    assert stranger.says() == ["You are still in line."] and stranger.verbs() == ["Say"]
    stranger.wait(position=1)
    stranger.press("1")
    stranger.left("leave")
    stranger.press("2")
    assert stranger.says() == ["Enter the 10-digit phone number we should call, then press pound."]
    stranger.press("12345")
    assert stranger.says()[0] == "Sorry, 1 2 3 4 5 is not a 10-digit phone number."
    stranger.press("5155550199")
    assert stranger.says() == [("We will call you back at the number ending 0 1 9 9. To confirm, press 1. "
                               "To give a different number, press 2.")]
    stranger.press("1")
    # The chair's call-back is ahead of the stranger, who is number 2 in the one line.
    assert ("You keep your place in line. You are number 2 in line. Precinct chairs are answered first, "
            "and 1 is waiting now.") in stranger.says()[0]
    chair_item, stranger_item = items(rt, "callback_request")
    # A chair's call-back outranks an unknown caller's, whoever asked first.
    assert chair_item.priority < stranger_item.priority
    assert (stranger_item.phone, stranger_item.precinct_id) == ("+15155550199", None)


def test_a_full_queue_offers_a_call_back(client, rt, staffed):
    call = waiting(client, CHAIR)
    call.left("queue-full")
    assert call.says()[0] == "Sorry, the results desk cannot take more callers right now."
    assert call.gather().attrib["action"].startswith("/twilio/voice/callback?")


def test_a_caller_who_hangs_up_in_the_queue_is_no_longer_counted(client, rt, staffed):
    gone = waiting(client, CHAIR)
    gone.left("hangup", queue_time=12)
    assert gone.verbs() == []
    stranger = waiting(client, STRANGER)
    stranger.wait(position=1)
    assert stranger.says()[0].startswith("You are number 1 in line. Precinct chairs are answered first. I")


def test_unknown_number_flood_is_turned_away_but_never_chairs(client, rt, staffed):
    limit = rt.config.unknown_calls_per_hour
    for _ in range(limit):
        assert Call(client, STRANGER).start() is not None
    flooded = Call(client, STRANGER)
    flooded.start()
    assert flooded.verbs() == ["Say", "Hangup"]
    assert flooded.says() == [("This line is busy with calls from this number. Precinct chairs can text "
                              "their results to this number. Goodbye.")]
    Call(client, STRANGER).start()
    with rt.db.transaction() as uow:
        logged = uow.session.scalar(select(func.count()).select_from(LogEntry)
                                    .where(LogEntry.kind == "call_flood_limited"))
    assert logged == 1  # logged once, not once a call
    assert len(items(rt, "unknown_sender")) == 1
    for _ in range(limit + 3):
        chair = Call(client, CHAIR)
        chair.start()
        assert chair.verbs() == ["Gather"]
    other = Call(client, "+15155558888")  # another unknown number has its own allowance
    other.start()
    assert other.verbs() == ["Gather"]


def test_voicemail_becomes_a_backlog_item_with_its_transcript(client, rt, staffed):
    call = Call(client, CHAIR)
    call.start()
    call.press("3")
    assert call.verbs() == ["Say", "Record", "Redirect"]
    assert call.find("Record").attrib == {
        "action": "/twilio/voice/message/done?t=2", "method": "POST", "maxLength": "120",
        "finishOnKey": "#", "playBeep": "true", "transcribe": "true",
        "transcribeCallback": "/twilio/voice/message/transcript?t=2"}
    record = call.find("Record").attrib
    call.post(record["action"], RecordingUrl="https://api.twilio.com/recordings/RE1",
              RecordingDuration="14", RecordingSid="RE" + "1" * 32)
    assert call.verbs() == ["Say", "Hangup"]
    [item] = items(rt, "voicemail")
    assert (item.phone, item.precinct.code, item.detail["recording_url"]) == (
        CHAIR, "DSM-42", "https://api.twilio.com/recordings/RE1")
    resp = client.post(record["transcribeCallback"], data=_transcript(call.sid),
                       headers={"X-Twilio-Signature": _sign(record["transcribeCallback"], call.sid)})
    assert resp.status_code == 204
    [item] = items(rt, "voicemail")
    assert item.detail["transcription"] == "Precinct 42 here, please call me."


def _transcript(sid: str) -> dict[str, str]:
    from tests.support.stack import ACCOUNT_SID
    return {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": CHAIR, "To": "+15155550100",
            "TranscriptionText": "Precinct 42 here, please call me.", "TranscriptionStatus": "completed",
            "RecordingSid": "RE" + "1" * 32, "TranscriptionSid": "TR" + "1" * 32}


def _sign(url: str, sid: str) -> str:
    from tests.support.stack import sign
    return sign(url, _transcript(sid))


def test_an_empty_recording_returns_to_the_menu(client, rt, staffed):
    call = Call(client, CHAIR)
    call.start()
    call.press("3")
    call.follow()  # Twilio skips the action when nothing was recorded
    assert call.says()[0] == "I did not hear a message."
    assert call.gather().attrib["action"].startswith("/twilio/voice/menu?")
    assert items(rt, "voicemail") == []


def test_staff_line_pin_and_nobody_waiting(client, rt, staffed):
    staff = Call(client, STAFF)
    staff.start("/twilio/voice/staff-line")
    staff.press("111111")
    assert staff.says() == ["That staff PIN is not right.", "Staff line. Enter the staff PIN, then press pound."]
    staff.press(STAFF_PIN)
    assert staff.says() == ["No callers are waiting.", "To take the next caller, press 1."]
    chair = waiting(client, CHAIR)
    staff.press("1")
    assert staff.find("Dial/Queue").text == "hotline-chairs"
    assert chair.enqueued.text == "hotline-chairs"


def test_staff_reach_the_line_from_the_main_menu_too(client, rt, staffed):
    staff = Call(client, STAFF)
    staff.start()
    staff.press("9")
    assert staff.says() == ["Staff line. Enter the staff PIN, then press pound."]


def test_wrong_staff_pins_lock_the_phone_out(client, rt, staffed):
    staff = Call(client, STAFF)
    staff.start("/twilio/voice/staff-line")
    for _ in range(rt.config.pin_max_failures - 1):
        staff.press("000000")
    staff.press("000000")
    assert staff.verbs() == ["Say", "Hangup"]
    again = Call(client, STAFF)
    again.start("/twilio/voice/staff-line")
    again.press(STAFF_PIN)
    assert again.says() == ["Too many wrong staff PINs from this phone. Try again later. Goodbye."]


def test_without_a_staff_pin_there_is_no_staff_line(client, rt):
    load_roster(rt)
    staff = Call(client, STAFF)
    staff.start()
    staff.press("9")
    assert staff.says()[0] == "Sorry, that is not one of the choices."
