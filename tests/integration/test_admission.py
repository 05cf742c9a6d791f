"""Floods from one number are stored but not processed; unknown numbers never go ahead of chairs."""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

from rq import Queue
from sqlalchemy import func, select

from hotline.adapters.models import BacklogItem, InboundMessage
from hotline.adapters.queues import Q_INBOUND, Q_UNKNOWN
from hotline.services.sms import admission
from tests.support.stack import work
from tests.support.chairs import Phone, load_roster


def test_unknown_number_over_its_allowance_is_stored_not_processed(client, rt):
    load_roster(rt)
    rt.config = replace(rt.config, unknown_processing_per_second=1000)  # this test is about the allowance
    prank = Phone(client, rt, "+12025550199")
    limit = rt.config.texts_per_hour_unknown
    for i in range(limit + 5):
        assert prank.send(f"lol {i}", process=False) == 200
    assert rt.redis.llen("hotline:inbox:parked") == 5  # the flood waits in Redis, not the database
    from workers import duties
    assert duties.sweep_once(rt)["parked"] == 5
    assert duties.sweep_once(rt)["parked"] == 0
    work(rt)
    with rt.db.transaction() as uow:
        s = uow.session
        assert s.scalar(select(func.count()).select_from(InboundMessage)) == limit + 5  # nothing lost
        assert s.scalar(select(func.count()).select_from(InboundMessage)
                        .where(InboundMessage.outcome == "throttled")) == 5
        items = s.execute(select(BacklogItem).where(BacklogItem.phone == prank.number)).scalars().all()
    # One item per number: it says the number is unknown and that it was throttled.
    assert len(items) == 1 and items[0].kind == "unknown_sender"
    assert f"more than {limit} texts in an hour" in items[0].summary
    # at most a few answers an hour to a number not on the roster
    assert len(prank.inbox()) == rt.config.unknown_sender_replies_per_hour


def test_unknown_numbers_wait_behind_registered_chairs(client, rt):
    load_roster(rt)
    Phone(client, rt, "+12025550199").send("hello", process=False)
    Phone(client, rt, "+15155550142").send("first: Biden 12, Pete 45", process=False)
    assert Queue(Q_UNKNOWN, connection=rt.redis).count == 1
    assert Queue(Q_INBOUND, connection=rt.redis).count == 1
    from hotline.adapters.queues import ALL_QUEUES
    assert ALL_QUEUES.index(Q_INBOUND) < ALL_QUEUES.index(Q_UNKNOWN)


def test_chair_over_the_allowance_is_told_a_person_will_call(client, rt):
    """A registered phone is counted by the job that handles its text, not at the door."""
    from hotline.services.sms import process as inbound
    load_roster(rt)
    rt.config = replace(rt.config, texts_per_hour_registered=3)
    chair = Phone(client, rt, "+15155550142")
    for _ in range(3):
        chair.send("status")
    assert chair.last().kind == "status"
    before = len(chair.inbox())
    chair.send("status")  # the fourth this hour
    assert chair.last().kind == "throttled"
    chair.send("status")
    chair.send("first: Biden 12, Pete 45")
    assert len(chair.inbox()) == before + 1  # told once; the rest kept, not acted on
    with rt.db.transaction() as uow:
        outcomes = uow.session.execute(select(InboundMessage.outcome).order_by(InboundMessage.id)).scalars().all()
        assert outcomes == ["status"] * 3 + ["throttled"] * 3
        items = uow.session.execute(select(BacklogItem).where(BacklogItem.phone == chair.number)).scalars().all()
        assert len(items) == 1 and "more than 3 texts" in items[0].summary
        last_id = uow.session.scalar(select(func.max(InboundMessage.id)))
    assert rt.redis.keys("hotline:inrate:*") == []  # no count kept for the roster's phones
    inbound.handle_texts(rt.units, rt.redis, last_id, chair.number)  # a job that runs twice changes nothing
    assert len(chair.inbox()) == before + 1


def test_a_chairs_texts_from_an_earlier_hour_do_not_count(client, rt):
    from hotline.services.sms import process as inbound
    load_roster(rt)
    rt.config = replace(rt.config, texts_per_hour_registered=2)
    chair = Phone(client, rt, "+15155550142")
    chair.send("status")
    chair.send("status")
    with rt.db.transaction() as uow:  # both were sent in the hour before this one
        uow.session.execute(InboundMessage.__table__.update().values(
            received_at=inbound.hour_start() - timedelta(minutes=1)))
    chair.send("status")
    assert chair.last().kind == "status"


def test_unknown_numbers_share_a_processing_budget_and_the_sweeper_paces_the_rest(client, rt):
    from workers import duties
    load_roster(rt)
    rt.config = replace(rt.config, unknown_processing_per_second=2, sweep_interval_seconds=1)
    for i in range(6):  # six different pranksters, one text each
        Phone(client, rt, f"+120255501{i:02d}").send("hi", process=False)
    borrowed = Phone(client, rt, "+15155559999")  # a chair on a borrowed phone, with the PIN
    borrowed.send("DSM-42 PIN 4321 first: Biden 12", process=False)
    chair = Phone(client, rt, "+15155550142")
    chair.send("first: Biden 12, Pete 45")  # runs every queued job
    assert chair.last().kind == "readback"  # the chair is never held back by the budget
    assert borrowed.last().kind == "callback_notice"  # nor is a PIN-bearing text
    with rt.db.transaction() as uow:
        left = uow.session.scalar(select(func.count()).select_from(InboundMessage)
                                  .where(InboundMessage.processed_at.is_(None)))
    assert left == 4  # a burst of 2 went through; the rest wait
    assert duties.sweep_once(rt, stale_seconds=0)["inbound"] == 2  # 2 per second x 1 s between sweeps
    # Their first jobs finished without handling them (over the budget); the sweep's new ones do.
    rt.config = replace(rt.config, unknown_processing_per_second=1000)
    work(rt)
    with rt.db.transaction() as uow:
        left = uow.session.scalar(select(func.count()).select_from(InboundMessage)
                                  .where(InboundMessage.processed_at.is_(None)))
    assert left == 2


def test_parked_texts_move_once_even_if_one_is_already_stored(rt):
    from hotline.services.sms import admission, inbox
    load_roster(rt)
    raw = {"From": ["+12025550199"], "Body": ["spam"]}
    hour = int(time.time() // 3600)
    rt.redis.set(f"hotline:inrate:+12025550199:{hour}", rt.config.texts_per_hour_unknown)  # at its allowance
    for sid in ("SMparked1", "SMparked2"):
        assert admission.admit(rt.units, rt.redis, "+12025550199", "spam", lambda sid=sid: inbox.parked_record("sms", sid, raw)).parked
    inbox.store(rt.units, "sms", "SMparked1", raw)  # Twilio retried it and it reached the database
    assert inbox.flush_parked(rt.units, rt.redis) == 2
    with rt.db.transaction() as uow:
        sids = sorted(uow.session.execute(select(InboundMessage.sid)).scalars())
    assert sids == ["SMparked1", "SMparked2"]
    assert rt.redis.llen(inbox.PARKED_KEY) == 0


def test_a_backed_up_unknown_lane_parks_new_numbers_texts_and_the_sweeper_brings_them_back(client, rt):
    """In a flood even a number's first texts skip the database at webhook time; none is lost."""
    from hotline.services.sms import admission, inbox
    from workers import duties
    load_roster(rt)
    rt.config = replace(rt.config, unknown_processing_per_second=0.3)  # backed up at 3 queued texts
    backed_up = int(admission.BACKED_UP_SECONDS * rt.config.unknown_processing_per_second)
    pranks = [Phone(client, rt, f"+120255501{i:02d}") for i in range(backed_up + 2)]
    for prank in pranks:  # one text each: nobody is over the allowance
        assert prank.send("hi", process=False) == 200
    assert Queue(Q_UNKNOWN, connection=rt.redis).count == backed_up
    assert rt.redis.llen(inbox.PARKED_KEY) == 2
    borrowed = Phone(client, rt, "+15155559999")  # a chair on a borrowed phone, with the PIN
    borrowed.send("DSM-42 PIN 4321 first: Biden 12", process=False)
    chair = Phone(client, rt, "+15155550142")
    chair.send("status", process=False)
    assert rt.redis.llen(inbox.PARKED_KEY) == 2  # the chairs' lane is never parked
    Queue(Q_UNKNOWN, connection=rt.redis).empty()  # as if the lane's budget had let them through
    rt.config = replace(rt.config, unknown_processing_per_second=1000)
    counts = duties.sweep_once(rt, stale_seconds=0)
    assert counts["parked"] == 2 and counts["inbound"] >= 2  # moved in unhandled, then queued
    work(rt)
    with rt.db.transaction() as uow:
        rows = uow.session.execute(select(InboundMessage.from_number, InboundMessage.outcome)).all()
    outcomes = dict(rows)
    assert len(rows) == len(pranks) + 2  # every text is in the inbox once
    assert all(outcomes[p.number] == "unknown_sender" for p in pranks)  # each one handled, parked or not


def test_texts_parked_by_earlier_code_move_as_throttled(rt):
    """Records from before the T/N prefix (only throttled texts were parked then)."""
    import json

    from hotline.services.sms import inbox
    record = {"channel": "sms", "sid": "SMold", "raw": {"From": ["+12025550199"], "Body": ["spam"]},
              "throttled": True, "received_at": "2026-11-23T20:00:00+00:00"}
    rt.redis.rpush(inbox.PARKED_KEY, json.dumps(record))
    assert inbox.flush_parked(rt.units, rt.redis) == 1
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(InboundMessage.outcome)).scalar_one() == "throttled"


def test_counting_and_parking_survive_a_redis_that_forgot_the_script(client, rt):
    """Redis restarted without its script cache: the webhook loads the script again, nothing is lost."""
    from hotline.services.sms import admission
    load_roster(rt)
    prank = Phone(client, rt, "+12025550199")
    for i in range(rt.config.texts_per_hour_unknown):
        prank.send(f"lol {i}", process=False)
    rt.redis.script_flush()
    assert prank.send("one too many", process=False) == 200
    assert rt.redis.llen("hotline:inbox:parked") == 1
    hour = int(time.time() // 3600)
    assert 0 < rt.redis.ttl(f"hotline:inrate:{prank.number}:{hour}") <= 3700  # the count goes away
    # A chair's phone is let in without a count (its job counts it) and never parked.
    chair = Phone(client, rt, "+15155550142")
    verdict = admission.admit(rt.units, rt.redis, chair.number, "status", lambda: "never used")
    assert verdict.registered and verdict.chairs_lane and not verdict.throttled and not verdict.parked
    assert rt.redis.llen("hotline:inbox:parked") == 1


def test_a_text_is_admitted_when_redis_is_down(rt):
    """The rate counter fails open: the text is stored and processed, not parked or refused."""
    from hotline.services.sms import admission
    load_roster(rt)
    rt.redis.connection_pool.connection_kwargs.update(port=1)  # nothing listens there
    rt.redis.connection_pool.disconnect()
    verdict = admission.admit(rt.units, rt.redis, "+12025550199", "lol", lambda: "record")
    assert not verdict.throttled and not verdict.parked


def test_the_unknown_lane_lets_a_whole_sweeps_worth_through(client, rt):
    """The sweeper brings waiting texts back every few seconds; the budget lets that batch run."""
    load_roster(rt)
    rt.config = replace(rt.config, unknown_processing_per_second=1, sweep_interval_seconds=4)
    for i in range(6):
        Phone(client, rt, f"+120255502{i:02d}").send("hi", process=False)
    started = time.monotonic()
    work(rt)
    refilled = int(time.monotonic() - started)  # the budget refills at 1 a second meanwhile
    with rt.db.transaction() as uow:
        handled = uow.session.scalar(select(func.count()).select_from(InboundMessage)
                                     .where(InboundMessage.processed_at.is_not(None)))
    assert 4 <= handled <= 4 + refilled  # 1 a second x 4 s between sweeps, not 1 per sweep


def test_throttling_an_unknown_number_adds_to_its_one_backlog_item(client, rt):
    load_roster(rt)
    prank = Phone(client, rt, "+12025550177")
    prank.send("lol")  # processed: the number's unknown-sender item
    admission.note_throttled(rt.units, prank.number)
    admission.note_throttled(rt.units, prank.number)  # a later hour: said once is enough
    with rt.db.transaction() as uow:
        items = uow.session.execute(select(BacklogItem).where(BacklogItem.phone == prank.number)).scalars().all()
    assert len(items) == 1
    assert items[0].summary.startswith(f"Texts from unregistered number {prank.number}, more than ")
    assert items[0].summary.count("texts in an hour") == 1
