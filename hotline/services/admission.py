"""Which queue a new text goes to, and when a number has sent too many to process them all."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy import select

from hotline.models import ChairPhone
from hotline.domain.texts import mentions_pin
from hotline.runtime import Runtime
from hotline.sending_rate import SendingRate
from hotline.services import backlog, outbound
from hotline.services import log as vlog

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


def registered_phones(rt: Runtime) -> frozenset[str]:
    def load() -> frozenset[str]:
        with rt.db.reading() as session:
            return frozenset(session.execute(select(ChairPhone.phone)).scalars())
    return rt.cached("registered_phones", REGISTERED_TTL, load)


def in_chairs_lane(rt: Runtime, phone: str, body: str) -> bool:
    """Registered phones, and texts that carry a PIN (a chair on a borrowed phone)."""
    return phone in registered_phones(rt) or mentions_pin(body)


def admit(rt: Runtime, phone: str, body: str = "") -> Admission:
    """Count this text against the number's hourly allowance (fails open if Redis is down)."""
    registered = phone in registered_phones(rt)
    lane = in_chairs_lane(rt, phone, body)
    limit = (rt.config.texts_per_hour_registered if registered
             else rt.config.texts_per_hour_with_pin if lane else rt.config.texts_per_hour_unknown)
    key = f"hotline:inrate:{phone}:{int(time.time() // 3600)}"
    try:
        pipe = rt.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 3700)
        count = int(pipe.execute()[0])
    except RedisError as exc:
        logger.warning("rate counter unavailable, admitting %s: %s", phone[-4:], exc)
        return Admission(registered, False, False, lane)
    return Admission(registered, count > limit, count == limit + 1, lane)


def within_unknown_budget(rt: Runtime) -> bool:
    """Whether the shared per-second budget for the unknown numbers' lane has room now."""
    try:
        return SendingRate(rt.redis, rt.config.unknown_processing_per_second).try_acquire(
            "unknown-processing") == 0
    except RedisError:
        return True


def note_throttled(rt: Runtime, phone: str) -> None:
    """Staff hear once per number and hour; a registered chair is told a person will call."""
    known = phone in registered_phones(rt)
    limit = rt.config.texts_per_hour_registered if known else rt.config.texts_per_hour_unknown
    with rt.db.transaction() as uow:
        vlog.record(uow.session, "sender_throttled", phone=phone, limit=limit, registered=known)
        backlog.open_item(uow.session, "unparsed_text" if known else "unknown_sender", phone=phone,
                          dedupe_key=f"throttled:{phone}",
                          summary=f"{phone} sent more than {limit} texts in an hour; later texts are "
                                  "stored but not processed until the hour is over")
        if known:
            outbound.queue_sms(uow, rt, phone, "We have received many texts from this phone. Hotline "
                               "staff will call you; please wait for them.", "throttled", priority=0)
