"""Re-queues what fell through: spooled requests, inbox rows and outbox rows without a job."""
from __future__ import annotations

import logging
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import or_, select
from sqlalchemy.exc import OperationalError

from hotline.adapters.models import OutboundMessage, utcnow
from hotline.runtime import Runtime
from hotline.services.sms import admission, inbox
from hotline.services.ops import delivery, reconcile, reminders

logger = logging.getLogger(__name__)


def sweep(rt: Runtime, stale_seconds: float | None = None) -> dict[str, int]:
    """One pass; safe to run from every worker at once (job ids are unique)."""
    stale = rt.config.sweep_stale_seconds if stale_seconds is None else stale_seconds
    counts = {"spooled": 0, "parked": 0, "inbound": 0, "outbound": 0, "incomplete": 0, "reconciled": 0,
              "settled": 0}
    try:
        counts["spooled"] = inbox.flush_spool(rt)
        counts["parked"] = inbox.flush_parked(rt)
        # Rows whose job is in a queue are only waiting their turn (a sending backlog, say):
        # skipping them keeps a sweep cheap however long the queues grow.
        waiting = rt.queues.waiting_ids()
        # Unknown numbers get back only as many as their processing budget allows until the next sweep.
        unknown_room = max(1, int(rt.config.unknown_processing_per_second * rt.config.sweep_interval_seconds))
        rows = inbox.unprocessed(rt, stale, chairs=True) + inbox.unprocessed(rt, stale, chairs=False, limit=2000)
        for inbound_id, phone, body in rows:
            if f"in-{inbound_id}" in waiting:
                continue
            lane = admission.in_chairs_lane(rt, phone, body)  # as the webhook chose it
            if not lane:
                if unknown_room <= 0:
                    continue
                unknown_room -= 1
            counts["inbound"] += rt.queues.inbound(inbound_id, lane, phone, revive=True)
        for outbound_id, priority in _unsent(rt, stale):
            if f"out-{outbound_id}" not in waiting:
                counts["outbound"] += rt.queues.send(outbound_id, priority, revive=True)
        for outbound_id in _unfinished(rt, stale):
            counts["settled"] += delivery.settle(rt, outbound_id) in ("found", "resent")
        counts["incomplete"] = reminders.remind_incomplete(rt)
        counts["reconciled"] = reconcile.reconcile_now_and_then(rt)
        rt.db.checkpoint()
    except (OperationalError, RedisError) as exc:
        logger.warning("sweep skipped, a backing service is down: %s", exc)
    if any(counts.values()):
        logger.info("sweep: %s", counts)
    return counts


def _unsent(rt: Runtime, stale: float) -> list[tuple[int, int]]:
    cutoff = utcnow() - timedelta(seconds=stale)
    with rt.db.reading() as session:
        rows = session.execute(select(OutboundMessage.id, OutboundMessage.priority).where(
            # "retrying" too: its retry may have been lost with Redis; a live one is left alone.
            OutboundMessage.status.in_(("queued", "retrying")), OutboundMessage.twilio_sid.is_(None),
            OutboundMessage.created_at <= cutoff)
            .order_by(OutboundMessage.priority, OutboundMessage.id).limit(500)).all()
    return [(r[0], r[1]) for r in rows]


def _unfinished(rt: Runtime, stale: float) -> list[int]:
    """Texts claimed for sending long ago whose worker never recorded how the send went."""
    cutoff = utcnow() - timedelta(seconds=stale)
    with rt.db.reading() as session:
        return list(session.execute(select(OutboundMessage.id).where(
            OutboundMessage.status == "sending", OutboundMessage.twilio_sid.is_(None),
            or_(OutboundMessage.claimed_at <= cutoff,
                OutboundMessage.claimed_at.is_(None) & (OutboundMessage.created_at <= cutoff)))
            .order_by(OutboundMessage.id).limit(100)).scalars())
