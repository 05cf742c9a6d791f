"""The lookups every text and every sweep make stay off the whole inbox (SQLite's query plans).

A night's inbox holds ~100,000 rows, nearly all handled; a full scan per text or per sweep
slowed processing to a crawl in the drill. These read SQLite's own plan for the real statements.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hotline.services import inbox
from hotline.services.inbound import NEXT_FROM_PHONE


def inbox_step(rt, stmt, params=None) -> str:
    """How SQLite's plan for `stmt` reaches inbound_messages."""
    return next(step for step in plan(rt, stmt, params).split(" | ") if "inbound_messages" in step)


def plan(rt, stmt, params=None) -> str:
    compiled = stmt.compile(rt.db.engine)
    with rt.db.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled),
                                    tuple(compiled.construct_params(params or {}).values()))
        return " | ".join(str(row[-1]) for row in rows)


@pytest.fixture
def sqlite_rt(rt):
    if rt.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL plans by its statistics")
    return rt


def test_a_phones_next_text_is_found_through_the_unhandled_index(sqlite_rt):
    step = inbox_step(sqlite_rt, NEXT_FROM_PHONE, {"phone": "+15155550142", "upto": 10})
    assert step.startswith("SEARCH inbound_messages USING INDEX ix_inbound_unhandled_by_phone"), step


@pytest.mark.parametrize("chairs", [True, False])
def test_the_sweepers_lookups_use_the_unhandled_indexes(sqlite_rt, chairs):
    step = inbox_step(sqlite_rt, inbox.unprocessed_query(datetime.now(timezone.utc), chairs, 500))
    assert "inbound_messages USING INDEX ix_inbound_unhandled" in step, step
