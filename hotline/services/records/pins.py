"""The chair's PIN, tried by text or on the keypad: one set of counters, so a rule holds whichever
way the PIN is tried.

A stranger must not be able to shut the chair out, so nothing a guesser does locks anyone but
the guesser (the rule itself is in domain/lockout.py):

- the phone: `pin_max_failures` wrong PINs within `pin_lockout_seconds` lock that phone's PIN
  tries for `pin_lockout_seconds`. A guesser locks only themself.
- the precinct: after `pin_max_failures` wrong PINs for it from phones other than its registered
  one, it is slowed, not locked: one try per SLOW_GAP_SECONDS from such phones, right or wrong
  (we cannot tell a chair on a borrowed phone from a guesser, so both wait their turn). It lasts
  while wrong PINs keep coming and ends one quiet `pin_lockout_seconds` after the last one, or at
  once when the registered phone gives the right PIN or staff clear it.
- all precincts: `pin_failures_per_hour_global` wrong PINs within an hour pause PIN tries from
  unregistered phones until that hour ends; staff get one "PIN guessing under way" item.
- the registered phone answers only to its own phone counter: nobody else's guesses slow, pause
  or lock it (and by text it needs no PIN at all).

Whoever is refused is told the way through (text from the registered phone, which needs no PIN;
we will call that phone), and staff get one call-back item per precinct to ring it.

Why guessing stays infeasible. PINs are 4 to 8 digits (the roster import), so at least 10,000
possibilities. For one precinct, phones other than its registered one get at most 4 wrong PINs
per 15-minute window without slowing it (16 an hour), or 5 and then one try per
SLOW_GAP_SECONDS = 180 seconds: 20 an hour, however many phones they rotate through (each phone
locks itself after 5 anyway). In a 6-hour night that is at most 5 + 6 x 20 = 125 tries: a chance
of 125 / 10,000 = 1.25% against a 4-digit PIN (0.0125% against 6 digits), about what the old
15-minute lock-out allowed (5 per 15 minutes, 120 a night). At one try a minute it would be
365 tries, 3.65%: too generous, hence 180. Across the state the global budget caps wrong PINs at
300 an hour, at most 1,800 in 6 hours, so however they are spread the expected number of PINs
found is at most 1,800 / 10,000 = 0.18, and the chance of finding any at most
1 - (1 - 1/10,000)^1,800 = 16.5% (the old rules had no such cap: 120 a night for each of 1,765
precincts, some 212,000 guesses, about 21 PINs expected). And a right PIN alone records nothing:
the code goes to the registered phone and the chair must confirm from there. (A caller who fakes
the registered phone's caller ID is counted only on that phone's counter, as before: 20 more an
hour for that one precinct, 2.45% a night at most.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hotline.adapters.models import BacklogItem, Precinct
from hotline.services.log import chain
from hotline.services.records import backlog, limits, roster
from hotline.services.units import UnitOfWork

# One PIN try per this many seconds for a slowed precinct (see the arithmetic above).
SLOW_GAP_SECONDS = 180
BUDGET_WINDOW_SECONDS = 3600
GLOBAL = "pin:global"
GUESSING_KEY = "pinguess:global"  # the one backlog item while the global pause holds
PHONE, SLOWED, PAUSED = "phone", "slowed", "paused"  # why a try was refused
_WHY = {PHONE: "the phone tried too many wrong PINs", SLOWED: "the precinct is slowed after wrong PINs",
        PAUSED: "PIN tries are paused statewide after many wrong PINs"}


def phone_key(phone: str) -> str:
    return f"pin:phone:{phone}"


def precinct_key(code: str) -> str:
    return f"pin:precinct:{code}"


def slowdown_key(code: str) -> str:
    """The dedupe key of a precinct's one slow-down item."""
    return f"pinlock:{code}"


def callback_key(code: str) -> str:
    """The dedupe key of a precinct's one call-back item for refused PIN tries."""
    return f"pinrefused:{code}"


@dataclass(frozen=True)
class Miss:
    """A wrong PIN: whether it locked this phone's PIN tries, and how many it has left if not."""

    locked: bool
    left: int


def refusal(uow: UnitOfWork, precinct: Precinct, phone: str, own_phone: bool = False) -> str | None:
    """Why this try must be refused before its PIN counts (PHONE, SLOWED or PAUSED), or None.
    The chair's own registered phone answers only to its own counter."""
    s = uow.session
    if own_phone:
        return PHONE if limits.locked_until(s, phone_key(phone)) else None
    if limits.locked_until(s, GLOBAL):
        return PAUSED
    if limits.locked_until(s, phone_key(phone)):
        return PHONE
    if limits.locked_until(s, precinct_key(precinct.code)):  # a slowed precinct's next try is not due
        return SLOWED
    return None


def refused(uow: UnitOfWork, precinct: Precinct, phone: str, reason: str, right_pin: bool,
            **detail: Any) -> bool:
    """A try refused (or the wrong PIN that locked its phone): logged, and staff get one call-back
    item per precinct to ring the registered phone, however many tries are refused. A refused try
    with the right PIN is most likely the chair, so it puts the item at the top of the queue; wrong
    ones leave it low, so a guessing flood cannot push the chairs' own requests down. The answer
    is the same either way, so a refused try tells a guesser nothing. Whether the precinct has a
    registered phone (what the chair is told to use)."""
    s = uow.session
    chain.record(s, "pin_refused", precinct=precinct.code, phone=phone, reason=reason, **detail)
    phones = roster.registered_phones(s, precinct)
    target = phones[0] if phones else None
    who = f"the chair of {precinct.code} " + (f"at {target}" if target else "(no registered phone)")
    low = backlog.PRIORITY["unknown_sender"]
    item = backlog.open_item(s, "callback_request", precinct_id=precinct.id, phone=target,
                             dedupe_key=callback_key(precinct.code), priority=0 if right_pin else low,
                             summary=f"Call back {who}: PIN tries refused ({_WHY[reason]})",
                             detail={"reason": reason})
    if right_pin and item.priority > 0:
        item.priority = 0
        item.summary = f"Call back {who}: the right PIN was refused from {phone} ({_WHY[reason]})"
    return target is not None


def passed(uow: UnitOfWork, precinct: Precinct, phone: str, own_phone: bool = False, **detail: Any) -> None:
    """The right PIN: logged. From the registered phone it ends the precinct's slow-down; from any
    other phone it takes the slowed precinct's turn like any try."""
    s, cfg = uow.session, uow.config
    chain.record(s, "pin_checked", precinct=precinct.code, phone=phone, ok=True, **detail)
    if own_phone:
        _clear_slowdown(uow, precinct, "The chair gave the right PIN from the registered phone.")
    else:
        limits.precinct_tried(s, precinct_key(precinct.code), wrong=False, limit=cfg.pin_max_failures,
                              window_seconds=cfg.pin_lockout_seconds, gap_seconds=SLOW_GAP_SECONDS)


def missed(uow: UnitOfWork, precinct: Precinct, phone: str, own_phone: bool = False, via: str = "",
           **detail: Any) -> Miss:
    """A wrong PIN: logged, and counted against the phone; from any phone but the registered one
    also against the precinct (which slows at the limit: staff get one item for it) and the global
    budget (which pauses when spent: staff get one item). When it locks the phone, the way through
    is opened at once (see `refused`). `via` names the channel in the items ("voice")."""
    s, cfg = uow.session, uow.config
    chain.record(s, "pin_checked", precinct=precinct.code, phone=phone, ok=False, **detail)
    tally = limits.hit(s, phone_key(phone), limit=cfg.pin_max_failures,
                       window_seconds=cfg.pin_lockout_seconds, lock_seconds=cfg.pin_lockout_seconds)
    suffix = f" ({via})" if via else ""
    if not own_phone:
        slowing = limits.precinct_tried(s, precinct_key(precinct.code), wrong=True,
                                        limit=cfg.pin_max_failures, window_seconds=cfg.pin_lockout_seconds,
                                        gap_seconds=SLOW_GAP_SECONDS)
        if slowing.began:
            backlog.open_item(s, "pin_lockout", precinct_id=precinct.id, phone=phone,
                              dedupe_key=slowdown_key(precinct.code),
                              summary=f"{precinct.code}: PIN tries slowed to one per "
                                      f"{SLOW_GAP_SECONDS // 60} minutes after wrong PINs, latest from "
                                      f"{phone}{suffix}")
        paused_until = limits.spend(s, GLOBAL, limit=cfg.pin_failures_per_hour_global,
                                    window_seconds=BUDGET_WINDOW_SECONDS)
        if paused_until:
            backlog.open_item(s, "pin_lockout", dedupe_key=GUESSING_KEY,
                              summary=f"PIN guessing under way: {cfg.pin_failures_per_hour_global} wrong "
                                      "PINs within an hour. PIN tries from unregistered phones are paused "
                                      f"until {paused_until:%H:%M} UTC; registered phones are not affected.")
            chain.record(s, "pin_paused", until=paused_until)
    if tally.locked_until:
        refused(uow, precinct, phone, PHONE, right_pin=False, **detail)
        return Miss(True, 0)
    return Miss(False, cfg.pin_max_failures - tally.count)


def _clear_slowdown(uow: UnitOfWork, precinct: Precinct, note: str) -> None:
    """End the precinct's slow-down and close its item (the chair got through)."""
    limits.clear(uow.session, precinct_key(precinct.code))
    backlog.auto_resolve(uow.session, slowdown_key(precinct.code), note)


def slowdown_of(item: BacklogItem) -> str | None:
    """What clearing this item's PIN slow-down ends: "precinct", "pause", or None for other items."""
    if item.kind != "pin_lockout":
        return None
    if item.dedupe_key == GUESSING_KEY:
        return "pause"
    return "precinct" if item.precinct_id else None


def clear(uow: UnitOfWork, precinct: Precinct, actor: str, **detail: Any) -> bool:
    """Staff end a precinct's PIN slow-down (logged, with who did it); whether one was on."""
    s, cfg = uow.session, uow.config
    was = limits.precinct_slowed(s, precinct_key(precinct.code), limit=cfg.pin_max_failures,
                        window_seconds=cfg.pin_lockout_seconds)
    limits.clear(s, precinct_key(precinct.code))
    chain.record(s, "pin_slowdown_cleared", precinct=precinct.code, actor=actor, was_slowed=was, **detail)
    return was


def clear_pause(uow: UnitOfWork, actor: str, **detail: Any) -> bool:
    """Staff end the statewide pause of PIN tries (logged, with who did it); whether one was on."""
    s = uow.session
    was = limits.locked_until(s, GLOBAL) is not None
    limits.clear(s, GLOBAL)
    chain.record(s, "pin_pause_cleared", actor=actor, was_paused=was, **detail)
    return was
