"""The results desk's line: callers holding in Twilio's queues and call-backs that keep their place.

A caller who takes a call-back instead of holding keeps the time they joined the queue. Staff
on the staff line are offered whoever is first in line, live caller or call-back alike: chairs
first, then by the time each joined. Every caller, holding or waiting for a call-back, hears
their place in that one line and the same estimate of the wait, made from how fast staff
answered lately.

Live callers are tracked in Redis (who waits since when); call-backs are the open
`callback_request` backlog items nobody has claimed, so a call-back staff resolved in the
console leaves the line at once.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.adapters.models import BacklogItem, utcnow
from hotline.domain import ivr
from hotline.services.records import backlog

CHAIRS, OTHERS = "hotline-chairs", "hotline-callers"
WAITING = "hotline:desk:waiting:{}"  # zset CallSid -> time joined
BRIDGES = "hotline:desk:bridges"  # zset CallSid (or call-back) -> time a staff member took the call
WAITS = "hotline:desk:waits"  # list of the latest waits in seconds, newest first
RECENT_WAITS = 20
JOINED = "queue_joined_at"  # a call-back item's detail: when its caller joined the queue (Unix time)


@dataclass(frozen=True)
class Callback:
    """A call-back waiting its turn."""

    item_id: int
    chair: bool
    joined: float
    phone: str
    precinct: str | None


@dataclass(frozen=True)
class Next:
    """Whoever is first in line: a live caller in `queue` (sid) or a call-back."""

    joined: float
    chair: bool
    queue: str | None = None
    sid: str | None = None
    callback: Callback | None = None


def joined_at(item: BacklogItem) -> float:
    """When the call-back's caller joined the line: the time kept from the queue, else when it was asked."""
    kept = (item.detail or {}).get(JOINED)
    if isinstance(kept, (int, float)):
        return float(kept)
    return item.created_at.timestamp()


def callbacks(session: Session, now: datetime | None = None) -> list[Callback]:
    """Open call-backs nobody is working on (a live claim means someone is calling already)."""
    now = now or utcnow()
    rows = session.execute(select(BacklogItem).where(
        BacklogItem.kind == "callback_request", BacklogItem.resolved_at.is_(None))).unique().scalars()
    return [Callback(item.id, item.priority <= backlog.PRIORITY["callback_request"], joined_at(item),
                     item.phone or "", item.precinct.code if item.precinct else None)
            for item in rows
            if item.phone and not (item.claimed_by and item.claim_expires_at and item.claim_expires_at > now)]


def size(redis: Redis, queue: str) -> int:
    """How many callers hold in `queue`."""
    return int(cast(int, redis.zcard(WAITING.format(queue))))


def oldest(redis: Redis, queue: str) -> tuple[str, float] | None:
    """The CallSid that has held longest in `queue` and when it joined; None when nobody holds."""
    rows = cast("list[tuple[bytes, float]]", redis.zrange(WAITING.format(queue), 0, 0, withscores=True))
    return (rows[0][0].decode(), float(rows[0][1])) if rows else None


def place(redis: Redis, waiting: list[Callback], *, chair: bool, joined: float,
          live_position: int | None = None) -> tuple[int, int]:
    """(Position in the one line, chairs ahead) for a caller who joined at `joined`.

    `live_position` is Twilio's QueuePosition for a caller holding in the queue; without it
    (a call-back) the callers holding who joined earlier are counted from Redis.
    """
    own = CHAIRS if chair else OTHERS
    if live_position:
        live_ahead = live_position - 1
    else:
        live_ahead = int(cast(int, redis.zcount(WAITING.format(own), "-inf", f"({joined}")))
    callbacks_ahead = sum(1 for c in waiting if c.chair == chair and c.joined < joined)
    chairs_ahead = 0 if chair else size(redis, CHAIRS) + sum(1 for c in waiting if c.chair)
    return live_ahead + callbacks_ahead + 1 + chairs_ahead, chairs_ahead


def estimate(redis: Redis, position: int, now: float | None = None) -> float | None:
    """Seconds until the caller at `position` is answered, from how fast staff answered lately."""
    now = time.time() if now is None else now
    answered = cast("list[tuple[bytes, float]]", redis.zrangebyscore(BRIDGES, now - 3600, now, withscores=True))
    waits = [float(w) for w in cast("list[bytes]", redis.lrange(WAITS, 0, RECENT_WAITS - 1))]
    return ivr.estimate_wait(position, [float(score) for _, score in answered], waits, now)


def answered(redis: Redis, who: str, waited: float) -> None:
    """A staff member took a caller (live or called back): note it for future estimates."""
    now = time.time()
    pipe = redis.pipeline()
    pipe.zadd(BRIDGES, {who: now})
    pipe.zremrangebyscore(BRIDGES, 0, now - 3600)
    pipe.lpush(WAITS, int(max(0.0, waited)))
    pipe.ltrim(WAITS, 0, RECENT_WAITS - 1)
    pipe.execute()


def first(redis: Redis, waiting: list[Callback]) -> Next | None:
    """Whoever is first in line: chairs before everyone else, then whoever joined first."""
    found: list[Next] = []
    for queue in (CHAIRS, OTHERS):
        live = oldest(redis, queue)
        if live is not None:
            found.append(Next(joined=live[1], chair=queue == CHAIRS, queue=queue, sid=live[0]))
    found += [Next(joined=c.joined, chair=c.chair, callback=c) for c in waiting]
    return min(found, key=lambda n: (not n.chair, n.joined), default=None)
