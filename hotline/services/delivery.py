"""Delivery status callbacks for messages we sent."""
from __future__ import annotations

from sqlalchemy import select

from hotline.models import DeliveryStatus, OutboundMessage
from hotline.runtime import Runtime
from hotline.services import backlog
from hotline.services import log as vlog

# Callbacks can arrive out of order; a later lifecycle stage never goes back to an earlier one.
RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "failed": 4,
        "undelivered": 4, "delivered": 5, "read": 6}
FAILED = {"failed", "undelivered"}


def record_status(rt: Runtime, sid: str, status: str, error_code: str | None) -> None:
    """Store one callback and move the outbox row forward (never backward)."""
    with rt.db.transaction() as uow:
        s = uow.session
        s.add(DeliveryStatus(message_sid=sid, status=status, error_code=error_code))
        s.flush()
        msg = s.execute(select(OutboundMessage).where(OutboundMessage.twilio_sid == sid)).scalar_one_or_none()
        if msg is None:
            return
        if RANK.get(status, -1) >= RANK.get(msg.status, -1):
            msg.status = status
        if status in FAILED:
            msg.error_code = error_code
            vlog.record(s, "sms_undelivered", phone=msg.to_number, outbound_id=msg.id,
                        status=status, code=error_code)
            backlog.open_item(s, "delivery_failure", phone=msg.to_number, precinct_id=msg.precinct_id,
                              dedupe_key=f"undelivered:{msg.to_number}",
                              summary=f"Text to {msg.to_number} was {status} (Twilio {error_code})",
                              detail={"outbound_id": msg.id, "body": msg.body})
