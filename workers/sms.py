"""Jobs for texts chairs sent: handle one text, and tell staff about a number over its allowance."""
from __future__ import annotations

from hotline.services.sms import admission, process
from workers.context import current


def process_inbound(inbound_id: int, phone: str | None = None, paced: bool = False) -> None:
    """Parse, verify and answer one inbox row (a no-op if it was already handled)."""
    rt = current()
    process.handle_texts(rt.units, rt.redis, inbound_id, phone, paced)


def note_throttled(phone: str) -> None:
    """Open one backlog item for a number that crossed its hourly allowance."""
    admission.note_throttled(current().units, phone)
