"""Chairs texting the real webhook, with a real RQ worker, Redis and database."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline.adapters.models import (
    BacklogItem,
    ConfirmationCode,
    InboundMessage,
    LogEntry,
    Report,
    Submission,
)
from hotline.adapters.queues import FAIL_FAST_SECONDS, PROCESSOR_QUEUES
from hotline.services.log import chain as vlog
from tests.support.stack import ACCOUNT_SID, twilio_sid, work
from tests.support.chairs import Phone, load_roster

FIRST = "Precinct DSM-42 first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"


@pytest.fixture
def chair(client, rt):
    load_roster(rt)
    return Phone(client, rt, "+15155550142")


def current(rt, code: str = "DSM-42") -> dict[str, dict]:
    with rt.db.transaction() as uow:
        rows = uow.session.execute(select(Report).join(Submission).where(
            Report.status == "current", Submission.precinct.has(code=code))).scalars()
        return {r.stage: r.counts for r in rows}


def test_text_readback_yes_code_records_the_result(chair, rt):
    assert chair.send(FIRST) == 200
    readback = chair.last()
    assert readback.kind == "readback"
    assert "DSM-42" in readback.body and "Buttigieg 45" in readback.body and "(total 135)" in readback.body
    assert current(rt) == {}  # nothing counts before the chair confirms

    chair.send(f"YES {chair.code()}")
    assert chair.last().kind == "recorded"
    assert "Still to send: final alignment, county delegates" in chair.last().body
    assert current(rt) == {"first": {"Biden": 12, "Buttigieg": 45, "Klobuchar": 8, "Sanders": 40, "Warren": 30}}


def test_wrong_code_counts_attempts_then_locks_and_opens_backlog(chair, rt):
    chair.send(FIRST)
    good = chair.code()
    wrong = "1000" if good != "1000" else "1001"
    chair.send(f"YES {wrong}")
    assert chair.last().kind == "wrong_code" and "2 tries left" in chair.last().body
    chair.send(f"YES {wrong}")
    chair.send(f"YES {wrong}")
    assert chair.last().kind == "code_locked"
    chair.send(f"YES {good}")  # the right code no longer works once locked
    assert current(rt) == {}
    with rt.db.transaction() as uow:
        kinds = list(uow.session.execute(select(BacklogItem.kind)).scalars())
    assert "code_lockout" in kinds


def test_expired_code_is_refused(chair, rt):
    chair.send(FIRST)
    code = chair.code()
    with rt.db.transaction() as uow:
        for row in uow.session.execute(select(ConfirmationCode)).scalars():
            row.expires_at = row.expires_at - timedelta(hours=1)
    chair.send(f"YES {code}")
    assert chair.last().kind == "code_expired"
    assert current(rt) == {}


def test_newer_confirmed_report_supersedes_and_both_stay(chair, rt):
    chair.send(FIRST)
    chair.send(f"YES {chair.code()}")
    chair.send("first: Biden 13, Pete 45, Klobuchar 8, Bernie 40, Warren 30")
    chair.send(f"yes {chair.code()}")
    assert current(rt)["first"]["Biden"] == 13
    with rt.db.transaction() as uow:
        statuses = sorted(uow.session.execute(select(Report.status).where(Report.stage == "first")).scalars())
    assert statuses == ["current", "superseded"]


def test_unregistered_phone_without_pin_is_told_how(client, rt, chair):
    stranger = Phone(client, rt, "+15155559999")
    stranger.send("first: Biden 12, Pete 45")
    assert stranger.last().kind == "unregistered"
    assert current(rt) == {}


def test_unregistered_phone_with_pin_sends_code_to_registered_phone(client, rt, chair):
    stranger = Phone(client, rt, "+15155559999")
    stranger.send("DSM-42 PIN 4321 first: Biden 12, Pete 45, Bernie 40")
    assert stranger.last().kind == "callback_notice"
    assert "0142" in stranger.last().body  # tells which registered phone got the code
    assert chair.last().kind == "callback_code" and "9999" in chair.last().body
    stranger.send(f"YES {chair.code()}")  # the code must come back from the registered phone
    assert current(rt) == {}
    chair.send(f"YES {chair.code()}")
    assert current(rt)["first"] == {"Biden": 12, "Buttigieg": 45, "Sanders": 40}


def test_wrong_pins_lock_the_guessing_phone_and_open_backlog(client, rt, chair):
    stranger = Phone(client, rt, "+15155559999")
    for _ in range(rt.config.pin_max_failures):
        stranger.send("DSM-42 PIN 0000 first: Biden 12")
    assert stranger.last().kind == "pin_locked"
    stranger.send("DSM-42 PIN 4321 first: Biden 12")  # this phone waits out its lock, right PIN or not
    assert stranger.last().kind == "pin_locked"
    with rt.db.transaction() as uow:
        assert uow.session.scalar(select(func.count()).select_from(BacklogItem)
                                  .where(BacklogItem.kind == "pin_lockout")) == 1


def test_duplicate_message_sid_is_acknowledged_once(chair, rt):
    sid = twilio_sid("SM", "duplicate1")
    assert chair.send(FIRST, sid=sid) == 200
    assert chair.send(FIRST, sid=sid) == 200
    with rt.db.transaction() as uow:
        assert uow.session.scalar(select(func.count()).select_from(InboundMessage)) == 1
    assert len([m for m in chair.inbox() if m.kind == "readback"]) == 1


def test_forged_signature_is_rejected_and_counted_not_logged(client, rt, chair):
    from hotline.adapters import refusals
    form = {"MessageSid": twilio_sid("SM", "forged"), "AccountSid": ACCOUNT_SID, "From": "+15155550142",
            "To": "+15155550100", "Body": FIRST}
    with rt.db.transaction() as uow:
        entries = uow.session.scalar(select(func.count()).select_from(LogEntry))
    resp = client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert resp.status_code == 403
    resp = client.post("/twilio/sms", data=form)
    assert resp.status_code == 403
    with rt.db.transaction() as uow:
        assert uow.session.scalar(select(func.count()).select_from(InboundMessage)) == 0
        assert uow.session.scalar(select(func.count()).select_from(LogEntry)) == entries  # nothing written
    counted: dict = {}
    for _hour, tally in refusals.hours(rt.redis, how_many=2):  # the posts may straddle an hour
        for key, n in tally.counts.items():
            counted[key] = counted.get(key, 0) + n
    assert counted == {("/twilio/sms", "forged"): 1, ("/twilio/sms", "missing"): 1}


def test_redis_down_at_webhook_time_then_recovered(chair, rt, redis_server):
    from tests.support.stack import work
    from workers import duties
    redis_server.stop()
    try:
        assert chair.send(FIRST, process=False) == 200  # still answered
    finally:
        redis_server.start()
    with rt.db.transaction() as uow:
        assert uow.session.scalar(select(func.count()).select_from(InboundMessage)) == 1
    time.sleep(FAIL_FAST_SECONDS)  # for a moment after Redis was unreachable, calls fail at once
    assert duties.sweep_once(rt, stale_seconds=0)["inbound"] == 1
    work(rt)
    assert chair.last().kind == "readback"


def test_help_status_cancel(chair, rt):
    chair.send("help")
    assert chair.last().kind == "help"
    chair.send(FIRST)
    chair.send("NO")  # a bare CANCEL also opts the phone out (tests/web/sms/test_sms_opt_outs.py)
    assert chair.last().kind == "cancelled"
    chair.send("status")
    assert "First alignment: not yet" in chair.last().body


def test_split_texts_are_assembled(chair, rt):
    chair.send("first: Biden 12, Pete 45, Klobuchar")
    chair.send("8, Bernie 40, Warren 30")
    assert chair.last().kind == "readback"
    assert "Klobuchar 8" in chair.last().body and "Warren 30" in chair.last().body
    chair.send(f"YES {chair.code()}")
    assert current(rt)["first"]["Klobuchar"] == 8


def test_worksheet_photo_is_kept_with_the_report(chair, rt):
    chair.send(FIRST, media=["https://api.twilio.com/media/ME1"])
    chair.send("", media=["https://api.twilio.com/media/ME2"])
    assert chair.last().kind == "photo_saved"
    with rt.db.transaction() as uow:
        sub = uow.session.execute(select(Submission)).scalar_one()
        assert sub.photo_urls == ["https://api.twilio.com/media/ME1", "https://api.twilio.com/media/ME2"]


def test_unparseable_text_gets_a_useful_answer_and_a_backlog_item(chair, rt):
    chair.send("first: Biden twelve, Pete 45")
    reply = chair.last()
    assert reply.kind == "parse_error"
    assert "twelve" in reply.body and "Nothing was recorded" in reply.body
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(BacklogItem.kind)).scalar_one() == "unparsed_text"


def test_every_step_is_in_a_verifiable_log(chair, rt):
    chair.send(FIRST)
    chair.send(f"YES {chair.code()}")
    with rt.db.transaction() as uow:
        kinds = list(uow.session.execute(select(LogEntry.kind).order_by(LogEntry.seq)).scalars())
        assert vlog.verify(uow.session) is None
        entry = uow.session.execute(select(LogEntry).where(LogEntry.kind == "report_confirmed")).scalar_one()
        entry.detail = {**entry.detail, "stages": {"first": {"Biden": 99}}}
    assert {"sms_received", "code_sent", "code_checked", "report_confirmed"} <= set(kinds)
    with rt.db.transaction() as uow:
        broken = vlog.verify(uow.session)
    assert broken is not None and broken.seq == entry.seq and "altered" in broken.reason


def test_a_job_that_keeps_failing_becomes_a_backlog_item(chair, rt, monkeypatch):
    from hotline.services.sms import process as inbound

    def broken(*_args, **_kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(inbound, "dispatch", broken)
    chair.send(FIRST)  # first failure: RQ schedules retries
    from rq import Queue
    from rq.registry import ScheduledJobRegistry
    queue = Queue("inbound", connection=rt.redis)
    job_id = ScheduledJobRegistry(queue=queue).get_job_ids()[0]
    job = queue.fetch_job(job_id)
    job.retries_left = 0  # skip the waiting: the next failure is the last
    job.save()
    queue.enqueue_job(job)
    from tests.support.stack import work
    work(rt)
    with rt.db.transaction() as uow:
        item = uow.session.execute(select(BacklogItem)).scalar_one()
    assert item.kind == "unparsed_text" and "system error" in item.summary
    assert item.detail["body"] == FIRST
    assert chair.last().kind == "system_error"  # the chair is told, not left waiting


def test_chatter_after_a_readback_keeps_its_code(chair, rt):
    chair.send(FIRST)
    code = chair.code()
    chair.send("got it thanks")
    assert chair.last().kind == "chatter" and "YES" in chair.last().body
    chair.send(f"YES {code}")  # the read-back's code still works
    assert current(rt)["first"]["Buttigieg"] == 45


def test_code_from_a_replaced_readback_is_explained_not_counted(chair, rt):
    chair.send(FIRST)
    old = chair.code()
    chair.send("first: Biden 13, Pete 45, Klobuchar 8, Bernie 40, Warren 30")
    new = chair.code()
    chair.send(f"YES {old}")
    assert chair.last().kind == "code_replaced"
    with rt.db.transaction() as uow:
        assert all(c.attempts == 0 for c in uow.session.execute(select(ConfirmationCode)).scalars())
    chair.send(f"YES {new}")
    assert current(rt)["first"]["Biden"] == 13


def test_the_same_report_again_gets_the_same_readback_and_code(chair, rt):
    chair.send(FIRST)
    first = chair.last()
    code = chair.code()
    # Retyped after a slow answer: other words, the same numbers.
    chair.send("dsm-42 first biden 12 pete 45 klob 8 bernie 40 warren 30")
    again = chair.last()
    assert again.id != first.id and again.body == first.body and chair.code() == code
    with rt.db.transaction() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Submission)) == 1
        entry = uow.session.execute(select(LogEntry).where(LogEntry.kind == "report_repeated")).scalar_one()
        assert entry.detail["resent"] == ["readback"]
    chair.send(f"YES {code}")
    assert chair.last().kind == "recorded"
    assert current(rt)["first"]["Buttigieg"] == 45


def test_the_same_report_while_its_readback_is_unsent_adds_no_copy(chair, rt):
    chair.send(FIRST, process=False)
    work(rt, PROCESSOR_QUEUES)  # parsed, but the senders are behind: the read-back waits in the outbox
    chair.send(FIRST, process=False)
    work(rt, PROCESSOR_QUEUES)
    assert [m.kind for m in chair.inbox()] == ["readback"]
    with rt.db.transaction() as uow:
        rows = uow.session.execute(select(InboundMessage).order_by(InboundMessage.id)).scalars().all()
        assert [r.outcome for r in rows] == ["readback", "readback_on_its_way"]
        assert rows[0].submission_id == rows[1].submission_id is not None
    work(rt)
    chair.send(f"YES {chair.code()}")
    assert current(rt)["first"]["Warren"] == 30


def test_the_same_report_near_its_codes_expiry_gets_a_new_code(chair, rt):
    chair.send(FIRST)
    old = chair.code()
    with rt.db.transaction() as uow:
        row = uow.session.execute(select(ConfirmationCode)).scalar_one()
        row.expires_at = row.expires_at - timedelta(seconds=rt.config.code_ttl_seconds * 0.8)
    chair.send(FIRST)
    assert chair.code() != old
    chair.send(f"YES {old}")
    assert chair.last().kind == "code_replaced"


def test_the_same_numbers_from_another_phone_with_the_pin_are_a_new_report(client, rt, chair):
    chair.send(FIRST)
    stranger = Phone(client, rt, "+15155559999")
    stranger.send("DSM-42 PIN 4321 " + FIRST.removeprefix("Precinct DSM-42 "))
    assert chair.last().kind == "callback_code"


def test_yes_sent_twice_is_told_it_was_already_recorded(chair, rt):
    chair.send(FIRST)
    code = chair.code()
    chair.send(f"YES {code}")
    chair.send(f"YES {code}")  # a second tap of "send" in a loud gym
    assert chair.last().kind == "code_already_used"
    assert "already used" in chair.last().body and "DSM-42 first alignment" in chair.last().body


def test_a_used_code_answered_again_is_no_wrong_try_against_the_next_readback(chair, rt):
    chair.send(FIRST)
    used = chair.code()
    chair.send(f"YES {used}")
    chair.send("final: Biden 0, Pete 60, Bernie 50, Warren 35")
    new = chair.code()
    for _ in range(rt.config.code_max_attempts):  # a late copy of the first read-back, answered
        chair.send(f"YES {used}")
        assert chair.last().kind == "code_already_used" and "Another read-back waits" in chair.last().body
    chair.send(f"YES {new}")
    assert chair.last().kind == "recorded"
    assert current(rt)["final"]["Sanders"] == 50


def test_call_asks_for_a_person(chair, rt):
    chair.send("please call me")
    assert chair.last().kind == "call_back" and "0142" in chair.last().body
    with rt.db.transaction() as uow:
        item = uow.session.execute(select(BacklogItem)).scalar_one()
    assert item.kind == "callback_request" and item.priority == 0 and item.precinct.code == "DSM-42"


def test_flagged_confirmation_asks_the_chair_to_stay_reachable(chair, rt):
    for text in ("first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30",
                 "final: Pete 55, Bernie 48, Warren 34"):  # 137 in the final, 135 in the first
        chair.send(text)
        chair.send(f"YES {chair.code()}")
    body = chair.last().body
    assert "does not add up" in body and "not published" in body and "Thank you!" not in body


def test_staff_screens_never_show_a_pin(client, rt, chair):
    from hotline.services.console import history
    stranger = Phone(client, rt, "+15155559999")
    stranger.send("DSM-42 PIN 4321 first: Biden 12")
    stranger.send("DSM-42 PIN 0000 first: Biden 12")
    with rt.db.transaction() as uow:
        events = history.timeline(uow.session, None, [stranger.number])
        details = [i.detail for i in uow.session.execute(select(BacklogItem)).scalars()]
    texts = " ".join(e.text for e in events) + repr(details)
    assert "PIN ****" in texts and "4321" not in texts and "0000" not in texts


def test_one_phones_texts_are_handled_once_and_in_order_by_concurrent_workers(chair, rt, monkeypatch):
    """Two workers on the two halves of a split text: the second waits for the first (the
    database holds the per-sender lock), then sees it handled and assembles the report."""
    import threading

    from hotline.services.records import roster
    from hotline.services.sms import inbox
    from hotline.services.sms import process as inbound

    first = inbox.store(rt.units, "sms", "SMhalf1", {"From": [chair.number], "Body": ["first: Biden 12, Pete 45, Klobuchar"]})
    second = inbox.store(rt.units, "sms", "SMhalf2", {"From": [chair.number], "Body": ["8, Bernie 40, Warren 30"]})
    entered = threading.Event()
    real = roster.precincts_for_phone

    def slow(session, phone):  # the first worker dawdles inside its transaction
        entered.set()
        time.sleep(0.4)
        return real(session, phone)

    monkeypatch.setattr(roster, "precincts_for_phone", slow)
    errors: list[BaseException] = []

    def run(row: int) -> None:
        try:
            inbound.handle_texts(rt.units, rt.redis, row, chair.number)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    a = threading.Thread(target=run, args=(first.inbound_id,))
    a.start()
    assert entered.wait(5)
    b = threading.Thread(target=run, args=(second.inbound_id,))
    b.start()
    a.join(10)
    b.join(10)
    assert not errors and not a.is_alive() and not b.is_alive()
    with rt.db.transaction() as uow:
        received = uow.session.execute(select(LogEntry.detail).where(LogEntry.kind == "sms_received")
                                       .order_by(LogEntry.seq)).scalars().all()
        outcomes = dict(uow.session.execute(select(InboundMessage.sid, InboundMessage.outcome)).all())
    assert [d["sid"] for d in received] == ["SMhalf1", "SMhalf2"]  # each handled once, in order
    assert outcomes == {"SMhalf1": "parse_error", "SMhalf2": "readback"}


def test_status_lists_what_is_recorded_and_what_waits_for_a_yes(chair, rt):
    chair.send(FIRST)
    chair.send("status")
    body = chair.last().body
    assert "First alignment: not yet" in body and "1 report(s) waiting for your YES code." in body
    chair.send(FIRST.replace("Biden 12", "Biden 13"))  # the newer read-back replaces the older
    chair.send(f"YES {chair.code()}")
    chair.send("status")
    body = chair.last().body
    assert "Biden 13" in body and "waiting for your YES" not in body
