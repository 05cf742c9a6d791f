"""Ingest inbound texts that Twilio has but whose webhook never reached us."""
from __future__ import annotations

import logging
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import select

from hotline.adapters.models import InboundMessage, utcnow
from hotline.runtime import Runtime
from hotline.services.sms import admission, inbox
from hotline.services.log import chain as vlog
from hotline.adapters.twilio_sms import TwilioSender

logger = logging.getLogger(__name__)
LOCK_KEY = "hotline:reconcile:lock"


def reconcile(rt: Runtime, window_minutes: int = 30) -> int:
    """List recent inbound messages through the REST API and store the ones we lack."""
    if not isinstance(rt.sender, TwilioSender):
        return 0
    since = utcnow() - timedelta(minutes=window_minutes)
    numbers = rt.config.twilio_from_numbers or (None,)
    listed = []
    for number in numbers:
        kwargs = {"date_sent_after": since, "page_size": 1000}
        if number:
            kwargs["to"] = number
        listed += [m for m in rt.sender.client.messages.list(**kwargs)
                   if (m.direction or "").startswith("inbound")]
    if not listed:
        return 0
    with rt.db.transaction() as uow:
        known = set(uow.session.execute(select(InboundMessage.sid).where(
            InboundMessage.sid.in_([m.sid for m in listed]))).scalars())
    added = 0
    for m in listed:
        if m.sid in known:
            continue
        raw = {"MessageSid": [m.sid], "From": [m.from_], "To": [m.to or ""], "Body": [m.body or ""],
               "NumMedia": [str(m.num_media or 0)], "Reconciled": ["1"]}
        stored = inbox.store(rt, "sms", m.sid, raw)
        if stored.inbound_id is not None and not stored.duplicate:
            added += 1
            lane = admission.in_chairs_lane(rt, m.from_, m.body or "")
            rt.queues.inbound(stored.inbound_id, lane, m.from_)
    if added:
        with rt.db.transaction() as uow:
            vlog.record(uow.session, "inbound_reconciled", count=added)
        logger.warning("reconciliation found %d texts whose webhook never arrived", added)
    return added


def reconcile_now_and_then(rt: Runtime, every_seconds: int = 60) -> int:
    """Run at most once per interval across all workers (a Redis lock with expiry)."""
    try:
        if not rt.redis.set(LOCK_KEY, "1", nx=True, ex=every_seconds):
            return 0
    except RedisError:
        return 0
    try:
        return reconcile(rt)
    except Exception:  # noqa: BLE001 - Twilio being down must not stop the sweeper
        logger.exception("reconciliation failed")
        return 0
