"""Wrong PINs by text: a stranger locks only their own phone, slows the precinct, and a statewide
budget pauses guessing; the chair always has a way through (issue 21, finding 7)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from hotline.adapters.models import BacklogItem, LogEntry, utcnow
from hotline.services.console import claims
from hotline.services.records import limits, pins
from hotline.services.units import Units
from tests.unit.services.fakes import FakeJobs, memory_units
from tests.unit.services.test_sms import CHAIR, FIRST, code_in, last_reply, text

BORROWED = "+15155558000"  # the chair of DSM-42 (PIN 4321) on a friend's phone
SLOWED = ("DSM-42: too many wrong PINs, so 1 try per 3 min. Nothing was recorded. We will call the "
          "chair's registered phone. Or text from that phone: no PIN needed.")
PAUSED = ("PIN tries are paused for now: too many wrong PINs. Nothing was recorded. We will call the "
          "chair's registered phone. Or text from that phone: no PIN needed.")
LOCKED = ("Too many wrong PINs from this phone. Nothing was recorded. We will call the chair's "
          "registered phone. Or text from that phone: no PIN needed.")


def stranger(i: int) -> str:
    return f"+1202555{1000 + i:04d}"


class Clock:
    """The counters' clock, moved on by the test instead of waited out."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def later(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(limits, "utcnow", c)
    return c


@pytest.fixture
def small_budget(clock: Clock) -> Iterator[Units]:
    """A statewide budget of 12 wrong PINs an hour, so a test can spend it."""
    u = memory_units(FakeJobs(), pin_failures_per_hour_global=12)
    yield u
    u.db.dispose()


@dataclass(frozen=True)
class Item:
    id: int
    kind: str
    phone: str | None
    priority: int
    code: str | None
    summary: str
    detail: dict
    resolution: str | None
    resolved_by: str | None


@dataclass(frozen=True)
class Entry:
    kind: str
    precinct_code: str | None
    actor: str | None
    detail: dict


def items(units: Units, kind: str, open_only: bool = True) -> list[Item]:
    with units.reading() as s:
        q = select(BacklogItem).where(BacklogItem.kind == kind).order_by(BacklogItem.id)
        if open_only:
            q = q.where(BacklogItem.resolved_at.is_(None))
        return [Item(i.id, i.kind, i.phone, i.priority, i.precinct.code if i.precinct else None, i.summary,
                     dict(i.detail), i.resolution, i.resolved_by) for i in s.scalars(q)]


def log(units: Units, kind: str) -> list[Entry]:
    with units.reading() as s:
        return [Entry(e.kind, e.precinct_code, e.actor, dict(e.detail))
                for e in s.scalars(select(LogEntry).where(LogEntry.kind == kind).order_by(LogEntry.seq))]


def five_strangers_guess(units: Units, code: str = "DSM-42") -> None:
    for i in range(units.config.pin_max_failures):
        reply = text(units, stranger(i), f"{code} PIN 1111 {FIRST}")
        assert reply.startswith(f"That PIN is not right for {code}. Nothing was recorded.")


def test_five_strangers_cannot_shut_out_the_chair_on_a_borrowed_phone(units, clock):
    # Before: the fifth wrong PIN locked DSM-42 for 15 minutes, for every phone but the registered one.
    five_strangers_guess(units)
    # Now the precinct is only slowed. The chair's right PIN right after takes its turn like any try
    # (nothing tells it from a guess), so it is refused: with the way through, and a call-back.
    assert text(units, BORROWED, f"DSM-42 PIN 4321 {FIRST}") == SLOWED
    [callback] = items(units, "callback_request")
    assert (callback.phone, callback.priority, callback.code) == (CHAIR, 0, "DSM-42")
    clock.later(pins.SLOW_GAP_SECONDS)  # one turn later the chair gets through
    assert text(units, BORROWED, f"DSM-42 PIN 4321 {FIRST}").startswith("PIN accepted for DSM-42.")
    assert text(units, CHAIR, f"YES {code_in(last_reply(units, CHAIR))}").startswith("Recorded for DSM-42")
    # Every wrong PIN is in the log as before, and only the wrong ones; no list of phones grows anywhere.
    assert [e.detail["ok"] for e in log(units, "pin_checked")] == [False] * 5 + [True]
    opened = items(units, "callback_request") + items(units, "pin_lockout")
    assert all(len(str(i.detail)) < 100 for i in opened)


def test_the_registered_phone_is_never_refused_and_its_right_pin_ends_the_slow_down(units, clock):
    five_strangers_guess(units)
    [slowed] = items(units, "pin_lockout")
    assert slowed.summary.startswith("DSM-42: PIN tries slowed to one per 3 minutes after wrong PINs")
    assert text(units, CHAIR, FIRST).startswith("DSM-42 read-back:")  # no PIN needed, nothing refused
    assert text(units, CHAIR, f"DSM-42 PIN 4321 {FIRST}").startswith("DSM-42 read-back:")
    assert items(units, "pin_lockout") == []  # the chair's right PIN ended the slow-down...
    # ...at once
    assert text(units, BORROWED, f"DSM-42 PIN 4321 {FIRST}").startswith("PIN accepted for DSM-42.")


def test_a_stranger_rotating_phones_spends_the_global_budget_and_then_everyone_pauses(small_budget, clock):
    units, codes = small_budget, ["DSM-42", "DSM-7", "AMES-1", "IC-5"]
    for i in range(12):  # 12 phones, 3 wrong PINs per precinct: no phone locks, no precinct slows
        reply = text(units, stranger(i), f"{codes[i % 4]} PIN 1111 {FIRST}")
        assert reply.startswith("That PIN is not right")
    [guessing] = items(units, "pin_lockout")
    assert guessing.code is None and guessing.summary.startswith("PIN guessing under way: 12 wrong PINs")
    assert text(units, stranger(12), f"DSM-42 PIN 1111 {FIRST}") == PAUSED
    assert text(units, BORROWED, f"DSM-42 PIN 4321 {FIRST}") == PAUSED  # the same answer for the right PIN
    assert text(units, CHAIR, FIRST).startswith("DSM-42 read-back:")  # the registered phone is not paused
    assert len(log(units, "pin_checked")) == 12  # refused tries are not guesses: nothing was checked
    assert len(items(units, "pin_lockout")) == 1  # one item, however long the pause
    clock.later(3600)  # the hour rolls: a fresh budget
    assert text(units, stranger(13), f"DSM-42 PIN 1111 {FIRST}").startswith("That PIN is not right")


def test_staff_clear_the_slow_down_from_the_item_and_it_is_logged(units, clock):
    five_strangers_guess(units)
    assert text(units, BORROWED, f"DSM-42 PIN 4321 {FIRST}") == SLOWED
    [item] = items(units, "pin_lockout")
    assert claims.take(units, item.id, "amy")
    done = claims.clear_pins(units, item.id, "amy")
    assert done == "Cleared the PIN slow-down for DSM-42. The item is closed."
    [closed] = [i for i in items(units, "pin_lockout", open_only=False) if i.id == item.id]
    assert (closed.resolution, closed.resolved_by) == ("cleared", "amy")
    [cleared] = log(units, "pin_slowdown_cleared")
    assert (cleared.precinct_code, cleared.actor, cleared.detail["was_slowed"]) == ("DSM-42", "amy", True)
    assert text(units, BORROWED, f"DSM-42 PIN 4321 {FIRST}").startswith("PIN accepted for DSM-42.")


def test_only_the_holder_of_a_pin_item_clears_it_and_only_pin_items_have_it(units, clock):
    five_strangers_guess(units)
    [item] = items(units, "pin_lockout")
    with pytest.raises(claims.NotClaimant):
        claims.clear_pins(units, item.id, "amy")
    text(units, BORROWED, f"DSM-42 PIN 4321 {FIRST}")
    [callback] = items(units, "callback_request")
    assert claims.take(units, callback.id, "amy")
    with pytest.raises(ValueError, match="no PIN slow-down"):
        claims.clear_pins(units, callback.id, "amy")


def test_staff_end_the_statewide_pause(small_budget, clock):
    units = small_budget
    for i in range(12):
        text(units, stranger(i), f"{['DSM-7', 'AMES-1', 'IC-5'][i % 3]} PIN 1111 {FIRST}")
    guessing = next(i for i in items(units, "pin_lockout") if i.code is None)
    assert text(units, BORROWED, f"DSM-42 PIN 4321 {FIRST}") == PAUSED
    assert claims.take(units, guessing.id, "amy")
    assert claims.clear_pins(units, guessing.id, "amy").startswith("Ended the statewide pause of PIN tries.")
    assert log(units, "pin_pause_cleared")[0].actor == "amy"
    assert text(units, BORROWED, f"DSM-42 PIN 4321 {FIRST}").startswith("PIN accepted for DSM-42.")


def test_a_flood_of_refused_tries_makes_one_call_back_item_per_precinct(units, clock):
    five_strangers_guess(units)
    for i in range(5, 25):  # twenty more guesses inside the turn: all refused
        assert text(units, stranger(i), f"DSM-42 PIN 2222 {FIRST}") == SLOWED
    [callback] = items(units, "callback_request")
    # Wrong PINs alone leave it low in the queue, so a flood cannot push chairs' own requests down...
    assert (callback.phone, callback.priority, callback.detail["repeats"]) == (CHAIR, 3, 20)
    assert text(units, BORROWED, f"DSM-42 PIN 4321 {FIRST}") == SLOWED
    [callback] = items(units, "callback_request")
    assert callback.priority == 0  # ...a refused right PIN is most likely the chair: to the top
    assert "the right PIN was refused from +15155558000" in callback.summary
    # A phone that locked itself is refused for every precinct; each precinct gets its own one item.
    guesser = stranger(30)
    for _ in range(4):
        assert text(units, guesser, f"DSM-7 PIN 1111 {FIRST}").startswith("That PIN is not right for DSM-7")
    assert text(units, guesser, f"DSM-7 PIN 1111 {FIRST}") == LOCKED
    assert text(units, guesser, f"DSM-7 PIN 1234 {FIRST}") == LOCKED
    assert text(units, guesser, f"IC-5 PIN 1111 {FIRST}") == LOCKED
    assert sorted((i.code, i.phone) for i in items(units, "callback_request")) == [
        ("DSM-42", CHAIR), ("DSM-7", "+15155550107"), ("IC-5", "+13195550105")]
    # Each refused try is logged (and the wrong PIN that locked the phone): 20 + 1 + 3.
    assert [e.detail["reason"] for e in log(units, "pin_refused")] == ["slowed"] * 21 + ["phone"] * 3


def test_a_chair_who_mistypes_locks_only_the_phone_they_are_on(units, clock):
    for left in (4, 3, 2, 1):
        reply = text(units, BORROWED, f"DSM-42 PIN 4312 {FIRST}")
        assert reply.endswith(f"{left} {'try' if left == 1 else 'tries'} left.")
    assert text(units, BORROWED, f"DSM-42 PIN 4312 {FIRST}") == LOCKED
    assert text(units, BORROWED, f"DSM-42 PIN 4321 {FIRST}") == LOCKED
    [callback] = items(units, "callback_request")
    assert (callback.phone, callback.priority) == (CHAIR, 0)
    assert text(units, CHAIR, FIRST).startswith("DSM-42 read-back:")
