"""The SMS webhook's use case: count the text, keep it (database, spool or Redis), queue its job.

Everything here is cheap on purpose: a flood's webhooks and a chair's share the same web
workers, and whatever one costs, the other waits for.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

from redis import Redis

from hotline.services.sms import admission, inbox
from hotline.services.units import Units

logger = logging.getLogger(__name__)


def receive(units: Units, redis: Redis, sid: str, phone: str, raw: Mapping[str, list[str]]) -> str:
    """Store one inbound text before it is acknowledged; what became of it ("queued", "parked", ...)."""
    body = (raw.get("Body") or [""])[0]
    admitted = admission.admit(units, redis, phone, body, lambda: inbox.parked_record("sms", sid, raw))
    if admitted.first_throttled:
        units.jobs.throttled(phone)
    if admitted.parked:  # over its allowance, or a flood: kept in Redis for recovery to move
        return "parked"
    stored = inbox.store(units, "sms", sid, raw)
    if stored.duplicate:
        logger.info("duplicate MessageSid %s acknowledged, not processed again", sid)
        return "duplicate"
    if stored.inbound_id is None:
        return "spooled"  # the database was down; recovery moves it in and queues it
    units.jobs.inbound(stored.inbound_id, admitted.chairs_lane, phone, fresh=True)
    return "queued"
