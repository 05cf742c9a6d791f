"""Blast texts wait on their own queue, behind read-backs and every other answer: a sender takes
a blast text only when nothing a chair waits for is queued."""
from __future__ import annotations


import pytest
from rq import Queue

from hotline.adapters.queues import Q_BULK, Q_OUTBOUND, Q_REPLIES, SENDER_QUEUES
from hotline.services.ops import blasts
from hotline.services.records import outbox
from tests.support.chairs import load_roster
from tests.support.stack import work
from tests.support.standin import live_runtime


@pytest.fixture
def twilio_rt(rt, standin):  # noqa: F811
    yield from live_runtime(rt, standin, send_rate_per_number=1000.0)


def test_the_bulk_queue_comes_last_for_senders():
    assert SENDER_QUEUES[-1] == Q_BULK and SENDER_QUEUES.index(Q_REPLIES) < SENDER_QUEUES.index(Q_OUTBOUND)


def test_read_backs_and_answers_queued_after_a_blast_still_go_out_first(twilio_rt, standin):
    load_roster(twilio_rt)
    sent = blasts.send(twilio_rt.units, "reminder", "carol")
    with twilio_rt.units.begin() as uow:
        outbox.queue_sms(uow, "+15155550142", "DSM-42 read-back: ...", "readback", priority=0)
        outbox.queue_sms(uow, "+15155550107", "Status of DSM-7: ...", "status", priority=1)
    assert Queue(Q_BULK, connection=twilio_rt.redis).count == sent.preview.texts == 4
    assert Queue(Q_REPLIES, connection=twilio_rt.redis).count == 1
    work(twilio_rt, SENDER_QUEUES)
    bodies = [m["Body"] for m in standin.messages]
    assert bodies[:2] == ["DSM-42 read-back: ...", "Status of DSM-7: ..."]
    assert len(bodies) == 6 and all(b.startswith("Caucus hotline:") for b in bodies[2:])
