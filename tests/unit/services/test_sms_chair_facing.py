"""What a chair reads after a correction and when asking STATUS or DONE: the figures the checks took
from earlier reports are named, and a flagged stage says so and why."""
from __future__ import annotations

from sqlalchemy import select

from hotline.adapters.models import Submission
from hotline.services.records import reports
from hotline.services.units import Units
from tests.unit.services.test_sms import CHAIR, code_in, text

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30 att 140"
FINAL = "final: Biden 0, Pete 55, Klobuchar 0, Bernie 50, Warren 30"
FINAL_LOCKED = "final: Biden 0, Pete 60, Klobuchar 0, Bernie 50, Warren 25"  # Warren was viable: locked
DELEGATES = "dels: Pete 3, Bernie 2, Warren 2"


def record(units: Units, body: str) -> str:
    reply = text(units, CHAIR, body)
    return text(units, CHAIR, f"yes {code_in(reply)}")


def test_a_resent_first_alignment_is_checked_against_the_stages_as_they_stand(units):
    record(units, FIRST)
    record(units, FINAL)
    reply = text(units, CHAIR, "first: Biden 10, Pete 40, Klobuchar 8, Bernie 40, Warren 30")
    lines = reply.splitlines()
    assert lines[1] == "First alignment: Biden 10, Buttigieg 40, Klobuchar 8, Sanders 40, Warren 30 (total 128)"
    # The new first (128, not the old 135) against the final as recorded.
    assert lines[2] == ("CHECK: Final total 135 is more than first total 128 - nobody joins after the "
                        "first count.")
    # ... and the figures that are not in this text are said to come from earlier reports.
    assert lines[3] == ("Checked against what you recorded before: final alignment (total 135) and "
                        "attendance 140.")
    assert lines[4].startswith("Reply YES ")


def test_a_clean_read_back_names_no_earlier_figures(units):
    record(units, FIRST)
    reply = text(units, CHAIR, FINAL)
    assert "CHECK" not in reply and "recorded before" not in reply


def test_problems_the_recorded_reports_already_had_give_way_to_what_the_text_changes(units):
    record(units, FIRST)
    record(units, FINAL_LOCKED)  # flagged: Warren lost members
    reply = text(units, CHAIR, "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30, Yang 9 att 140")
    # Yang's 9 raise the first total above the attendance sent with it: that comes first, not the
    # Warren problem the chair was told about when confirming the final.
    lines = reply.splitlines()
    assert lines[3] == "CHECK: First total 144 is more than attendance 140 - check the counts."
    assert lines[4] == "Checked against what you recorded before: final alignment (total 135)."


def test_status_says_which_recorded_stage_is_flagged_and_why(units):
    record(units, FIRST)
    record(units, FINAL_LOCKED)
    reply = text(units, CHAIR, "STATUS")
    assert ("Final alignment: Biden 0, Buttigieg 60, Klobuchar 0, Sanders 50, Warren 25 (total 135) "
            "- FLAGGED.") in reply
    assert "First alignment: Biden 12, Buttigieg 45, Klobuchar 8, Sanders 40, Warren 30 (total 135)." in reply
    assert ("Flagged, not counted yet (final alignment): Warren was viable with 30 at first but has 25 in "
            "final - viable groups are locked. Hotline staff will call you; or send the corrected "
            "numbers.") in reply


def test_done_says_a_complete_report_is_flagged_and_why(units):
    record(units, FIRST)
    record(units, FINAL_LOCKED)
    record(units, DELEGATES)
    reply = text(units, CHAIR, "DONE")
    assert reply.startswith("DSM-42: all three stages are recorded. Flagged, not counted yet (")
    assert "Thank you!" not in reply
    assert "Warren was viable with 30 at first but has 25 in final" in reply


def test_once_staff_explain_it_status_and_done_no_longer_say_flagged(units):
    record(units, FIRST)
    record(units, FINAL_LOCKED)
    record(units, DELEGATES)
    with units.begin() as uow:
        sub = uow.session.execute(select(Submission).order_by(Submission.id.desc())).scalars().first()
        reports.explain(uow, sub.precinct, "alice", "a group merged, checked with the chair")
    assert "FLAGGED" not in text(units, CHAIR, "STATUS")
    assert text(units, CHAIR, "DONE") == "DSM-42: all three stages are recorded. Thank you!"


def test_a_clean_report_is_not_flagged(units):
    record(units, FIRST)
    record(units, FINAL)
    assert "FLAGGED" not in text(units, CHAIR, "STATUS")
    assert "Flagged" not in text(units, CHAIR, "DONE")
