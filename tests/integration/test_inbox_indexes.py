"""The lookups every text and every sweep make stay off the whole inbox (SQLite's query plans).

A night's inbox holds ~100,000 rows, nearly all handled; a full scan per text or per sweep
slowed processing to a crawl in the drill. These read SQLite's own plan for the real statements.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import bindparam, select

from hotline.adapters.models import Report
from hotline.services.sms import inbox
from hotline.services.records import outbox as outbound
from hotline.services.sms.process import NEXT_FROM_PHONE


def inbox_step(rt, stmt, params=None) -> str:
    """How SQLite's plan for `stmt` reaches inbound_messages."""
    return step_on(rt, "inbound_messages", stmt, params)


def step_on(rt, table: str, stmt, params=None) -> str:
    """How SQLite's plan for `stmt` (its values written in, lists too) reaches `table`."""
    sql = str(stmt.params(**(params or {})).compile(rt.db.engine, compile_kwargs={"literal_binds": True}))
    with rt.db.engine.connect() as conn:
        steps = [str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    return next(step for step in steps if f" {table} " in f" {step} ")


@pytest.fixture
def sqlite_rt(rt):
    if rt.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL plans by its statistics")
    return rt


def test_a_phones_next_text_is_found_through_the_unhandled_index(sqlite_rt):
    params = {"phone": "+15155550142", "upto": 10, "hour_start": datetime.now(timezone.utc)}
    step = inbox_step(sqlite_rt, NEXT_FROM_PHONE, params)
    assert step.startswith("SEARCH inbound_messages USING INDEX ix_inbound_unhandled_by_phone"), step
    # and its count this hour reads only that phone's rows
    step = step_on(sqlite_rt, "inbound_messages_1", NEXT_FROM_PHONE, params)
    assert "USING INDEX ix_inbound_messages_from_number" in step, step


@pytest.mark.parametrize("chairs", [True, False])
def test_the_sweepers_lookups_use_the_unhandled_indexes(sqlite_rt, chairs):
    step = inbox_step(sqlite_rt, inbox.unprocessed_query(datetime.now(timezone.utc), chairs, 500))
    assert "inbound_messages USING INDEX ix_inbound_unhandled" in step, step


def test_a_submissions_reports_are_found_by_index(sqlite_rt):
    # The statement behind Submission.reports, which every YES and every repeated report loads.
    stmt = select(Report).where(Report.submission_id == bindparam("sid"))
    step = step_on(sqlite_rt, "reports", stmt, {"sid": 1})
    assert step.startswith("SEARCH reports USING INDEX ix_reports_submission_id"), step


def test_the_replies_to_a_repeated_report_are_found_by_index(sqlite_rt):
    step = step_on(sqlite_rt, "outbound_messages", outbound.REPLIES_TO_SUBMISSION,
                   {"sender": "+15155550142", "submission_id": 1, "kinds": ["readback"]})
    assert step.startswith("SEARCH outbound_messages USING INDEX ix_outbound_messages_inbound_id"), step
