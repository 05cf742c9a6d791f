"""Opt-outs with fakes: the sender never hands an opted-out phone's text to Twilio, and error 21610
records the opt-out."""
from __future__ import annotations

from sqlalchemy import select

from hotline.adapters.models import BacklogItem, LogEntry, OutboundMessage, PhoneOptOut
from hotline.adapters.twilio_sms import SendError
from hotline.services.ops import delivery
from hotline.services.records import opt_outs, outbox
from hotline.services.units import Units
from tests.unit.services.fakes import FakeSender

PHONE = "+15155550199"


def queue(units: Units, to: str = PHONE) -> int:
    with units.begin() as uow:
        return outbox.queue_sms(uow, to, "hello", "test", priority=0)


def status(units: Units, msg_id: int) -> str:
    with units.reading() as s:
        return s.get(OutboundMessage, msg_id).status


def test_an_opted_out_phone_is_suppressed_and_an_opt_in_lets_texts_through(units):
    with units.begin() as uow:
        opt_outs.record(uow.session, PHONE, True, opt_outs.STAFF)
    sender, msg_id = FakeSender(), queue(units)
    assert delivery.deliver(units, sender, None, msg_id) == "opted_out"
    assert sender.sent == [] and status(units, msg_id) == "opted_out"
    with units.begin() as uow:
        opt_outs.record(uow.session, PHONE, False, opt_outs.STAFF)
    later = queue(units)
    assert delivery.deliver(units, sender, None, later) == "queued" and len(sender.sent) == 1
    with units.reading() as s:
        kinds = s.scalars(select(LogEntry.kind).where(LogEntry.kind.like("opted_%")).order_by(LogEntry.seq)).all()
        assert kinds == ["opted_out", "opted_in"]
        assert s.scalars(select(PhoneOptOut.source)).all() == ["staff"]


def test_error_21610_records_the_opt_out_not_a_delivery_failure(units):
    sender = FakeSender([SendError("Attempt to send to unsubscribed recipient", code="21610", retryable=False)])
    msg_id = queue(units)
    assert delivery.deliver(units, sender, None, msg_id) == "opted_out"
    with units.reading() as s:
        row = s.execute(select(PhoneOptOut)).scalar_one()
        assert (row.phone, row.opted_out, row.source) == (PHONE, True, "twilio_21610")
        assert s.scalars(select(BacklogItem.kind)).all() == []
    assert delivery.deliver(units, sender, None, queue(units)) == "opted_out"
