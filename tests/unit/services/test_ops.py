"""Operations use cases with fakes: sending the outbox, recovery, reconciliation, failed jobs."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hotline.adapters.models import BacklogItem, LogEntry, OutboundMessage, Report, utcnow
from hotline.adapters.twilio_sms import Received, SendError, Sent
from hotline.services.ops import delivery, failures, reconcile, recovery, reminders
from hotline.services.records import outbox
from hotline.services.sms import inbox
from hotline.services.units import Units
from tests.unit.services.fakes import FakeJobs, FakeSender
from tests.unit.services.test_sms import CHAIR, FIRST, code_in, text


def queue(units: Units, body: str = "hello", to: str = CHAIR) -> int:
    with units.begin() as uow:
        return outbox.queue_sms(uow, to, body, "test", priority=0)


def status(units: Units, msg_id: int) -> tuple[str, str | None]:
    with units.reading() as s:
        row = s.get(OutboundMessage, msg_id)
        return row.status, row.twilio_sid


def test_delivery_records_twilios_answer_and_never_sends_a_row_twice(units):
    sender, msg_id = FakeSender(), queue(units)
    assert delivery.deliver(units, sender, None, msg_id) == "queued"
    assert delivery.deliver(units, sender, None, msg_id) == "skipped"
    assert len(sender.sent) == 1 and status(units, msg_id)[1] is not None


def test_a_permanent_error_is_not_retried_and_goes_to_staff(units):
    sender = FakeSender([SendError("invalid number", code="21211", retryable=False)])
    msg_id = queue(units)
    assert delivery.deliver(units, sender, None, msg_id) == "failed"
    with units.reading() as s:
        assert s.scalars(select(BacklogItem.kind)).all() == ["delivery_failure"]
    assert status(units, msg_id)[0] == "failed"


def test_a_retryable_error_is_tried_again_at_once_then_left_to_rq(units, monkeypatch):
    monkeypatch.setattr(delivery, "QUICK_RETRY_PAUSES", (0, 0))
    busy = [SendError("busy", code="20429", retryable=True)] * 3
    sender, msg_id = FakeSender(list(busy)), queue(units)
    with pytest.raises(SendError):
        delivery.deliver(units, sender, None, msg_id)
    assert status(units, msg_id)[0] == "retrying" and sender.sent == []
    assert delivery.deliver(units, FakeSender(), None, msg_id) == "queued"


def test_settling_an_unfinished_send_records_what_twilio_has_or_sends_again(units, jobs: FakeJobs):
    had, lost = queue(units, "one"), queue(units, "two")
    with units.begin() as uow:
        uow.session.execute(update(OutboundMessage).values(status="sending",
                                                           claimed_at=utcnow() - timedelta(minutes=5)))
    assert delivery.settle(units, FakeSender(log=[Sent("SMfound", "delivered")]), had) == "found"
    assert status(units, had) == ("delivered", "SMfound")
    assert delivery.settle(units, FakeSender(), lost) == "resent"
    assert status(units, lost)[0] == "retrying" and ("send", lost, 0) in jobs.queued


def test_recovery_queues_lost_texts_skipping_those_already_waiting(units, jobs: FakeJobs):
    ids = [inbox.store(units, "sms", f"SMlost{i}", {"From": [CHAIR], "Body": ["STATUS"]}).inbound_id
           for i in range(3)]
    assert recovery.requeue_texts(units, waiting={f"in-{ids[0]}"}, stale_seconds=0) == 2
    assert [q[1] for q in jobs.queued if q[0] == "inbound"] == ids[1:]


def test_recovery_gives_the_unknown_lane_one_sweeps_worth_of_its_budget(units, jobs: FakeJobs):
    budget = int(units.config.unknown_processing_per_second * units.config.sweep_interval_seconds)
    for i in range(budget + 10):
        inbox.store(units, "sms", f"SMflood{i}", {"From": [f"+1202555{i:04d}"], "Body": ["lol"]})
    chair = inbox.store(units, "sms", "SMchair", {"From": [CHAIR], "Body": ["STATUS"]}).inbound_id
    recovery.requeue_texts(units, waiting=set(), stale_seconds=0)
    lanes = [(q[1], q[2]) for q in jobs.queued if q[0] == "inbound"]
    assert (chair, True) in lanes  # the chairs' lane, whatever waits before it
    assert sum(1 for _, chairs in lanes if not chairs) == budget


def test_recovery_requeues_unsent_replies(units, jobs: FakeJobs):
    msg_id = queue(units)
    jobs.queued.clear()
    assert recovery.requeue_replies(units, waiting=set(), stale_seconds=0) == 1
    assert jobs.queued == [("send", msg_id, 0)]
    assert recovery.requeue_replies(units, waiting={f"out-{msg_id}"}, stale_seconds=0) == 0


def test_reconciliation_stores_and_queues_texts_whose_webhook_never_came(units, jobs: FakeJobs):
    sender = FakeSender(inbound=[Received("SMmissed", CHAIR, "+15155550100", "STATUS", 0)])
    assert reconcile.reconcile(units, sender) == 1
    assert reconcile.reconcile(units, sender) == 0  # already stored: not twice
    assert jobs.kinds() == ["inbound"]
    with units.reading() as s:
        kinds = s.scalars(select(LogEntry.kind).where(LogEntry.kind == "inbound_reconciled")).all()
    assert kinds == ["inbound_reconciled"]


def test_a_job_that_failed_for_good_reaches_staff_and_the_chair(units):
    stored = inbox.store(units, "sms", "SMbroken", {"From": [CHAIR], "Body": [FIRST]})
    failures.gave_up(units, "workers.sms.process_inbound", stored.inbound_id, "RuntimeError('bug')")
    with units.reading() as s:
        kind, summary = s.execute(select(BacklogItem.kind, BacklogItem.summary)).one()
        replies = s.scalars(select(OutboundMessage.kind).where(OutboundMessage.to_number == CHAIR)).all()
    assert kind == "unparsed_text" and "could not be processed" in summary
    assert replies == ["system_error"]


def test_a_precinct_missing_stages_is_reminded_once(units):
    text(units, CHAIR, f"YES {code_in(text(units, CHAIR, FIRST))}")
    with units.begin() as uow:
        uow.session.execute(update(Report).values(recorded_at=utcnow() - timedelta(hours=3)))
    assert reminders.remind_incomplete(units) == 1
    assert reminders.remind_incomplete(units) == 0
    with units.reading() as s:
        body = s.scalars(select(OutboundMessage.body)
                         .where(OutboundMessage.kind == "incomplete_reminder")).one()
    assert body == ("We have part of the DSM-42 report but not the final alignment, county delegates. "
                    "Please text it, or call the hotline.")
