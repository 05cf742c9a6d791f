"""The results desk by phone: two queues, honest waits, call-backs, voicemail, the staff line.

Chairs (a registered caller ID, or the right PIN keyed in this call) wait in one Twilio
queue and everyone else in another; staff always take the oldest chair first, so a flood
of unknown callers can lengthen only its own queue. Twilio reports each waiting caller's
position; Redis keeps who is waiting, when recent callers were answered and how long they
had waited, from which the estimate is made.
"""
from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Mapping
from typing import cast

from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.domain import ivr, verification
from hotline.domain.ivr import NOTICES, SAYINGS
from hotline.domain.model import Candidate
from hotline.adapters.models import BacklogItem, StaffUser
from hotline.runtime import Runtime
from hotline.services.records import backlog, limits, roster
from hotline.services.log import chain as vlog
from hotline.services.voice.call_state import BadKeys, CallState, load

logger = logging.getLogger(__name__)

CHAIRS, OTHERS = "hotline-chairs", "hotline-callers"
WAITING = "hotline:desk:waiting:{}"  # zset CallSid -> time joined
BRIDGES = "hotline:desk:bridges"  # zset CallSid -> time a staff member took the call
WAITS = "hotline:desk:waits"  # list of the latest waits in seconds, newest first
RECENT_WAITS = 20
STALE_WAIT = 3 * 3600  # nobody holds for three hours; such an entry is a missed "left" webhook


def allow_unknown(rt: Runtime, s: Session, caller: str) -> bool:
    """Count a call from a number not on the roster; False once it calls too often this hour."""
    if s.scalar(select(StaffUser.id).where(StaffUser.phone == caller, StaffUser.active.is_(True))):
        return True  # staff calling in to take calls are not pranksters
    key = f"hotline:calls:{caller}"
    n = int(cast(int, rt.redis.incr(key)))
    if n == 1:
        rt.redis.expire(key, 3600)
    limit = rt.config.unknown_calls_per_hour
    if n == limit + 1:  # log the flood once an hour, not once a call
        vlog.record(s, "call_flood_limited", phone=caller, calls_this_hour=n)
        backlog.open_item(s, "unknown_sender", phone=caller, dedupe_key=backlog.unknown_sender_key(caller),
                          summary=f"Repeated calls from unregistered number {caller}",
                          detail={"calls_per_hour_limit": limit})
    return n <= limit


def join(rt: Runtime, call: CallState, notice: str = "") -> ivr.Reply:
    """Put the caller in the chairs' queue or the others' queue."""
    queue = CHAIRS if call.chair else OTHERS
    try:
        now, pipe = time.time(), rt.redis.pipeline()
        pipe.zadd(WAITING.format(queue), {call.sid: now}, nx=True)
        # Twilio always reports a caller leaving; this only clears what an outage left behind.
        pipe.zremrangebyscore(WAITING.format(queue), 0, now - STALE_WAIT)
        pipe.execute()
    except RedisError:
        logger.warning("could not track %s in %s; the caller is queued anyway", call.sid, queue)
    call.queue, call.callback_wanted = queue, False
    call.go("desk")
    says = tuple(t for t in (notice or call.notice, SAYINGS["desk_join"]) if t)
    call.notice = ""
    return ivr.Reply(says, enqueue=queue)


def _size(rt: Runtime, queue: str) -> int:
    return int(cast(int, rt.redis.zcard(WAITING.format(queue))))


def _oldest(rt: Runtime, queue: str) -> tuple[str, float] | None:
    rows = cast("list[tuple[bytes, float]]", rt.redis.zrange(WAITING.format(queue), 0, 0, withscores=True))
    return (rows[0][0].decode(), float(rows[0][1])) if rows else None


def _untrack(rt: Runtime, sid: str) -> None:
    pipe = rt.redis.pipeline()
    for queue in (CHAIRS, OTHERS):
        pipe.zrem(WAITING.format(queue), sid)
    pipe.execute()


def form_int(form: Mapping[str, str], name: str) -> int:
    """A whole-number parameter Twilio sent (QueuePosition, QueueTime, ...), 0 if absent or odd."""
    try:
        return max(0, int(form.get(name) or 0))
    except ValueError:
        return 0


def wait(rt: Runtime, call: CallState, form: Mapping[str, str]) -> ivr.Reply:
    """What a waiting caller hears between music: position, estimate, the call-back offer."""
    chair = call.queue == CHAIRS if call.queue else call.chair
    now = time.time()
    ahead = 0 if chair else _size(rt, CHAIRS)
    position = (form_int(form, "QueuePosition") or 1) + ahead
    answered = cast("list[tuple[bytes, float]]", rt.redis.zrangebyscore(BRIDGES, now - 3600, now, withscores=True))
    bridges = [float(score) for _, score in answered]
    waits = [float(w) for w in cast("list[bytes]", rt.redis.lrange(WAITS, 0, RECENT_WAITS - 1))]
    estimate = ivr.estimate_wait(position, bridges, waits, now)
    limit = rt.config.queue_callback_after_seconds
    over = (estimate is not None and estimate > limit) or form_int(form, "QueueTime") > limit
    text = ivr.wait_message(position, estimate, chair=chair, chairs_ahead=ahead, over_limit=over,
                            limit_seconds=limit)
    # No post on silence: the wait document just ends and Twilio asks for it again.
    return ivr.Reply((text,), ask=ivr.Ask("desk_hold", num_digits=1, timeout=2, post_empty=False),
                     music=True)


def hold_key(call: CallState, keys: str) -> ivr.Reply:
    """A key pressed while waiting: 1 leaves the queue for a call-back."""
    if keys.strip() == "1":
        call.callback_wanted = True
        return ivr.Reply((SAYINGS["leaving"],), leave=True)
    return ivr.Reply((SAYINGS["still_waiting"],))


def left(rt: Runtime, call: CallState, form: Mapping[str, str]) -> ivr.Reply | None:
    """The caller left the queue; None means: prompt the call's current step."""
    _untrack(rt, call.sid)
    result = form.get("QueueResult", "")
    if result == "leave":
        if call.callback_wanted:
            offer_callback(call)
        else:
            call.go("menu")
        return None
    if result in ("queue-full", "error", "system-error"):
        offer_callback(call, NOTICES["desk_unavailable"])
        return None
    if result == "bridged":
        return ivr.Reply(hangup=True)  # the talk with staff is over
    return ivr.Reply()  # hung up or moved elsewhere: nobody is listening


def connect(rt: Runtime, call: CallState, form: Mapping[str, str]) -> ivr.Reply:
    """Staff took this caller: note the wait for future estimates, tell the caller."""
    now = time.time()
    pipe = rt.redis.pipeline()
    pipe.zadd(BRIDGES, {call.sid: now})
    pipe.zremrangebyscore(BRIDGES, 0, now - 3600)
    pipe.lpush(WAITS, form_int(form, "QueueTime"))
    pipe.ltrim(WAITS, 0, RECENT_WAITS - 1)
    pipe.execute()
    _untrack(rt, call.sid)
    return ivr.Reply((SAYINGS["connecting"],))


def offer_callback(call: CallState, notice: str = "") -> None:
    """Ask to confirm the number to call back: the caller ID if it is a real number."""
    call.callback_number = call.callback_number or verification.normalize_phone(call.caller)
    call.go("callback" if call.callback_number else "callback_number", notice)


def callback(rt: Runtime, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    """1 books the call-back to the number read out; 2 asks for another number."""
    if keys == "2":
        call.go("callback_number")
        return None
    if keys != "1" or not call.callback_number:
        raise BadKeys("invalid")
    return _book(rt, call, call.callback_number)


def callback_number(rt: Runtime, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    """A 10-digit number keyed for the call-back; read back for confirmation."""
    number = verification.normalize_phone(keys)
    if number is None:
        raise BadKeys("bad_number", keys=ivr.spoken_digits(keys) or "that")
    call.callback_number = number
    call.go("callback")
    return None


def _book(rt: Runtime, call: CallState, number: str) -> ivr.Reply:
    with rt.db.transaction() as uow:
        s = uow.session
        code = call.precinct or (call.registered[0] if call.registered else None)
        precinct = roster.precinct_by_code(s, code) if code else None
        # Chairs' call-backs outrank everything; unknown callers' rank with unknown senders.
        priority = backlog.PRIORITY["callback_request" if call.chair else "unknown_sender"]
        who = f"the chair of {precinct.code}" if call.chair and precinct else "an unregistered caller"
        item = backlog.open_item(s, "callback_request", priority=priority, phone=number,
                                 precinct_id=precinct.id if precinct else None,
                                 dedupe_key=f"callback:{number}",
                                 summary=f"Call back {who} at {number}",
                                 detail={"call_sid": call.sid, "caller": call.caller, "chair": call.chair,
                                         "asked_while_waiting": call.callback_wanted})
        ahead = s.scalar(select(func.count()).select_from(BacklogItem).where(
            BacklogItem.kind == "callback_request", BacklogItem.resolved_at.is_(None),
            BacklogItem.priority <= item.priority, BacklogItem.id < item.id)) or 0
    call.go("done")
    return ivr.Reply((ivr.callback_booked(number[-4:], ahead),), hangup=True)


def voicemail(call: CallState) -> ivr.Reply:
    """Record a message; if nothing is said, the call returns to the menu."""
    call.go("menu", NOTICES["no_message"])  # heard only if the recording comes back empty
    return ivr.Reply((ivr.PROMPTS["message"],), record=True, redirect="resume")


def message_saved(rt: Runtime, call: CallState, form: Mapping[str, str]) -> ivr.Reply:
    """The recording exists: it becomes a backlog item with the caller and precinct."""
    with rt.db.transaction() as uow:
        code = call.precinct or (call.registered[0] if call.registered else None)
        precinct = roster.precinct_by_code(uow.session, code) if code else None
        item = backlog.open_item(uow.session, "voicemail", phone=call.caller,
                                 precinct_id=precinct.id if precinct else None,
                                 summary=f"Voicemail from {call.caller}"
                                         + (f" ({precinct.code})" if precinct else ""),
                                 detail={"recording_url": form.get("RecordingUrl", ""),
                                         "duration_seconds": form_int(form, "RecordingDuration"),
                                         "call_sid": call.sid, "chair": call.chair})
        call.voicemail_item = item.id
    call.notice = ""
    call.go("done")
    return ivr.Reply((SAYINGS["message_saved"],), hangup=True)


def transcript(rt: Runtime, sid: str, form: Mapping[str, str]) -> bool:
    """Add Twilio's transcription to the voicemail's backlog item; False if the item is unknown."""
    call = load(rt, sid)
    if call is None or call.voicemail_item is None:
        logger.warning("transcription for call %s has no voicemail item", sid)
        return False
    with rt.db.transaction() as uow:
        item = uow.session.get(BacklogItem, call.voicemail_item)
        if item is None:
            return False
        item.detail = {**item.detail, "transcription": form.get("TranscriptionText", ""),
                       "transcription_status": form.get("TranscriptionStatus", "")}
    return True


def staff_pin(rt: Runtime, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    """The staff PIN, limited per phone like chair PINs, opens the staff line."""
    pin, key = rt.config.staff_line_pin, f"staffpin:phone:{call.caller}"
    if not pin:
        return ivr.Reply((SAYINGS["staff_off"],), hangup=True)
    with rt.db.transaction() as uow:
        s = uow.session
        if limits.locked_until(s, key):
            return ivr.Reply((SAYINGS["staff_locked"],), hangup=True)
        ok = hmac.compare_digest(keys.encode(), pin.encode())
        vlog.record(s, "staff_line_pin", phone=call.caller, ok=ok, call_sid=call.sid)
        if not ok:
            tally = limits.hit(s, key, limit=rt.config.pin_max_failures,
                               window_seconds=rt.config.pin_lockout_seconds,
                               lock_seconds=rt.config.pin_lockout_seconds)
            if tally.locked_until:
                return ivr.Reply((SAYINGS["staff_locked"],), hangup=True)
            call.notice = SAYINGS["staff_wrong"]
            return None
    call.staff = True
    return next_caller(rt, call)


def staff_next(rt: Runtime, call: CallState, keys: str, _c: list[Candidate]) -> ivr.Reply | None:
    """1 takes the next caller."""
    if not call.staff:
        call.go("staff")
        return None
    if keys == "1":
        return next_caller(rt, call)
    raise BadKeys("invalid")


def next_caller(rt: Runtime, call: CallState) -> ivr.Reply | None:
    """Bridge the staff member to the oldest chair, or else the oldest other caller."""
    chairs, others = _oldest(rt, CHAIRS), _oldest(rt, OTHERS)
    if chairs is not None:
        queue, (sid, joined) = CHAIRS, chairs
    elif others is not None:
        queue, (sid, joined) = OTHERS, others
    else:
        call.go("staff_next", SAYINGS["nobody_waiting"])
        return None
    waiting = load(rt, sid)
    precinct = (waiting.precinct or (waiting.registered[0] if waiting.registered else None)) if waiting else None
    text = ivr.next_caller(precinct if queue == CHAIRS else None, time.time() - joined,
                           _size(rt, CHAIRS), _size(rt, OTHERS))
    logger.info("staff call %s takes the next caller from %s", call.sid, queue)
    call.go("staff_call")
    return ivr.Reply((text,), dial_queue=queue)


def staff_done(call: CallState) -> None:
    """The staff member's conversation ended: offer the next caller."""
    call.go("staff_next" if call.staff else "staff")
