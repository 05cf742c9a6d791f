"""The loop guard end to end: an auto-responder answering our replies gets two answers, then none
for a while (one item, one log entry), its texts still handled; a chair typing fast is never
taken for one."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.adapters.models import BacklogItem, InboundMessage, LogEntry, Submission, utcnow
from hotline.services.records import outbox
from tests.support.chairs import Phone, load_roster
from tests.support.stack import work

CHAIR = "+15155550142"  # DSM-42's registered phone
DRIVING = "I'm driving right now. I'll get back to you when I can. (Sent by Driving Focus)"
FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"


@pytest.fixture
def phone(client, rt):
    load_roster(rt)
    return Phone(client, rt, CHAIR)


def loop_items(rt) -> list[BacklogItem]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(BacklogItem).where(BacklogItem.kind == "reply_loop")).scalars())


def sent(phone: Phone) -> list[str]:
    """The status of every text to the phone, oldest first."""
    return [m.status for m in phone.inbox()]


def test_an_auto_responder_gets_two_answers_then_none_and_one_item(phone, rt):
    for _ in range(5):
        phone.send(DRIVING)  # each arrives a moment after our last reply: well within 2 s
    assert sent(phone) == ["outbox", "outbox", "loop_held", "loop_held", "loop_held"]
    [item] = loop_items(rt)
    assert item.resolved_at is None and item.phone == CHAIR and item.precinct.code == "DSM-42"
    with rt.db.transaction() as uow:
        entries = uow.session.execute(select(LogEntry).where(LogEntry.kind == "reply_loop_detected")).scalars().all()
        handled = uow.session.execute(select(InboundMessage.processed_at)).scalars().all()
    assert len(entries) == 1 and entries[0].precinct_code == "DSM-42"
    assert len(handled) == 5 and all(handled)  # every text stored and handled

    # While replies are paused, results from the phone are still stored; only the reply waits.
    phone.send(FIRST)
    assert phone.last().kind == "readback" and phone.last().status == "loop_held"
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(Submission.status)).scalar_one() == "awaiting_confirmation"
    # Staff can still text the phone.
    with rt.units.begin() as uow:
        outbox.queue_sms(uow, CHAIR, "Calling you now", "staff_sms")
    work(rt)
    assert phone.last().kind == "staff_sms" and phone.last().status == "outbox"

    # Once the pause is over, the phone is answered again.
    with rt.db.transaction() as uow:
        item = uow.session.get(BacklogItem, item.id)
        item.detail = {**item.detail, "held_until": (utcnow() - timedelta(seconds=1)).isoformat()}
    phone.send("STATUS")
    assert phone.last().kind == "status" and phone.last().status == "outbox"
    assert len(loop_items(rt)) == 1


def test_resolving_the_item_resumes_replies(phone, rt):
    for _ in range(3):
        phone.send(DRIVING)
    [item] = loop_items(rt)
    with rt.db.transaction() as uow:
        uow.session.get(BacklogItem, item.id).resolved_at = utcnow()
    phone.send("STATUS")
    assert phone.last().kind == "status" and phone.last().status == "outbox"


def test_a_chair_sending_six_different_texts_in_thirty_seconds_is_answered_every_time(phone, rt):
    phone.send(FIRST)
    code = phone.code()
    texts = ["got it, thanks", f"YES {code}", "final: Pete 55, Bernie 48, Warren 32", "hmm which one is final",
             "YES 1234"]
    for body in texts:
        phone.send(body)
    replies = phone.inbox()
    assert len(replies) == 6 and all(m.status == "outbox" for m in replies)
    assert [m.kind for m in replies] == ["readback", "chatter", "recorded", "readback", "parse_error", "wrong_code"]
    assert loop_items(rt) == []
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(LogEntry).where(LogEntry.kind == "reply_loop_detected")).first() is None


def test_a_chair_resending_the_same_report_quickly_is_not_a_loop(phone, rt):
    for _ in range(4):  # an impatient chair: the same report again and again, seconds apart
        phone.send(FIRST)
    assert all(m.status == "outbox" for m in phone.inbox()) and loop_items(rt) == []
