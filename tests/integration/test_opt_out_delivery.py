"""Opted-out phones get nothing: the sender suppresses their texts before Twilio, and Twilio's
error 21610 (the phone opted out) records the opt-out. Real Twilio client against the stand-in."""
from __future__ import annotations


from sqlalchemy import select

from hotline.adapters.models import BacklogItem, LogEntry, OutboundMessage, PhoneOptOut
from hotline.services.ops import delivery
from hotline.services.records import opt_outs, outbox
from tests.support.chairs import load_roster
from tests.support.stack import sign, work

STRANGER, CHAIR = "+15155550199", "+15155550142"  # CHAIR: DSM-42's registered phone


def queue(rt, to: str, body: str = "hello") -> int:
    with rt.units.begin() as uow:
        return outbox.queue_sms(uow, to, body, "test", priority=0)


def row(rt, msg_id: int) -> OutboundMessage:
    with rt.db.transaction() as uow:
        return uow.session.get(OutboundMessage, msg_id)


def opted_out(rt, phone: str) -> PhoneOptOut | None:
    with rt.db.transaction() as uow:
        return uow.session.execute(select(PhoneOptOut).where(PhoneOptOut.phone == phone)).scalar_one_or_none()


def items(rt) -> list[tuple[str, str | None, bool]]:
    with rt.db.transaction() as uow:
        return [(i.kind, i.phone, i.resolved_at is None) for i in uow.session.execute(select(BacklogItem)).scalars()]


def test_a_text_to_an_opted_out_phone_is_suppressed_before_twilio_and_never_retried(twilio_rt, standin):
    with twilio_rt.units.begin() as uow:
        opt_outs.record(uow.session, STRANGER, True, opt_outs.TEXT)
    msg_id = queue(twilio_rt, STRANGER)
    work(twilio_rt)
    suppressed = row(twilio_rt, msg_id)
    assert suppressed.status == "opted_out" and suppressed.twilio_sid is None and suppressed.attempts == 0
    assert standin.messages == []
    # Sending it again (a sweep, a retry) changes nothing: it is not "queued" any more.
    assert delivery.deliver(twilio_rt.units, twilio_rt.sender, twilio_rt.rate, msg_id) == "skipped"
    assert standin.messages == []
    other = queue(twilio_rt, CHAIR)  # other phones are not affected
    work(twilio_rt)
    assert row(twilio_rt, other).status == "queued" and len(standin.messages) == 1


def test_twilio_error_21610_records_the_opt_out_and_stops_further_texts(twilio_rt, standin):
    standin.failures.append((400, 21610))
    first = queue(twilio_rt, STRANGER)
    work(twilio_rt)
    refused = row(twilio_rt, first)
    assert refused.status == "opted_out" and refused.error_code == "21610"
    stored = opted_out(twilio_rt, STRANGER)
    assert stored is not None and stored.opted_out and stored.source == "twilio_21610"
    assert items(twilio_rt) == []  # not on the roster: recorded and logged, no item
    second = queue(twilio_rt, STRANGER)
    work(twilio_rt)
    assert row(twilio_rt, second).status == "opted_out" and standin.messages == []
    with twilio_rt.db.transaction() as uow:
        kinds = uow.session.execute(select(LogEntry.kind).where(LogEntry.phone == STRANGER)).scalars().all()
    assert "opted_out" in kinds


def test_21610_for_a_chair_opens_one_call_this_chair_item(twilio_rt, standin):
    load_roster(twilio_rt)
    standin.failures.extend([(400, 21610)])
    queue(twilio_rt, CHAIR)
    work(twilio_rt)
    queue(twilio_rt, CHAIR)  # suppressed; no second item
    work(twilio_rt)
    assert items(twilio_rt) == [("opted_out", CHAIR, True)]
    with twilio_rt.db.transaction() as uow:
        item = uow.session.execute(select(BacklogItem)).scalar_one()
        assert item.precinct.code == "DSM-42" and "Call this chair" in item.summary and CHAIR in item.summary


def test_a_21610_status_callback_records_the_opt_out(client, twilio_rt, standin):
    msg_id = queue(twilio_rt, STRANGER)
    work(twilio_rt)
    sid = row(twilio_rt, msg_id).twilio_sid
    form = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "21610", "AccountSid": "AC" + "1" * 32}
    resp = client.post("/twilio/status", data=form, headers={"X-Twilio-Signature": sign("/twilio/status", form)})
    assert resp.status_code == 204
    assert row(twilio_rt, msg_id).status == "opted_out"
    assert opted_out(twilio_rt, STRANGER).opted_out
    assert items(twilio_rt) == []  # an opt-out, not a delivery failure
