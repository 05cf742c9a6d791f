"""The sending job: one outbox row to Twilio (or the local outbox) at the numbers' rate."""
from __future__ import annotations

from hotline.services.ops import delivery
from workers.context import current


def send_message(outbound_id: int) -> str:
    """Hand one outbox row to Twilio, or leave it in the local outbox."""
    rt = current()
    return delivery.deliver(rt.units, rt.sender, rt.rate, outbound_id)
