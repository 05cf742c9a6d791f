"""The staff line: a PIN, then one waiting caller after another, the oldest chair first.

Call-backs are in the same line: a caller who took a call-back while holding keeps the time they
joined, and when that time comes up the staff line dials them.
"""
from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Mapping

from redis import Redis

from hotline.adapters.models import BacklogItem, utcnow
from hotline.domain import ivr
from hotline.domain.model import Candidate
from hotline.domain.wording import voice as wording
from hotline.domain.wording.voice import SAYINGS
from hotline.services.console import claims
from hotline.services.log import chain
from hotline.services.records import limits
from hotline.services.units import Units
from hotline.services.voice import desk, line
from hotline.services.voice.call_state import BadKeys, CallState, load

logger = logging.getLogger(__name__)
MAX_TRIES = 10  # call-backs taken by someone else meanwhile, skipped before giving up for now


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
    return next_caller(units, redis, call)


def staff_next(units: Units, redis: Redis, call: CallState, keys: str,
               _c: list[Candidate]) -> ivr.Reply | None:
    """1 takes the next caller."""
    if not call.staff:
        call.go("staff")
        return None
    if keys == "1":
        return next_caller(units, redis, call)
    raise BadKeys("invalid")


def claimant(call: CallState) -> str:
    """Who holds a call-back's claim while the staff line dials it."""
    return f"staff line {call.caller}"[:80]


def next_caller(units: Units, redis: Redis, call: CallState) -> ivr.Reply | None:
    """Bridge the staff member to whoever is first in line: chairs first, then by the time each
    joined; a call-back at the front is dialled (and claimed, so nobody else calls it meanwhile)."""
    for _ in range(MAX_TRIES):
        with units.reading() as session:
            waiting = line.callbacks(session)
        first = line.first(redis, waiting)
        if first is None:
            call.go("staff_next", SAYINGS["nobody_waiting"])
            return None
        chairs = desk.size(redis, desk.CHAIRS) + sum(1 for c in waiting if c.chair)
        others = desk.size(redis, desk.OTHERS) + sum(1 for c in waiting if not c.chair)
        waited = time.time() - first.joined
        if first.callback is None:
            assert first.queue is not None and first.sid is not None
            held = load(redis, first.sid)
            precinct = held.precinct_or_own if held else None
            text = wording.next_caller(precinct if first.queue == desk.CHAIRS else None, waited, chairs, others)
            logger.info("staff call %s takes the next caller from %s", call.sid, first.queue)
            call.go("staff_call")
            return ivr.Reply((text,), dial_queue=first.queue)
        cb = first.callback
        if _claim_callback(units, call, cb.item_id, waited):
            line.answered(redis, f"callback:{cb.item_id}", waited)
            text = wording.next_callback(cb.precinct if cb.chair else None, cb.phone[-4:], waited,
                                         chairs - (1 if cb.chair else 0), others - (0 if cb.chair else 1))
            logger.info("staff call %s dials call-back item %s", call.sid, cb.item_id)
            call.dialling_callback = cb.item_id
            call.go("staff_call")
            return ivr.Reply((text,), dial_number=cb.phone)
        # Someone took it meanwhile (the console or another staff phone): on to the next.
    call.go("staff_next", SAYINGS["nobody_waiting"])
    return None


def _claim_callback(units: Units, call: CallState, item_id: int, waited: float) -> bool:
    with units.begin() as uow:
        if not claims.claim(uow.session, item_id, claimant(call), uow.config.claim_ttl_seconds):
            return False
        item = uow.session.get(BacklogItem, item_id)
        chain.record(uow.session, "callback_dialled", precinct=item.precinct.code if item and item.precinct else None,
                     phone=item.phone if item else None, actor=claimant(call), item_id=item_id,
                     call_sid=call.sid, waited_seconds=int(waited))
        return True


def staff_done(units: Units, call: CallState, form: Mapping[str, str]) -> None:
    """The staff member's conversation ended: settle a dialled call-back, offer the next caller.

    A call-back that was answered is resolved; one that was not keeps its place in line."""
    item_id, call.dialling_callback = call.dialling_callback, None
    if item_id is not None:
        answered = form.get("DialCallStatus", "") == "completed"
        with units.begin() as uow:
            item = uow.session.get(BacklogItem, item_id)
            if item is not None and item.resolved_at is None and item.claimed_by == claimant(call):
                code = item.precinct.code if item.precinct else None
                if answered:
                    note = "Called back from the staff line."
                    item.resolved_at, item.resolved_by = utcnow(), claimant(call)
                    item.resolution, item.note = "resolved", note
                    item.claimed_by = item.claim_expires_at = None
                    chain.record(uow.session, "backlog_resolved", precinct=code, phone=item.phone,
                                 actor=claimant(call), item_id=item.id, note=note)
                else:
                    item.claimed_by = item.claim_expires_at = None
                    chain.record(uow.session, "backlog_released", precinct=code, phone=item.phone,
                                 actor=claimant(call), item_id=item.id,
                                 dial_status=form.get("DialCallStatus", ""))
    call.go("staff_next" if call.staff else "staff")
