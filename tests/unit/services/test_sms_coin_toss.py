"""Recording a coin toss: by text (COIN), refused when it cannot be right, re-checked, logged."""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from hotline.adapters.models import BacklogItem, CoinTossRow, LogEntry, ResultChange, Submission
from hotline.services.records import coin_toss, roster
from hotline.services.sms import inbox, process
from hotline.services.units import Units
from tests.support import roster as test_roster
from tests.unit.services.fakes import FakeJobs, memory_units

CHAIR6, CHAIR42, STRANGER = "+15155550106", "+15155550142", "+12025550199"
# caucus-rules.md: 40 attendees, D = 8 (V = 6), final 6 / 8 / 8 / 9 / 9; raw 1.2 / 1.6 / 1.6 / 1.8 / 1.8
# rounds to 9 delegates, and the two groups at .6 tie: a coin toss decides which gives one up.
FORTY = "Klobuchar 6, Sanders 8, Warren 8, Biden 9, Pete 9"
NIGHT6 = (f"first: {FORTY} att 40", f"final: {FORTY}",
          "delegates: Klobuchar 1, Sanders 1, Warren 2, Biden 2, Pete 2")  # Warren won the toss
_sids = itertools.count(1000)


@pytest.fixture
def units(jobs: FakeJobs) -> Iterator[Units]:
    u = memory_units(jobs)
    with u.begin() as uow:  # one more precinct: DSM-6 elects 8 delegates
        test_roster.load(uow.session, test_roster.ROSTER + "DSM-6,Polk,Des Moines 6,8,Ann Lee,+15155550106,6666,60\n")
    roster.forget_cached(u)
    yield u
    u.db.dispose()


def text(units: Units, phone: str, body: str) -> str:
    stored = inbox.store(units, "sms", f"SM{next(_sids):032d}", {"From": [phone], "Body": [body]})
    process.handle_texts(units, None, stored.inbound_id, phone)  # type: ignore[arg-type]
    from tests.unit.services.test_sms import last_reply
    return last_reply(units, phone)


def report(units: Units, phone: str, *bodies: str) -> list[str]:
    readbacks = []
    for body in bodies:
        reply = text(units, phone, body)
        readbacks.append(reply)
        code = re.search(r"YES (\d{4,6})", reply)
        assert code, reply
        text(units, phone, f"YES {code.group(1)}")
    return readbacks


class Newest:
    def __init__(self, sub: Submission) -> None:
        self.flagged, self.findings = sub.flagged, list(sub.findings)


def newest(units: Units) -> Newest:
    """The newest confirmed submission's flag and findings."""
    with units.reading() as s:
        return Newest(s.scalars(select(Submission).where(Submission.status == "confirmed")
                                .order_by(Submission.id.desc())).first())


def sequence(units: Units) -> int:
    with units.reading() as s:
        return s.scalar(select(ResultChange.sequence).order_by(ResultChange.sequence.desc())) or 0


def test_the_read_back_asks_who_won_the_toss(units):
    readbacks = report(units, CHAIR6, *NIGHT6)
    assert "Coin toss between Sanders and Warren: who won? Text COIN and the name, e.g. COIN Sanders" \
        in readbacks[-1]
    # The final alignment already shows the tie, but who won can be recorded only with the delegates.
    assert "Coin toss" not in readbacks[0] and "Coin toss" not in readbacks[1]


def test_coin_by_text_is_recorded_logged_and_confirmed(units, jobs):
    report(units, CHAIR6, *NIGHT6)
    published = sequence(units)
    reply = text(units, CHAIR6, "coin warrn")  # a misspelling still names Warren
    assert reply == ("DSM-6: coin toss recorded: Warren won. If that is wrong, text COIN and the right name.")
    with units.reading() as s:
        row = s.scalars(select(CoinTossRow)).one()
        assert (row.winners, row.groups, row.channel, row.recorded_by) == (["Warren"], ["Sanders", "Warren"],
                                                                          "sms", CHAIR6)
        entry = s.scalars(select(LogEntry).where(LogEntry.kind == "coin_toss_recorded")).one()
        assert entry.phone == CHAIR6 and entry.precinct_code == "DSM-6"
        assert entry.detail["winners"] == ["Warren"] and entry.detail["channel"] == "sms"
        assert CHAIR6 not in str(entry.detail) and "Ann Lee" not in str(entry.detail)
        toss = coin_toss.latest(s, row.precinct_id)
        assert toss is not None and toss.winners == ("Warren",) and toss.log_seq == entry.seq
    assert not newest(units).flagged
    assert [f["code"] for f in newest(units).findings if f["code"].startswith("coin")] == ["coin-toss"]
    assert "won by Warren" in [f["message"] for f in newest(units).findings if f["code"] == "coin-toss"][0]
    assert sequence(units) == published  # the published figures did not change
    # With a precinct code, as from a phone that serves several precincts.
    assert text(units, CHAIR6, "DSM-6 COIN Warren").startswith("DSM-6: coin toss recorded: Warren won.")


def test_coin_with_a_name_outside_the_tie_is_refused_and_nothing_is_stored(units):
    report(units, CHAIR6, *NIGHT6)
    reply = text(units, CHAIR6, "COIN Biden")
    assert reply.startswith("DSM-6: Biden is not in the coin toss (between Sanders and Warren).")
    assert "Nothing was recorded." in reply
    assert "could not tell who 'Xyzzy'" in text(units, CHAIR6, "COIN Xyzzy")
    assert "did not say who won" in text(units, CHAIR6, "COIN")
    assert "Only one of Sanders and Warren can win" in text(units, CHAIR6, "COIN Sanders Warren")
    with units.reading() as s:
        assert s.scalars(select(CoinTossRow)).all() == []
        assert s.scalars(select(LogEntry.kind).where(LogEntry.kind == "coin_toss_refused")).all()


def test_coin_before_the_delegates_or_without_a_tie_or_from_another_phone_is_refused(units):
    assert "no county delegates are recorded yet" in text(units, CHAIR6, "COIN Warren")
    report(units, CHAIR42, "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30",
           "final: Pete 55, Bernie 48, Warren 32", "delegates: Pete 3, Bernie 2, Warren 2")
    assert "no coin toss" in text(units, CHAIR42, "COIN Warren")
    assert text(units, CHAIR42, "DSM-6 COIN Warren").startswith("Only the chair's registered phone can"
                                                                " record a coin toss for DSM-6.")
    assert text(units, STRANGER, "DSM-6 COIN Warren").startswith("This phone is not registered")
    with units.reading() as s:  # a number not on the roster gets its one backlog item, as for reports
        assert s.scalars(select(BacklogItem.kind)).all() == ["unknown_sender"]
    with units.reading() as s:
        assert s.scalars(select(CoinTossRow)).all() == []


def test_a_toss_that_contradicts_the_delegates_holds_the_precinct_until_changed(units, jobs):
    report(units, CHAIR6, *NIGHT6)
    published = sequence(units)
    assert published > 0 and not newest(units).flagged
    reply = text(units, CHAIR6, "COIN Sanders")
    assert reply.startswith("DSM-6: coin toss recorded: Sanders won. It does not fit the delegates sent: The"
                            " worksheet gives Warren the delegate, but the coin toss was recorded as won by"
                            " Sanders")
    sub = newest(units)
    assert sub.flagged and "coin-toss-mismatch" in [f["code"] for f in sub.findings]
    with units.reading() as s:
        held = s.scalars(select(ResultChange).order_by(ResultChange.sequence.desc())).first()
        items = s.scalars(select(BacklogItem).where(BacklogItem.kind == "failed_check")).all()
        assert held.sequence == published + 1 and held.new is None  # held from publication
        assert held.reason == "held: the newest report failed the checks"
        assert len(items) == 1 and items[0].resolved_at is None and "coin toss" in items[0].summary
    assert "results_changed" in jobs.kinds()
    # The chair corrects the toss: published again, the item closes itself.
    assert text(units, CHAIR6, "COIN Warren").startswith("DSM-6: coin toss recorded: Warren won. If that")
    assert not newest(units).flagged
    with units.reading() as s:
        again = s.scalars(select(ResultChange).order_by(ResultChange.sequence.desc())).first()
        item = s.scalars(select(BacklogItem).where(BacklogItem.kind == "failed_check")).one()
        assert len(s.scalars(select(CoinTossRow)).all()) == 2
        assert again.sequence == published + 2 and again.new is not None
        assert again.reason == "coin toss recorded"
        assert item.resolved_at is not None


# DSM-42 elects 7. 14 attendees, final 6 / 5 / 2 / 1: V = 3, Sanders and Warren share the 7 delegates
# and a coin toss decides who takes the odd one, so Warren (5) may get 4 and Sanders (6) only 3.
SMALL = "Sanders 6, Warren 5, Biden 2, Klobuchar 1"
NIGHT42 = (f"first: {SMALL} att 14", f"final: {SMALL}", "delegates: Sanders 3, Warren 4")


def test_an_allocation_only_a_toss_explains_is_a_warning_until_the_toss_is_recorded(units):
    readbacks = report(units, CHAIR42, *NIGHT42)
    assert "CHECK: Coin toss between Sanders and Warren not recorded yet" in readbacks[-1]
    sub = newest(units)
    assert [(f["code"], f["severity"]) for f in sub.findings if f["code"].startswith("coin")] == \
        [("coin-toss-unrecorded", "warning")]
    assert not sub.flagged  # a warning holds nothing
    assert text(units, CHAIR42, "COIN Warren").startswith("DSM-42: coin toss recorded: Warren won.")
    assert [(f["code"], f["severity"]) for f in newest(units).findings if f["code"].startswith("coin")] == \
        [("coin-toss", "info")]
