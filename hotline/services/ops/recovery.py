"""Recovery: what fell through gets picked up again, each part a duty the scheduler runs on its own.

Texts spooled while the database was down, texts parked in Redis during a flood, inbox and
outbox rows whose job was lost with Redis, and sends whose worker died before recording
Twilio's answer. Every duty is safe to run from several workers at once (job ids are unique,
rows are claimed), and one failing never stops the others.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from redis import Redis
from sqlalchemy import or_, select

from hotline.adapters.models import OutboundMessage, WorksheetPhoto, utcnow
from hotline.adapters.twilio_sms import Sender
from hotline.services.ops import delivery
from hotline.services.records.outbox import READY
from hotline.services.sms import admission, inbox
from hotline.services.units import Units

logger = logging.getLogger(__name__)


def flush_spool(units: Units) -> int:
    """Move this host's spooled webhooks into the database (they are queued by `requeue_texts`)."""
    return inbox.flush_spool(units)


def flush_parked(units: Units, redis: Redis) -> int:
    """Move texts parked in Redis during a flood into the database, in bulk."""
    return inbox.flush_parked(units, redis)


def requeue_texts(units: Units, waiting: set[str], stale_seconds: float | None = None) -> int:
    """Queue inbox rows that nobody handled: chairs' first, then the unknown lane within its budget.

    `waiting`: ids of the jobs already in a queue (`Queues.waiting_ids`); their rows are only
    waiting their turn, and skipping them keeps this cheap however long the queues grow.
    """
    cfg = units.config
    stale = _stale(units, stale_seconds)
    # The unknown numbers get back one sweep's worth of their budget: the bucket that paces them
    # holds exactly that much, so the batch runs and the lane keeps its rate.
    room = max(1, int(cfg.unknown_processing_per_second * cfg.sweep_interval_seconds))
    rows = (inbox.unprocessed(units, stale, chairs=True)
            + inbox.unprocessed(units, stale, chairs=False, limit=2000))
    queued = 0
    for inbound_id, phone, body in rows:
        if f"in-{inbound_id}" in waiting:
            continue
        lane = admission.in_chairs_lane(units, phone, body)  # as the webhook chose it
        if not lane:
            if room <= 0:
                continue
            room -= 1
        queued += units.jobs.inbound(inbound_id, lane, phone, revive=True)
    return queued


def requeue_replies(units: Units, waiting: set[str], stale_seconds: float | None = None) -> int:
    """Queue outbox rows still waiting to be sent whose job is in no queue."""
    cutoff = utcnow() - timedelta(seconds=_stale(units, stale_seconds))
    with units.reading() as session:
        rows = session.execute(select(OutboundMessage.id, OutboundMessage.priority).where(
            # "retrying" too: its retry may have been lost with Redis; a live one is left alone.
            OutboundMessage.status.in_(READY), OutboundMessage.twilio_sid.is_(None),
            OutboundMessage.created_at <= cutoff)
            .order_by(OutboundMessage.priority, OutboundMessage.id).limit(500)).all()
    return sum(units.jobs.send(oid, priority, revive=True) for oid, priority in rows
               if f"out-{oid}" not in waiting)


def requeue_photos(units: Units, waiting: set[str], stale_seconds: float | None = None) -> int:
    """Queue worksheet photos still waiting for their download whose job is in no queue (lost
    with Redis, or never queued); a job waiting for its retry is left alone."""
    cutoff = utcnow() - timedelta(seconds=_stale(units, stale_seconds))
    with units.reading() as session:
        ids = list(session.execute(select(WorksheetPhoto.id).where(
            WorksheetPhoto.status == "pending", WorksheetPhoto.received_at <= cutoff)
            .order_by(WorksheetPhoto.id).limit(200)).scalars())
    return sum(units.jobs.photo(pid, revive=True) for pid in ids if f"photo-{pid}" not in waiting)


def settle_sends(units: Units, sender: Sender, stale_seconds: float | None = None) -> int:
    """Texts claimed for sending long ago whose worker never recorded how the send went."""
    cutoff = utcnow() - timedelta(seconds=_stale(units, stale_seconds))
    with units.reading() as session:
        ids = list(session.execute(select(OutboundMessage.id).where(
            OutboundMessage.status == "sending", OutboundMessage.twilio_sid.is_(None),
            or_(OutboundMessage.claimed_at <= cutoff,
                OutboundMessage.claimed_at.is_(None) & (OutboundMessage.created_at <= cutoff)))
            .order_by(OutboundMessage.id).limit(100)).scalars())
    return sum(delivery.settle(units, sender, oid) in ("found", "resent") for oid in ids)


def _stale(units: Units, stale_seconds: float | None) -> float:
    """How old a lost row must be before it is picked up again: younger ones may still have a
    job running (`sweep_stale_seconds`, unless the caller says otherwise)."""
    return units.config.sweep_stale_seconds if stale_seconds is None else stale_seconds


def checkpoint(units: Units) -> None:
    """Copy SQLite's write-ahead log into the database file, off the webhooks' path."""
    units.db.checkpoint()
