"""The results feed's sequence under concurrent writers: one number per change, none shared."""
from __future__ import annotations

import threading
import time

from sqlalchemy import delete, select, update

from hotline.adapters.models import Precinct, ResultChange, ResultSequence
from hotline.services.records import feed
from tests.support.chairs import IC_5_DELEGATES, IC_5_FINAL, IC_5_FIRST, Phone, load_roster, report

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
FINAL = "final: Pete 55, Bernie 48, Warren 32"


def test_concurrent_changes_take_distinct_sequences_in_commit_order(client, rt):
    load_roster(rt)
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, "delegates: Pete 3, Bernie 2, Warren 2")
    report(Phone(client, rt, "+13195550105"), IC_5_FIRST, IC_5_FINAL, IC_5_DELEGATES)
    with rt.db.transaction() as uow:  # forget the feed: both precincts' publication is news again
        uow.session.execute(delete(ResultChange))
        uow.session.execute(update(ResultSequence).values(value=0, at=None))
    with rt.db.reading() as s:
        precincts = {code: pid for pid, code in s.execute(select(Precinct.id, Precinct.code))}

    taken: dict[str, int] = {}
    errors: list[BaseException] = []
    first_in = threading.Event()

    def note(code: str, hold: float) -> None:
        try:
            with rt.db.transaction() as uow:
                row = feed.note(uow.session, precincts[code], code, "sms", "confirmed")
                assert row is not None
                taken[code] = row.sequence
                first_in.set()
                time.sleep(hold)  # keep the sequence row locked a while before committing
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    a = threading.Thread(target=note, args=("DSM-42", 0.5))
    a.start()
    assert first_in.wait(10)
    b = threading.Thread(target=note, args=("IC-5", 0))
    b.start()
    a.join(20)
    b.join(20)
    assert errors == []
    assert taken == {"DSM-42": 1, "IC-5": 2}
    with rt.db.reading() as s:
        assert list(s.execute(select(ResultChange.sequence, ResultChange.precinct_code)
                              .order_by(ResultChange.sequence))) == [(1, "DSM-42"), (2, "IC-5")]
        assert s.execute(select(ResultSequence.value)).scalar_one() == 2
