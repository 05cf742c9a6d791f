"""Opt-outs through the real webhook: STOP records one and nothing more is sent; START (or YES to
resubscribe) records the opt-in; a chair's opt-out opens one "call this chair" item; STOP from a
number not on the roster is recorded and logged, with no item."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.adapters.models import BacklogItem, InboundMessage, LogEntry, PhoneOptOut, Submission
from hotline.services.records import outbox
from tests.support.chairs import Phone, load_roster
from tests.support.stack import sign, twilio_sid, work

CHAIR, STRANGER = "+15155550142", "+15155550199"  # DSM-42's registered phone; a number not on the roster
FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"


@pytest.fixture
def chair(client, rt):
    load_roster(rt)
    return Phone(client, rt, CHAIR)


def send(phone: Phone, body: str, **extra: str) -> None:
    """`phone` texts `body`, with any further Twilio parameters (OptOutType)."""
    form = {"MessageSid": twilio_sid("SM"), "AccountSid": phone.account, "From": phone.number,
            "To": "+15155550100", "Body": body, "NumMedia": "0", **extra}
    resp = phone.client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": sign("/twilio/sms", form)})
    assert resp.status_code == 200
    work(phone.rt)


def state(rt, phone: str) -> PhoneOptOut | None:
    with rt.db.transaction() as uow:
        return uow.session.execute(select(PhoneOptOut).where(PhoneOptOut.phone == phone)).scalar_one_or_none()


def items(rt, kind: str) -> list[BacklogItem]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(BacklogItem).where(BacklogItem.kind == kind)).scalars())


def log(rt, phone: str) -> list[LogEntry]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(LogEntry).where(LogEntry.phone == phone)
                                        .order_by(LogEntry.seq)).scalars())


def test_stop_then_start_round_trip_for_a_chair(chair, rt):
    chair.send(FIRST)
    sent_before = len(chair.inbox())
    chair.send("STOP")
    assert len(chair.inbox()) == sent_before  # no reply to STOP: Twilio answers it itself
    stored = state(rt, CHAIR)
    assert stored.opted_out and stored.source == "text"
    with rt.db.transaction() as uow:
        stop = uow.session.execute(select(InboundMessage).where(InboundMessage.body == "STOP")).scalar_one()
    assert stored.inbound_id == stop.id and stop.outcome == "opted_out"
    [item] = items(rt, "opted_out")
    assert item.resolved_at is None and item.phone == CHAIR and item.precinct.code == "DSM-42"
    assert "Call this chair" in item.summary
    [entry] = [e for e in log(rt, CHAIR) if e.kind == "opted_out"]
    assert entry.precinct_code == "DSM-42" and entry.detail["source"] == "text"

    chair.send("status")  # handled as usual, but its reply is never sent
    assert chair.last().kind == "status" and chair.last().status == "opted_out"
    with rt.units.begin() as uow:  # staff texts too: Twilio would refuse them
        outbox.queue_sms(uow, CHAIR, "Calling you now", "staff_sms")
    work(rt)
    assert chair.last().status == "opted_out"
    chair.send("STOP")  # again: still one item
    assert len(items(rt, "opted_out")) == 1

    chair.send("START")
    assert not state(rt, CHAIR).opted_out
    assert chair.last().kind == "help" and chair.last().status == "outbox"  # sent again
    [item] = items(rt, "opted_out")
    assert item.resolved_at is not None and item.resolved_by == "system"
    assert [e.kind for e in log(rt, CHAIR) if e.kind.startswith("opted_")] == ["opted_out", "opted_out", "opted_in"]
    chair.send(f"YES {chair.code()}")  # the read-back from before the STOP still confirms
    assert chair.last().kind == "recorded" and chair.last().status == "outbox"


def test_stop_from_a_number_not_on_the_roster_is_recorded_and_logged_with_no_item(client, rt):
    load_roster(rt)
    stranger = Phone(client, rt, STRANGER)
    stranger.send("stop")
    assert state(rt, STRANGER).opted_out
    assert stranger.inbox() == []
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(BacklogItem)).scalars().all() == []  # not even unknown_sender
    assert "opted_out" in [e.kind for e in log(rt, STRANGER)]
    stranger.send("hello")  # its later texts: handled, and whatever we would say is never sent
    assert all(m.status == "opted_out" for m in stranger.inbox())


def test_twilios_opt_out_type_parameter_is_honoured(chair, rt):
    send(chair, "ARRET", OptOutType="STOP")  # a custom keyword, told by Twilio's Advanced Opt-Out
    assert state(rt, CHAIR).opted_out and chair.inbox() == []
    send(chair, "REPRENDRE", OptOutType="START")
    assert not state(rt, CHAIR).opted_out


def test_a_bare_yes_resubscribes_an_opted_out_phone_and_confirms_nothing(chair, rt):
    chair.send("yes")  # not opted out: YES without a code is a (codeless) confirmation
    assert state(rt, CHAIR) is None and chair.last().kind != "opted_in"
    chair.send(FIRST)
    chair.send("QUIT")
    assert state(rt, CHAIR).opted_out
    chair.send("YES")
    assert not state(rt, CHAIR).opted_out
    with rt.db.transaction() as uow:
        # nothing confirmed: the YES only resubscribed the phone
        assert uow.session.execute(select(Submission.status)).scalar_one() == "awaiting_confirmation"
        last = uow.session.execute(select(InboundMessage).order_by(InboundMessage.id.desc())).scalars().first()
    assert last.outcome == "opted_in"
    assert items(rt, "opted_out")[0].resolved_at is not None


def test_a_bare_cancel_drops_the_unconfirmed_report_and_opts_out(chair, rt):
    chair.send(FIRST)
    replies = len(chair.inbox())
    chair.send("CANCEL")
    assert state(rt, CHAIR).opted_out and len(chair.inbox()) == replies
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(Submission.status)).scalar_one() == "cancelled"
    chair.send("START")
    chair.send("cancel please")  # not a bare keyword: our command only
    assert not state(rt, CHAIR).opted_out
