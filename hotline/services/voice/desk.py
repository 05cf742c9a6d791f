"""The results desk by phone: two queues, honest waits, and a door that floods cannot jam.

Chairs (a registered caller ID, or the right PIN keyed in this call) wait in one Twilio
queue and everyone else in another; staff always take the oldest chair first (`staff`), so a
flood of unknown callers can lengthen only its own queue. Twilio reports each waiting caller's
position; Redis keeps who is waiting, when recent callers were answered and how long they
had waited, from which the estimate is made.
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
from hotline.services.voice import followup
from hotline.services.voice.call_state import CallState, form_int

logger = logging.getLogger(__name__)

CHAIRS, OTHERS = "hotline-chairs", "hotline-callers"
WAITING = "hotline:desk:waiting:{}"  # zset CallSid -> time joined
BRIDGES = "hotline:desk:bridges"  # zset CallSid -> time a staff member took the call
WAITS = "hotline:desk:waits"  # list of the latest waits in seconds, newest first
RECENT_WAITS = 20
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
    try:
        now, pipe = time.time(), redis.pipeline()
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


def size(redis: Redis, queue: str) -> int:
    """How many callers wait in `queue`."""
    return int(cast(int, redis.zcard(WAITING.format(queue))))


def oldest(redis: Redis, queue: str) -> tuple[str, float] | None:
    """The CallSid that has waited longest in `queue` and when it joined; None when nobody waits."""
    rows = cast("list[tuple[bytes, float]]", redis.zrange(WAITING.format(queue), 0, 0, withscores=True))
    return (rows[0][0].decode(), float(rows[0][1])) if rows else None


def _untrack(redis: Redis, sid: str) -> None:
    pipe = redis.pipeline()
    for queue in (CHAIRS, OTHERS):
        pipe.zrem(WAITING.format(queue), sid)
    pipe.execute()


def wait(units: Units, redis: Redis, call: CallState, form: Mapping[str, str]) -> ivr.Reply:
    """What a waiting caller hears between music: position, estimate, the call-back offer."""
    chair = call.queue == CHAIRS if call.queue else call.chair
    now = time.time()
    ahead = 0 if chair else size(redis, CHAIRS)
    position = (form_int(form, "QueuePosition") or 1) + ahead
    answered = cast("list[tuple[bytes, float]]",
                    redis.zrangebyscore(BRIDGES, now - 3600, now, withscores=True))
    bridges = [float(score) for _, score in answered]
    waits = [float(w) for w in cast("list[bytes]", redis.lrange(WAITS, 0, RECENT_WAITS - 1))]
    estimate = ivr.estimate_wait(position, bridges, waits, now)
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
            followup.offer_callback(call)
        else:
            call.go("menu")
        return None
    if result in ("queue-full", "error", "system-error"):
        followup.offer_callback(call, NOTICES["desk_unavailable"])
        return None
    if result == "bridged":
        return ivr.Reply(hangup=True)  # the talk with staff is over
    return ivr.Reply()  # hung up or moved elsewhere: nobody is listening


def connect(redis: Redis, call: CallState, form: Mapping[str, str]) -> ivr.Reply:
    """Staff took this caller: note the wait for future estimates, tell the caller."""
    now = time.time()
    pipe = redis.pipeline()
    pipe.zadd(BRIDGES, {call.sid: now})
    pipe.zremrangebyscore(BRIDGES, 0, now - 3600)
    pipe.lpush(WAITS, form_int(form, "QueueTime"))
    pipe.ltrim(WAITS, 0, RECENT_WAITS - 1)
    pipe.execute()
    _untrack(redis, call.sid)
    return ivr.Reply((SAYINGS["connecting"],))
