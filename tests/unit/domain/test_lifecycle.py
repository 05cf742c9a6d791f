"""The report lifecycle's rules: which transitions exist, and when wrong codes lock a read-back."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hotline.domain import lifecycle
from hotline.domain.lifecycle import LifecycleError, ReportStatus, SubmissionStatus
from hotline.domain.texts import continued_parts

AWAITING = SubmissionStatus.AWAITING.value  # as the database hands it back: a plain string


def test_only_a_waiting_submission_can_be_confirmed():
    assert lifecycle.confirm(AWAITING) is SubmissionStatus.CONFIRMED
    for status in SubmissionStatus:
        if status is not SubmissionStatus.AWAITING:
            with pytest.raises(LifecycleError):
                lifecycle.confirm(status.value)


@pytest.mark.parametrize("why", sorted(lifecycle.VOIDED, key=str))
def test_a_voided_submission_discards_its_reports(why):
    assert lifecycle.void(AWAITING, why) == (why, ReportStatus.DISCARDED)


def test_a_confirmed_submission_cannot_be_voided_nor_voided_as_confirmed():
    with pytest.raises(LifecycleError):
        lifecycle.void(SubmissionStatus.CONFIRMED.value, SubmissionStatus.CANCELLED)
    with pytest.raises(LifecycleError):
        lifecycle.void(AWAITING, SubmissionStatus.CONFIRMED)


def test_only_a_current_report_is_superseded():
    assert lifecycle.supersede("current") is ReportStatus.SUPERSEDED
    with pytest.raises(LifecycleError):
        lifecycle.supersede("pending")


def test_wrong_codes_count_down_and_lock_at_the_limit():
    assert lifecycle.wrong_code(0, 3) == lifecycle.WrongCode(1, 2, False)
    assert lifecycle.wrong_code(1, 3) == lifecycle.WrongCode(2, 1, False)
    assert lifecycle.wrong_code(2, 3) == lifecycle.WrongCode(3, 0, True)


def test_statuses_compare_equal_to_what_the_database_stores():
    assert SubmissionStatus.AWAITING == "awaiting_confirmation" and ReportStatus.CURRENT == "current"


def test_counts_fingerprint_ignores_order_but_not_numbers():
    fp = lifecycle.counts_fingerprint
    assert fp({"A": 1, "B": 2}) == fp({"B": 2, "A": 1}) != fp({"A": 1, "B": 3})


def test_a_text_continues_the_earlier_parts_of_a_report_sent_moments_before():
    now = datetime(2020, 2, 3, 20, 0, tzinfo=timezone.utc)
    window = timedelta(seconds=30)
    earlier = [("parse_error", now - timedelta(seconds=5)), ("readback", now - timedelta(seconds=20)),
               ("status", now - timedelta(seconds=25))]
    assert continued_parts(earlier, now, window) == 2  # a STATUS reply is not part of a report
    assert continued_parts([("parse_error", now - timedelta(seconds=40))], now, window) == 0
    assert continued_parts([], now, window) == 0
