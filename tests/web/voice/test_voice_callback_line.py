"""A call-back keeps its place in line: staff are offered call-backs and live callers by the time each
joined the queue (chairs first), and a caller hears the same estimate holding or waiting for a call-back."""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from hotline.adapters.models import BacklogItem, LogEntry
from hotline.services.voice import desk, followup, line, staff
from tests.support.chairs import load_roster
from tests.web.voice.voicecall import TWILIO_NUMBER, Call

CHAIR = "+15155550142"  # DSM-42
CHAIR_2 = "+13195550105"  # IC-5
CHAIR_3 = "+15155550107"  # DSM-7
STRANGER = "+15155559999"
STAFF = "+15155550900"
STAFF_PIN = "246810"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock(1_900_000_000.0)
    fake = SimpleNamespace(time=c.time)
    for module in (desk, followup, line, staff):
        monkeypatch.setattr(module, "time", fake)
    return c


@pytest.fixture
def staffed(rt):
    load_roster(rt)
    rt.config = dataclasses.replace(rt.config, staff_line_pin=STAFF_PIN)


def join(client, caller: str) -> Call:
    call = Call(client, caller)
    call.start()
    call.join_desk()
    return call


def take_callback(call: Call, position: int = 1) -> str:
    """On hold: press 1, leave the queue, confirm the number; what the caller heard at the end."""
    call.wait(position=position)
    call.press("1")
    call.left("leave")
    call.press("1")
    assert call.verbs() == ["Say", "Hangup"]
    return call.says()[0]


def callback_items(rt) -> list[BacklogItem]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(BacklogItem).where(BacklogItem.kind == "callback_request")
                                         .order_by(BacklogItem.id)).unique().scalars())


def staff_line(client) -> Call:
    call = Call(client, STAFF)
    call.start("/twilio/voice/staff-line")
    call.press(STAFF_PIN)
    return call


def test_a_chair_who_took_a_call_back_is_offered_before_a_live_chair_who_joined_later(client, rt, staffed, clock):
    stranger = join(client, STRANGER)  # joined first of all, but chairs go first
    clock.now += 5
    early = join(client, CHAIR)  # t=0
    take_callback(early)
    [item] = callback_items(rt)
    assert item.detail[line.JOINED] == clock.now
    clock.now += 10
    live_chair = join(client, CHAIR_2)  # t=10, holding
    clock.now += 60

    desk_staff = staff_line(client)
    assert desk_staff.verbs() == ["Say", "Dial"]
    assert desk_staff.says() == [("Next: a call-back to the chair of precinct D S M 42, in line 2 minutes. "
                                  "Calling the number ending 0 1 4 2 now. Waiting now: 1 chair and "
                                  "1 other caller.")]
    dial = desk_staff.find("Dial")
    assert dial.attrib["action"].startswith("/twilio/voice/staff/done?")
    assert dial.attrib["callerId"] == TWILIO_NUMBER  # the chair sees the hotline calling
    assert desk_staff.find("Dial/Number").text == CHAIR
    [item] = callback_items(rt)
    assert item.claimed_by == f"staff line {STAFF}" and item.resolved_at is None

    # Nobody answered: the call-back keeps its place, ahead of the live chair who joined later.
    desk_staff.post(dial.attrib["action"], DialCallStatus="no-answer")
    assert desk_staff.says() == ["To take the next caller, press 1."]
    [item] = callback_items(rt)
    assert item.claimed_by is None and item.resolved_at is None
    desk_staff.press("1")
    assert desk_staff.find("Dial/Number").text == CHAIR
    desk_staff.post(desk_staff.find("Dial").attrib["action"], DialCallStatus="completed")
    [item] = callback_items(rt)
    assert item.resolved_at is not None and item.note == "Called back from the staff line."

    # Then the live chair, then the other caller, however long the other caller has waited.
    desk_staff.press("1")
    assert desk_staff.find("Dial/Queue").text == "hotline-chairs"
    assert desk_staff.says()[0].startswith("Next caller: a chair for precinct I C 5")
    live_chair.post(desk_staff.find("Dial/Queue").attrib["url"], QueueTime="70", DequeingCallSid=desk_staff.sid)
    desk_staff.post(desk_staff.find("Dial").attrib["action"], DialCallStatus="completed")
    desk_staff.press("1")
    assert desk_staff.find("Dial/Queue").text == "hotline-callers"
    assert stranger.enqueued.text == "hotline-callers"
    with rt.db.transaction() as uow:
        kinds = list(uow.session.execute(select(LogEntry.kind).where(
            LogEntry.kind.in_(("callback_dialled", "backlog_released", "backlog_resolved")))
            .order_by(LogEntry.seq)).scalars())
    assert kinds == ["callback_dialled", "backlog_released", "callback_dialled", "backlog_resolved"]


def test_chairs_come_before_others_live_or_called_back(client, rt, staffed, clock):
    stranger = join(client, STRANGER)
    take_callback(stranger)  # the stranger's call-back joined at t=0
    clock.now += 10
    chair = join(client, CHAIR)  # a chair holding since t=10
    desk_staff = staff_line(client)
    assert desk_staff.find("Dial/Queue").text == "hotline-chairs"
    chair.post(desk_staff.find("Dial/Queue").attrib["url"], QueueTime="10", DequeingCallSid=desk_staff.sid)
    desk_staff.post(desk_staff.find("Dial").attrib["action"], DialCallStatus="completed")
    desk_staff.press("1")
    assert desk_staff.find("Dial/Number").text == STRANGER
    assert desk_staff.says()[0].startswith("Next: a call-back to a caller whose number is not on the roster")


def test_a_call_back_claimed_in_the_console_is_not_dialled(client, rt, staffed, clock):
    take_callback(join(client, CHAIR))
    [item] = callback_items(rt)
    from hotline.services.console import claims
    assert claims.take(rt.units, item.id, "alice")
    desk_staff = staff_line(client)
    assert desk_staff.says() == ["No callers are waiting.", "To take the next caller, press 1."]


def test_holding_or_taking_a_call_back_the_caller_hears_the_same_place_and_wait(client, rt, staffed, clock):
    # Staff answered two callers in the last minute: one every 30 seconds.
    line.answered(rt.redis, "CA-earlier-1", 40)
    clock.now += 30
    line.answered(rt.redis, "CA-earlier-2", 50)
    join(client, CHAIR_2)  # holding, ahead of everyone below
    clock.now += 0.5
    chair = join(client, CHAIR)
    chair.wait(position=2)
    held = chair.says()[0]
    assert held.startswith("You are number 2 in line for the results desk. The estimated wait is about "
                           "1 minute.")
    booked = take_callback(chair, position=2)
    assert ("You keep your place in line. You are number 2 in line for the results desk. The estimated "
            "wait is about 1 minute.") in booked
    # A chair who joins later is behind both: the live chair and the call-back.
    clock.now += 0.5
    later = join(client, CHAIR_3)
    later.wait(position=2)  # Twilio counts only the two callers holding
    assert later.says()[0].startswith("You are number 3 in line for the results desk.")
    # Others hear the chairs' call-backs among the chairs waiting ahead of them.
    stranger = join(client, STRANGER)
    stranger.wait(position=1)
    assert stranger.says()[0].startswith("You are number 4 in line. Precinct chairs are answered first, "
                                         "and 3 are waiting now.")
