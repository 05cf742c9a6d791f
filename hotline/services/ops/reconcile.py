"""Ingest inbound texts that Twilio has but whose webhook never reached us."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from hotline.adapters.models import InboundMessage, utcnow
from hotline.adapters.twilio_sms import Sender
from hotline.services.log import chain
from hotline.services.sms import admission, inbox
from hotline.services.units import Units

logger = logging.getLogger(__name__)


def reconcile(units: Units, sender: Sender, window_minutes: int = 30) -> int:
    """List recent inbound messages in Twilio's log and store (and queue) the ones we lack."""
    listed = sender.received_since(utcnow() - timedelta(minutes=window_minutes))
    if not listed:
        return 0
    with units.reading() as session:
        known = set(session.execute(select(InboundMessage.sid).where(
            InboundMessage.sid.in_([m.sid for m in listed]))).scalars())
    added = 0
    for m in listed:
        if m.sid in known:
            continue
        raw = {"MessageSid": [m.sid], "From": [m.from_number], "To": [m.to_number], "Body": [m.body],
               "NumMedia": [str(m.num_media)], "Reconciled": ["1"]}
        stored = inbox.store(units, "sms", m.sid, raw)
        if stored.inbound_id is not None and not stored.duplicate:
            added += 1
            lane = admission.in_chairs_lane(units, m.from_number, m.body)
            units.jobs.inbound(stored.inbound_id, lane, m.from_number)
    if added:
        with units.begin() as uow:
            chain.record(uow.session, "inbound_reconciled", count=added)
        logger.warning("reconciliation found %d texts whose webhook never arrived", added)
    return added
