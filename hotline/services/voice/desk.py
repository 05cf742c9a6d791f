"""The results desk by phone: two queues, honest waits, and a door that floods cannot jam.

Chairs (a registered caller ID, or the right PIN keyed in this call) wait in one Twilio
queue and everyone else in another; staff always take the oldest chair first (`staff`), so a
flood of unknown callers can lengthen only its own queue. A caller who takes a call-back keeps
the time they joined (`line`). Twilio reports each waiting caller's position; Redis keeps who
is waiting, when recent callers were answered and how long they had waited, from which the
estimate is made.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import cast

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from hotline.adapters.models import StaffUser
from hotline.domain import ivr
from hotline.domain.wording import voice as wording
from hotline.domain.wording.voice import NOTICES, SAYINGS
from hotline.services.log import chain
from hotline.services.records import backlog, roster
from hotline.services.units import UnitOfWork, Units
from hotline.services.voice import followup, line
from hotline.services.voice.call_state import CallState, form_int

logger = logging.getLogger(__name__)

CHAIRS, OTHERS = line.CHAIRS, line.OTHERS
WAITING, BRIDGES, WAITS, RECENT_WAITS = line.WAITING, line.BRIDGES, line.WAITS, line.RECENT_WAITS
STALE_WAIT = 3 * 3600  # nobody holds for three hours; such an entry is a missed "left" webhook


def allow_unknown(uow: UnitOfWork, redis: Redis, caller: str) -> bool:
    """Count a call from a number not on the roster; False once it calls too often this hour."""
    s = uow.session
    if s.scalar(select(StaffUser.id).where(StaffUser.phone == caller, StaffUser.active.is_(True))):
        return True  # staff calling in to take calls are not pranksters
    key = f"hotline:calls:{caller}"
    n = int(cast(int, redis.incr(key)))
    if n == 1:
        redis.expire(key, 3600)
    limit = uow.config.unknown_calls_per_hour
    if n == limit + 1:  # log the flood once an hour, not once a call
        chain.record(s, "call_flood_limited", phone=caller, calls_this_hour=n)
        backlog.open_item(s, "unknown_sender", phone=caller, dedupe_key=backlog.unknown_sender_key(caller),
                          summary=f"Repeated calls from unregistered number {caller}",
                          detail={"calls_per_hour_limit": limit})
    return n <= limit


def fallback_queue(units: Units, caller: str) -> str:
    """The queue for a caller when the desk itself failed (Redis down): chosen by the roster alone."""
    with units.reading() as session:
        return CHAIRS if roster.precincts_for_phone(session, caller) else OTHERS


def join(redis: Redis, call: CallState, notice: str = "") -> ivr.Reply:
    """Put the caller in the chairs' queue or the others' queue."""
    queue = CHAIRS if call.chair else OTHERS
    now = time.time()
    call.joined_at = call.joined_at or now  # back in line after trouble: the place is kept
    try:
        pipe = redis.pipeline()
        pipe.zadd(WAITING.format(queue), {call.sid: call.joined_at}, nx=True)
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


size, oldest = line.size, line.oldest


def _untrack(redis: Redis, sid: str) -> None:
    pipe = redis.pipeline()
    for queue in (CHAIRS, OTHERS):
        pipe.zrem(WAITING.format(queue), sid)
    pipe.execute()


def wait(units: Units, redis: Redis, call: CallState, form: Mapping[str, str]) -> ivr.Reply:
    """What a waiting caller hears between music: position, estimate, the call-back offer."""
    chair = call.queue == CHAIRS if call.queue else call.chair
    now = time.time()
    joined = call.joined_at or now - form_int(form, "QueueTime")
    with units.reading() as session:
        waiting = line.callbacks(session)
    # Call-backs keep their place: those who joined earlier are ahead of this caller too.
    position, ahead = line.place(redis, waiting, chair=chair, joined=joined,
                                 live_position=form_int(form, "QueuePosition") or 1)
    estimate = line.estimate(redis, position, now)
    limit = units.config.queue_callback_after_seconds
    over = (estimate is not None and estimate > limit) or form_int(form, "QueueTime") > limit
    text = wording.wait_message(position, estimate, chair=chair, chairs_ahead=ahead, over_limit=over,
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


def left(redis: Redis, call: CallState, form: Mapping[str, str]) -> ivr.Reply | None:
    """The caller left the queue; None means: prompt the call's current step."""
    _untrack(redis, call.sid)
    result = form.get("QueueResult", "")
    if result == "leave":
        if call.callback_wanted:
            followup.offer_callback(call)  # the call keeps `joined_at`: the call-back keeps the place
        else:
            call.joined_at = None
            call.go("menu")
        return None
    if result in ("queue-full", "error", "system-error"):
        followup.offer_callback(call, NOTICES["desk_unavailable"])
        return None
    if result == "bridged":
        call.joined_at = None
        return ivr.Reply(hangup=True)  # the talk with staff is over
    return ivr.Reply()  # hung up or moved elsewhere: nobody is listening


def connect(redis: Redis, call: CallState, form: Mapping[str, str]) -> ivr.Reply:
    """Staff took this caller: note the wait for future estimates, tell the caller."""
    line.answered(redis, call.sid, form_int(form, "QueueTime"))
    _untrack(redis, call.sid)
    return ivr.Reply((SAYINGS["connecting"],))
