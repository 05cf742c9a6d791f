"""Which queue a new text goes to, and when a number has sent too many to process them all."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from redis import Redis
from redis.commands.core import Script
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.adapters.models import ChairPhone, ObserverPhone
from hotline.adapters.queues import UNKNOWN_LANE_KEY
from hotline.adapters.sending_rate import SendingRate
from hotline.domain.languages import speaking
from hotline.domain.texts import mentions_pin
from hotline.domain.wording import sms as replies
from hotline.services.log import chain
from hotline.services.records import backlog, outbox, roster
from hotline.services.sms.inbox import PARKED_KEY
from hotline.services.units import Units

logger = logging.getLogger(__name__)

REGISTERED_TTL = 30.0  # seconds a web process trusts its cached set of registered phones


@dataclass(frozen=True)
class Admission:
    registered: bool
    throttled: bool
    first_throttled: bool  # this text crossed the limit: staff should hear about it once
    # Registered phones, and texts that carry a PIN (a chair on a borrowed phone), go in the
    # chairs' lane; everything else waits in the paced lane for unknown numbers.
    chairs_lane: bool = True
    parked: bool = False  # kept in Redis for a bulk move into the database (inbox.parked_record)


def registered_phones(units: Units) -> frozenset[str]:
    """Every phone on the roster, chairs' and observers' (cached briefly per process)."""
    def load() -> frozenset[str]:
        with units.reading() as session:
            return frozenset(session.execute(select(ChairPhone.phone).union(select(ObserverPhone.phone))).scalars())
    return units.cached("registered_phones", REGISTERED_TTL, load)


def in_chairs_lane(units: Units, phone: str, body: str) -> bool:
    """Registered phones, and texts that carry a PIN (a chair on a borrowed phone)."""
    return phone in registered_phones(units) or mentions_pin(body)


# Count the text and park it when a parked record was given and either the text is over its
# number's allowance (T: kept, not acted on) or, for the unknown numbers' lane, that lane's queue
# already holds more than it can start for a while (N: handled later); the prefixes are
# inbox.PARKED_THROTTLED and PARKED_UNHANDLED. One round trip for what a flood sends: at 10x the
# chairs' rate every round trip and every database write a webhook makes is one more wait for a
# CPU or the write lock on a busy machine, chairs' webhooks included.
_COUNT_AND_PARK = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if ARGV[3] ~= '' then
  if count > tonumber(ARGV[1]) then
    redis.call('RPUSH', KEYS[2], 'T' .. ARGV[3])
    return {count, 1}
  end
  local backed_up = tonumber(ARGV[4])
  if backed_up > 0 and redis.call('LLEN', KEYS[3]) >= backed_up then
    redis.call('RPUSH', KEYS[2], 'N' .. ARGV[3])
    return {count, 1}
  end
end
return {count, 0}
"""
# The unknown numbers' lane counts as backed up when its queue holds this many seconds of its
# processing budget (config.unknown_processing_per_second).
BACKED_UP_SECONDS = 10.0

_count_and_park: list[Script] = []  # built once: a Script works out its SHA when made


def _script(redis: Redis) -> Script:
    """The counting script (redis-py loads it again when Redis has forgotten it, e.g. restarted)."""
    if not _count_and_park:
        _count_and_park.append(redis.register_script(_COUNT_AND_PARK))
    return _count_and_park[0]


def admit(units: Units, redis: Redis, phone: str, body: str = "",
          park: Callable[[], str] | None = None) -> Admission:
    """Count a text from a number not on the roster against its hourly allowance (fails open if
    Redis is down).

    `park`: builds the text's parked record (inbox.parked_record). The text is then kept in Redis
    in the same round trip when it is over the allowance, or when it belongs in the unknown
    numbers' lane and that lane is backed up (a flood).

    Registered phones are let in without a round trip: their texts are counted by the job that
    handles them (inbound.SENT_THIS_HOUR). Every Redis wait in a chair's webhook is one more
    chance to queue for a CPU behind a flood.
    """
    if phone in registered_phones(units):
        return Admission(registered=True, throttled=False, first_throttled=False)
    lane = mentions_pin(body)  # a chair on a borrowed phone
    cfg = units.config
    limit = cfg.texts_per_hour_with_pin if lane else cfg.texts_per_hour_unknown
    key = f"hotline:inrate:{phone}:{int(time.time() // 3600)}"
    record = park() if park is not None else ""
    backed_up = 0 if lane else max(1, int(BACKED_UP_SECONDS * cfg.unknown_processing_per_second))
    try:
        count, parked = _script(redis)(keys=[key, PARKED_KEY, UNKNOWN_LANE_KEY],
                                       args=[limit, 3700, record, backed_up], client=redis)
    except RedisError as exc:
        logger.warning("rate counter unavailable, admitting %s: %s", phone[-4:], exc)
        return Admission(False, False, False, lane)
    return Admission(False, count > limit, count == limit + 1, lane, parked=bool(parked))


def within_unknown_budget(units: Units, redis: Redis) -> bool:
    """Whether the shared per-second budget for the unknown numbers' lane has room now."""
    cfg = units.config
    # The sweeper brings this lane's waiting texts back a sweep's worth at a time; a bucket that
    # holds a whole sweep's worth lets them all through, so the lane runs at its rate.
    burst = max(1.0, cfg.unknown_processing_per_second * cfg.sweep_interval_seconds)
    try:
        return SendingRate(redis, cfg.unknown_processing_per_second, burst).try_acquire(
            "unknown-processing") == 0
    except RedisError:
        return True


def note_throttled(units: Units, phone: str) -> None:
    """Staff hear once per number and hour; a registered chair is told a person will call."""
    known = phone in registered_phones(units)
    limit = units.config.texts_per_hour_registered if known else units.config.texts_per_hour_unknown
    with units.begin() as uow:
        chain.record(uow.session, "sender_throttled", phone=phone, limit=limit, registered=known)
        over = (f"more than {limit} texts in an hour: later texts are stored but not processed until "
                "the hour is over")
        if not known:
            _note_on_unknown_item(uow.session, phone, over)
            return
        backlog.open_item(uow.session, "unparsed_text", phone=phone, dedupe_key=f"throttled:{phone}",
                          summary=f"{phone} sent {over}")
        with speaking(roster.language_of(roster.precincts_for_phone(uow.session, phone))):  # the chair's language
            outbox.queue_sms(uow, phone, replies.THROTTLED, "throttled", priority=0)


def _note_on_unknown_item(session: Session, phone: str, over: str) -> None:
    """Add the throttling to the number's one unknown-sender item (opening it if need be).

    A prank flood from 400 numbers is then 400 items for staff, one per number, not 800; each
    number still gets its own, since one of them may be a chair on a borrowed phone.
    """
    key = backlog.unknown_sender_key(phone)
    item = session.execute(backlog.OPEN_BY_KEY, {"key": key}).scalars().first()
    if item is None:  # its texts wait in the unknown numbers' lane: none processed yet
        backlog.open_item(session, "unknown_sender", phone=phone, dedupe_key=key,
                          summary=f"Texts from unregistered number {phone}, {over}")
    elif over not in item.summary:
        item.summary = f"{item.summary}, {over}"
