"""The hash-chained log's head row: written once per transaction, never ahead of the entries."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.adapters.models import LogEntry, LogHead
from hotline.services.log import chain as vlog
from tests.support.chairs import statements_run


def _head(rt) -> tuple[int, str]:
    with rt.db.reading() as s:
        row = s.execute(select(LogHead.seq, LogHead.hash).where(LogHead.id == 1)).one()
        return row[0], row[1]


def test_head_is_written_once_per_transaction_and_names_the_newest_entry(rt):
    with statements_run(rt.db.engine) as statements, rt.db.transaction() as uow:
        for n in range(3):
            vlog.record(uow.session, "test_entry", actor="tester", n=n)
    assert sum(s.lstrip().upper().startswith("UPDATE LOG_HEAD") for s in statements) == 1
    with rt.db.reading() as s:
        newest = s.execute(select(LogEntry).order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
        assert vlog.verify(s) is None
    assert _head(rt) == (newest.seq, newest.hash)


def test_a_rolled_back_transaction_leaves_the_chain_as_it_was(rt):
    with rt.db.transaction() as uow:
        vlog.record(uow.session, "test_entry", n=1)
    before = _head(rt)
    with pytest.raises(RuntimeError):
        with rt.db.transaction() as uow:
            vlog.record(uow.session, "test_entry", n=2)
            raise RuntimeError("the handler failed after logging")
    assert _head(rt) == before
    with rt.db.transaction() as uow:
        vlog.record(uow.session, "test_entry", n=3)
        vlog.record(uow.session, "test_entry", n=4)
    with rt.db.reading() as s:
        assert vlog.verify(s) is None
        assert [e.detail["n"] for e in s.execute(select(LogEntry).order_by(LogEntry.seq)).scalars()] == [1, 3, 4]
    assert _head(rt)[0] == before[0] + 2


def test_verify_inside_a_transaction_counts_its_own_new_entries(rt):
    with rt.db.transaction() as uow:
        vlog.record(uow.session, "test_entry", n=1)
        vlog.record(uow.session, "test_entry", n=2)
        assert vlog.verify(uow.session) is None  # the head is not behind its entries
        vlog.record(uow.session, "test_entry", n=3)
    with rt.db.reading() as s:
        assert vlog.verify(s) is None
        assert s.execute(select(LogHead.seq)).scalar_one() == 3


def test_one_session_reused_across_commits_reads_the_head_again(rt):
    session = rt.db.sessions()
    try:
        vlog.record(session, "test_entry", n=1)
        session.commit()
        with rt.db.transaction() as uow:  # someone else appends in between
            vlog.record(uow.session, "test_entry", n=2)
        vlog.record(session, "test_entry", n=3)
        session.commit()
    finally:
        session.close()
    with rt.db.reading() as s:
        assert vlog.verify(s) is None
        assert [e.seq for e in s.execute(select(LogEntry).order_by(LogEntry.seq)).scalars()] == [1, 2, 3]
