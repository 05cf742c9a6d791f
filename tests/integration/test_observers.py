"""Observers texting the real webhook: their counts read back and confirmed, compared with the
chair's, conflicts opened, held and cleared; an observation never changes a chair's report."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.adapters.models import BacklogItem, LogEntry, Observation, Precinct, PrecinctHold, Report
from hotline.services.records import holds, sources
from tests.support.chairs import Phone, load_roster, report
from tests.support.observers import add_observer

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
FIRST_OFF = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 33"  # Warren 33, not 30
FINAL = "final: Pete 55, Bernie 48, Warren 32"
DELEGATES = "delegates: Pete 3, Bernie 2, Warren 2"
OBSERVER = "+15155559001"


@pytest.fixture
def night(client, rt):
    load_roster(rt)
    add_observer(rt, OBSERVER, "DSM-42")
    return Phone(client, rt, "+15155550142"), Phone(client, rt, OBSERVER)


def items(rt, kind: str = "source_conflict") -> list[BacklogItem]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(BacklogItem).where(BacklogItem.kind == kind)
                                        .order_by(BacklogItem.id)).scalars())


def conflict_hold(rt) -> PrecinctHold | None:
    with rt.db.transaction() as uow:
        return uow.session.execute(select(PrecinctHold).where(PrecinctHold.kind == "conflict",
                                                              PrecinctHold.released_at.is_(None))).scalars().first()


def chair_counts(rt) -> dict[str, dict]:
    with rt.db.transaction() as uow:
        return {r.stage: r.counts for r in uow.session.execute(select(Report).where(Report.status == "current")).scalars()}


def corroboration(rt):
    with rt.db.transaction() as uow:
        pid = uow.session.execute(select(Precinct.id).where(Precinct.code == "DSM-42")).scalar_one()
        return sources.corroboration(uow.session, rt.config).get(pid)


def test_an_observer_gets_a_read_back_and_a_code_and_agreeing_counts_corroborate(night, rt):
    chair, observer = night
    report(chair, FIRST)
    observer.send(FIRST)
    readback = observer.last()
    assert readback.kind == "readback" and "DSM-42 observer count" in readback.body
    assert "never used instead of it" in readback.body
    observer.send(f"YES {observer.code()}")
    assert observer.last().kind == "recorded" and "compared with the chair's report" in observer.last().body
    assert items(rt) == [] and conflict_hold(rt) is None
    seen = corroboration(rt)
    assert seen.sources == 2 and seen.organisations == ("Warren campaign",) and seen.conflicts == 0


def test_a_differing_count_opens_a_conflict_and_holds_the_figures(night, rt):
    chair, observer = night
    report(chair, FIRST, FINAL, DELEGATES)
    with rt.db.transaction() as uow:
        pid = uow.session.execute(select(Precinct.id).where(Precinct.code == "DSM-42")).scalar_one()
        assert pid not in holds.held_ids(uow.session)
    observer.send(FIRST_OFF)  # a late observation, after the chair's whole report
    observer.send(f"YES {observer.code()}")
    [item] = items(rt)
    assert item.resolved_at is None and "Warren: chair 30, observer 33" in item.summary
    assert item.detail["differences"] == [{"observer_id": item.detail["differences"][0]["observer_id"],
                                           "organisation": "Warren campaign", "stage": "first",
                                           "candidate": "Warren", "chair": 30, "observed": 33}]
    assert conflict_hold(rt) is not None
    with rt.db.transaction() as uow:
        assert pid in holds.held_ids(uow.session)  # out of the public results
        kinds = list(uow.session.execute(select(LogEntry.kind)).scalars())
    assert "source_conflict" in kinds and "observation_confirmed" in kinds
    assert chair_counts(rt)["first"]["Warren"] == 30  # the observation changed nothing of the chair's


def test_the_chair_correcting_to_agree_clears_the_conflict(night, rt):
    chair, observer = night
    report(chair, FIRST)
    report(observer, FIRST_OFF)
    assert conflict_hold(rt) is not None
    report(chair, FIRST_OFF)  # the chair recounts: Warren 33
    [item] = items(rt)
    assert item.resolved_at is not None and item.resolution == "auto" and "agree again" in item.note
    assert conflict_hold(rt) is None
    assert corroboration(rt).sources == 2


def test_a_chair_report_after_the_observation_is_compared_too(night, rt):
    chair, observer = night
    report(observer, FIRST_OFF)
    assert items(rt) == []  # nothing to compare with yet
    report(chair, FIRST)
    [item] = items(rt)
    assert item.detail["trigger"] == "chair report" and conflict_hold(rt) is not None


def test_a_chair_correction_that_still_differs_updates_the_open_conflict(night, rt):
    chair, observer = night
    report(chair, FIRST)
    report(observer, FIRST_OFF)
    report(chair, FIRST.replace("Warren 30", "Warren 31"))
    [item] = items(rt)
    assert item.resolved_at is None and "chair 31, observer 33" in item.summary


def test_staff_confirming_the_chair_settles_it_and_the_same_difference_does_not_reopen(night, rt):
    chair, observer = night
    report(chair, FIRST)
    report(observer, FIRST_OFF)
    with rt.units.begin() as uow:
        precinct = uow.session.execute(select(Precinct).where(Precinct.code == "DSM-42")).scalar_one()
        with pytest.raises(ValueError):
            sources.confirm_chair(uow, precinct, "alice", "  ")
    with rt.units.begin() as uow:
        precinct = uow.session.execute(select(Precinct).where(Precinct.code == "DSM-42")).scalar_one()
        sources.confirm_chair(uow, precinct, "alice", "worksheet photo shows Warren 30")
    assert conflict_hold(rt) is None
    report(chair, FIRST)  # the chair sends the same figures again: nothing new to look at
    [item] = items(rt)
    assert item.resolution == "chair_confirmed" and item.resolved_by == "alice"
    report(chair, FIRST.replace("Warren 30", "Warren 29"))  # a new difference opens it again
    assert len(items(rt)) == 2 and items(rt)[-1].resolved_at is None


def test_an_observer_cannot_report_for_a_precinct_they_are_not_assigned_to(night, rt):
    _, observer = night
    observer.send("DSM-7 " + FIRST)
    assert observer.last().kind == "observer_not_assigned"
    assert "not an observer for DSM-7" in observer.last().body and "DSM-42" in observer.last().body
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(Observation)).scalars().first() is None
        refused = uow.session.execute(select(LogEntry).where(LogEntry.kind == "observation_refused")).scalars().all()
    assert len(refused) == 1 and refused[0].precinct_code == "DSM-7"


def test_a_wrong_code_from_an_observer_counts_tries_and_locks(night, rt):
    _, observer = night
    observer.send(FIRST)
    good = observer.code()
    wrong = "1000" if good != "1000" else "1001"
    observer.send(f"YES {wrong}")
    assert observer.last().kind == "wrong_code" and "2 tries left" in observer.last().body
    observer.send(f"YES {wrong}")
    observer.send(f"YES {wrong}")
    assert observer.last().kind == "code_locked"
    observer.send(f"YES {good}")
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(Observation.status)).scalar_one() == "locked"


def test_an_observer_phone_that_is_also_a_chairs_is_the_chairs(client, rt):
    load_roster(rt)
    add_observer(rt, "+15155550142", "DSM-42")  # the import refuses this; the roster may change after
    chair = Phone(client, rt, "+15155550142")
    report(chair, FIRST)
    assert chair_counts(rt)["first"]["Warren"] == 30
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(Observation)).scalars().first() is None


def test_observer_help_status_and_other_commands(night, rt):
    _, observer = night
    observer.send("HELP")
    assert "Observer line" in observer.last().body and "DSM-42" in observer.last().body
    observer.send("STATUS")
    assert observer.last().body == "No count from you is recorded yet."
    report(observer, FIRST)
    observer.send("STATUS")
    assert "DSM-42: first alignment" in observer.last().body
    observer.send("CALL")
    assert observer.last().kind == "observer_other"
