"""The send budget planner's arithmetic and queue model."""
from __future__ import annotations

from dataclasses import replace

import pytest

from hotline.domain import send_budget as b
from hotline.domain.model import Stage
from hotline.domain.segments import GSM7, measure
from hotline.domain.wording import sms as wording


def test_sending_time_is_segments_over_numbers_times_rate():
    assert b.sending_seconds(600, 10, 1.0) == 60
    assert b.sending_seconds(600, 2, 3.0) == 100
    with pytest.raises(ValueError):
        b.sending_seconds(1, 0, 1.0)


def test_the_nights_texts_use_the_drills_measured_total_per_precinct():
    a = b.Assumptions(reminder_share=0, broadcasts=0)
    p = b.plan(b.DRILL_PRECINCTS, b.DRILL_NUMBERS, b.DRILL_RATE, a)
    assert p.texts == pytest.approx(b.DRILL_TEXTS_SENT, rel=0.001)
    sources = {f.name: f.source for f in p.figures}
    assert sources["other replies per precinct"].startswith("measured")
    assert sources["share of precincts reminded"].startswith("assumed")


def test_segments_count_in_the_budget():
    one = b.plan(100, 10, 1.0, b.Assumptions(readback_segments=1))
    two = b.plan(100, 10, 1.0, b.Assumptions(readback_segments=2))
    assert two.segments - one.segments == pytest.approx(100 * one.lines[0].texts / 100)
    assert two.texts == one.texts


def test_a_queue_waits_only_when_arrivals_outrun_capacity():
    assert b.waits([(0, 1), (10, 1)], capacity=1) == [1, 1]
    assert b.waits([(0, 1), (0, 1), (0, 1)], capacity=1) == [1, 2, 3]


def test_more_numbers_never_wait_longer_and_enough_numbers_meet_the_target():
    waits = [b.peak_wait(1765, k, 1.0).max_wait for k in (10, 25, 50, 100)]
    assert waits == sorted(waits, reverse=True)
    k = b.numbers_needed(1765, 1.0)
    assert b.peak_wait(1765, k, 1.0).max_wait < b.TARGET_WAIT_SECONDS
    assert b.peak_wait(1765, k - 1, 1.0).max_wait >= b.TARGET_WAIT_SECONDS


def test_faster_number_types_need_fewer_numbers():
    p = b.plan(1765, 50, 1.0)
    needed = {o.kind.key: o.numbers for o in p.options}
    assert needed["long-code"] > needed["toll-free"] > needed["short-code"] == 1
    assert needed["long-code"] == p.numbers_needed


def test_the_model_is_no_kinder_than_the_drill_measured():
    # The drill (read-backs of 3-6 groups, mostly one segment) measured p99 22.4 s on 50 numbers at 1/s.
    one_segment = replace(b.Assumptions(), readback_segments=1)
    assert b.peak_wait(b.DRILL_PRECINCTS, 50, 1.0, one_segment).p99_wait >= b.DRILL_READBACK_WAIT_P99


def test_a_big_state_is_sampled_and_scales():
    small = b.peak_wait(4000, 100, 1.0)
    big = b.peak_wait(40000, 1000, 1.0)
    assert big.max_wait == pytest.approx(small.max_wait, rel=0.01)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        b.plan(10, 0, 1.0)
    with pytest.raises(ValueError):
        b.plan(10, 1, 1.0, number_type="carrier-pigeon")
    assert b.plan(0, 1, 1.0).texts == 0


def test_durations_read_well():
    assert [b.duration(s) for s in (5, 200, 3900)] == ["5 s", "3 min 20 s", "1 h 5 min"]


def test_reminder_wording_is_gsm7_and_one_segment():
    for missing in ([], list(Stage), [Stage.FINAL, Stage.DELEGATES], [Stage.DELEGATES]):
        body = wording.blast_reminder(["WDM-1234"], missing)
        m = measure(body)
        assert m.encoding == GSM7 and len(body) < 160 and m.count == 1, body
    assert "no results" in wording.blast_reminder(["DSM-1"], list(Stage))
    assert "final alignment and county delegates" in wording.blast_reminder(["DSM-1"], [Stage.FINAL, Stage.DELEGATES])
