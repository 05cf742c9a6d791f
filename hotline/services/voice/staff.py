"""The staff line: a PIN, then one waiting caller after another, the oldest chair first."""
from __future__ import annotations

import hmac
import logging
import time

from redis import Redis

from hotline.domain import ivr
from hotline.domain.model import Candidate
from hotline.domain.wording import voice as wording
from hotline.domain.wording.voice import SAYINGS
from hotline.services.log import chain
from hotline.services.records import limits
from hotline.services.units import Units
from hotline.services.voice import desk
from hotline.services.voice.call_state import BadKeys, CallState, load

logger = logging.getLogger(__name__)


def staff_pin(units: Units, redis: Redis, call: CallState, keys: str,
              _c: list[Candidate]) -> ivr.Reply | None:
    """The staff PIN, limited per phone like chair PINs, opens the staff line."""
    cfg = units.config
    pin, key = cfg.staff_line_pin, f"staffpin:phone:{call.caller}"
    if not pin:
        return ivr.Reply((SAYINGS["staff_off"],), hangup=True)
    with units.begin() as uow:
        s = uow.session
        if limits.locked_until(s, key):
            return ivr.Reply((SAYINGS["staff_locked"],), hangup=True)
        ok = hmac.compare_digest(keys.encode(), pin.encode())
        chain.record(s, "staff_line_pin", phone=call.caller, ok=ok, call_sid=call.sid)
        if not ok:
            tally = limits.hit(s, key, limit=cfg.pin_max_failures, window_seconds=cfg.pin_lockout_seconds,
                               lock_seconds=cfg.pin_lockout_seconds)
            if tally.locked_until:
                return ivr.Reply((SAYINGS["staff_locked"],), hangup=True)
            call.notice = SAYINGS["staff_wrong"]
            return None
    call.staff = True
    return next_caller(redis, call)


def staff_next(_units: Units, redis: Redis, call: CallState, keys: str,
               _c: list[Candidate]) -> ivr.Reply | None:
    """1 takes the next caller."""
    if not call.staff:
        call.go("staff")
        return None
    if keys == "1":
        return next_caller(redis, call)
    raise BadKeys("invalid")


def next_caller(redis: Redis, call: CallState) -> ivr.Reply | None:
    """Bridge the staff member to the oldest chair, or else the oldest other caller."""
    chairs, others = desk.oldest(redis, desk.CHAIRS), desk.oldest(redis, desk.OTHERS)
    if chairs is not None:
        queue, (sid, joined) = desk.CHAIRS, chairs
    elif others is not None:
        queue, (sid, joined) = desk.OTHERS, others
    else:
        call.go("staff_next", SAYINGS["nobody_waiting"])
        return None
    waiting = load(redis, sid)
    precinct = waiting.precinct_or_own if waiting else None
    text = wording.next_caller(precinct if queue == desk.CHAIRS else None, time.time() - joined,
                               desk.size(redis, desk.CHAIRS), desk.size(redis, desk.OTHERS))
    logger.info("staff call %s takes the next caller from %s", call.sid, queue)
    call.go("staff_call")
    return ivr.Reply((text,), dial_queue=queue)


def staff_done(call: CallState) -> None:
    """The staff member's conversation ended: offer the next caller."""
    call.go("staff_next" if call.staff else "staff")
