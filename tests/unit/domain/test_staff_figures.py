"""Per-staff figures from log events: resolved, median claim-to-resolve time, approvals."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hotline.domain.staff_figures import (
    APPROVED,
    CLAIMED,
    RELEASED,
    RESOLVED,
    duration_words,
    tally,
)

T0 = datetime(2020, 2, 3, 20, 0, tzinfo=timezone.utc)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_median_of_claim_to_resolve_per_person():
    events = [(CLAIMED, "alice", 1, at(0)), (RESOLVED, "alice", 1, at(60)),
              (CLAIMED, "alice", 2, at(100)), (RESOLVED, "alice", 2, at(400)),
              (CLAIMED, "alice", 3, at(500)), (RESOLVED, "alice", 3, at(1400))]
    figures = tally(events)["alice"]
    assert (figures.resolved, figures.median_seconds, figures.approved) == (3, 300.0, 0)


def test_an_even_count_takes_the_mean_of_the_middle_two():
    events = [(CLAIMED, "bob", 1, at(0)), (RESOLVED, "bob", 1, at(60)),
              (CLAIMED, "bob", 2, at(100)), (RESOLVED, "bob", 2, at(400))]
    assert tally(events)["bob"].median_seconds == 180.0


def test_a_renewed_claim_keeps_the_start_and_a_release_ends_it():
    events = [(CLAIMED, "alice", 1, at(0)), (CLAIMED, "alice", 1, at(50)), (RESOLVED, "alice", 1, at(100)),
              (CLAIMED, "alice", 2, at(0)), (RELEASED, "alice", 2, at(10)),
              (CLAIMED, "alice", 2, at(200)), (RESOLVED, "alice", 2, at(260))]
    assert tally(events)["alice"].durations == [100.0, 60.0]


def test_a_lapsed_claim_taken_over_counts_from_the_new_holder():
    events = [(CLAIMED, "alice", 1, at(0)), (CLAIMED, "bob", 1, at(700)), (RESOLVED, "bob", 1, at(760))]
    result = tally(events)
    assert result["bob"].durations == [60.0] and "alice" not in result


def test_a_close_without_a_claim_counts_as_resolved_without_a_time():
    events = [(RESOLVED, "carol", 9, at(5)), (APPROVED, "carol", None, at(6)), (APPROVED, "carol", None, at(7)),
              (RESOLVED, None, 4, at(8))]
    figures = tally(events)["carol"]
    assert (figures.resolved, figures.median_seconds, figures.approved) == (1, None, 2)
    assert set(tally(events)) == {"carol"}


def test_durations_read_as_words():
    assert [duration_words(s) for s in (None, 45, 300, 272.6, 3720)] == ["-", "45 s", "5 min 0 s", "4 min 33 s",
                                                                         "1 h 2 min"]
