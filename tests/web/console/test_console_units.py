"""Small pure pieces of the console: the number grid, board states, claim holders, safe redirects."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from hotline.domain.model import Candidate, Stage
from hotline.adapters.models import utcnow
from hotline.services.console import board, claims
from hotline.web import forms

CANDS = [Candidate("Biden"), Candidate("Buttigieg"), Candidate("Warren")]


def test_grid_reads_numbers_and_skips_blanks():
    form = MultiDict({"first-0": "12", "first-1": " 45 ", "final-2": "0", "delegates-0": "", "attendance": "140"})
    stages, attendance, problems = forms.read_grid(form, CANDS)
    assert stages == {Stage.FIRST: {"Biden": 12, "Buttigieg": 45}, Stage.FINAL: {"Warren": 0}}
    assert attendance == 140 and problems == []


@pytest.mark.parametrize("raw", ["x", "-3", "1.5", "999999"])
def test_grid_names_the_bad_box(raw):
    _, _, problems = forms.read_grid(MultiDict({"final-1": raw}), CANDS)
    assert problems == [f"Final alignment, Buttigieg: '{raw.strip()}' is not a whole number."]


def test_grid_values_round_trip():
    stages = {Stage.FIRST: {"Biden": 12, "Warren": 30}, Stage.DELEGATES: {"Warren": 2}}
    values = forms.grid_values(stages, CANDS, attendance=99)
    assert values == {"first-0": "12", "first-2": "30", "delegates-2": "2", "attendance": "99"}
    assert forms.read_grid(MultiDict(values), CANDS)[:2] == (stages, 99)


def test_parse_time_is_utc_and_forgiving():
    assert forms.parse_time("2020-02-03T19:30").isoformat() == "2020-02-03T19:30:00+00:00"
    assert forms.parse_time("yesterday") is None and forms.parse_time("") is None


def _sub(**kw):
    return SimpleNamespace(**{"flagged": False, "explained_at": None, "source": "sms", "approved_by": None, **kw})


ALL = {"first", "final", "delegates"}


@pytest.mark.parametrize("stages, awaiting, corrected, latest, state", [
    (set(), False, False, None, "not_reported"),
    (ALL, False, False, _sub(), "confirmed"),
    ({"first"}, False, False, _sub(), "partial"),          # one stage in is not "Confirmed"
    ({"first", "final"}, False, True, _sub(), "partial"),
    ({"first"}, False, True, _sub(source="staff", approved_by="bob"), "partial"),
    (ALL, False, True, _sub(), "corrected"),
    (ALL, False, True, _sub(source="staff", approved_by="bob"), "approved"),
    ({"first"}, True, False, _sub(), "awaiting"),
    ({"first"}, True, False, _sub(flagged=True), "flagged"),
    ({"first"}, False, False, _sub(flagged=True), "flagged"),
    (ALL, False, False, _sub(flagged=True, explained_at=utcnow()), "confirmed"),
])
def test_board_state_precedence(stages, awaiting, corrected, latest, state):
    assert board._state(stages, awaiting, corrected, latest) == state


def test_a_partly_reported_precinct_names_its_stages():
    assert board.state_label("partial", ("first",)) == "Partly reported (first alignment only)"
    assert board.state_label("partial", ("first", "final")) == "Partly reported (first alignment and final alignment)"
    assert board.state_label("confirmed", ("first", "final", "delegates")) == "Confirmed (all three stages)"


def test_claim_holder_only_while_the_claim_lasts():
    now = utcnow()
    live = SimpleNamespace(claimed_by="alice", claim_expires_at=now + timedelta(minutes=1))
    stale = SimpleNamespace(claimed_by="alice", claim_expires_at=now - timedelta(seconds=1))
    assert claims.holder(live, now) == "alice" and claims.holder(stale, now) is None
    assert claims.label("failed_check") == "Report failed a check"
    assert claims.label("brand_new_kind") == "Brand new kind"


@pytest.mark.parametrize("target, expected", [
    ("/console/items/4", "/console/items/4"), ("//evil.example", "/console/"),
    ("https://evil.example/", "/console/"), ("/\\evil", "/console/"), (None, "/console/")])
def test_safe_next(app, target, expected):
    from hotline.web.auth import safe_next
    with app.test_request_context():
        assert safe_next(target) == expected
