"""The bulk audit: output shape, validation by line number, streaming passes, and the sample generator."""
from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.audit.run import AuditInputError, run_audit
from hotline.cli.audit import audit_command

HEADER = "county,precinct,delegates,candidate,first,final,county_delegates,attendance,sde\n"
# Polk P-1: caucus-rules.md 200 / D = 7 / 100-50-50, reported correctly (3 / 2 / 2).
P1 = ("Polk,P-1,7,Sanders,100,100,3,200,\n"
      "Polk,P-1,7,Warren,50,50,2,200,\n"
      "Polk,P-1,7,Biden,50,50,2,200,\n")
# Polk P-2: 40 / D = 8 coin toss, reported one of the two outcomes.
P2 = ("Polk,P-2,8,A,6,6,1,40,\n"
      "Polk,P-2,8,B,8,8,2,40,\n"
      "Polk,P-2,8,C,8,8,1,40,\n"
      "Polk,P-2,8,D,9,9,2,40,\n"
      "Polk,P-2,8,E,9,9,2,40,\n")
# Story S-1: 90 / D = 3 / 75-15 reported 3 / 0: wrong (should be 2 / 1).
S1 = ("Story,S-1,3,Sanders,75,75,3,90,\n"
      "Story,S-1,3,Warren,15,15,0,90,\n")
COUNTIES = "county,state_delegates,county_delegates\nPolk,4,15\nStory,1,3\n"


def write(tmp_path: Path, text: str, name: str = "results.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def audit_json(tmp_path: Path, text: str, counties: str | None = None) -> dict:
    args = [str(write(tmp_path, text))]
    if counties is not None:
        args += ["--counties", str(write(tmp_path, counties, "counties.csv"))]
    result = CliRunner().invoke(audit_command, args + ["--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_shape_and_results(tmp_path):
    data = audit_json(tmp_path, HEADER + P1 + P2 + S1, COUNTIES)
    assert set(data) == {"precincts", "summary"}
    p1, p2, s1 = data["precincts"]
    assert set(p1) == {"county", "precinct", "flagged", "computed", "alternatives", "computed_sde", "findings"}
    assert (p1["county"], p1["precinct"], p1["flagged"]) == ("Polk", "P-1", False)
    assert p1["computed"] == {"Sanders": 3, "Warren": 2, "Biden": 2} and p1["alternatives"] == []
    assert p1["computed_sde"] == {"Sanders": 0.8, "Warren": 0.5333, "Biden": 0.5333}  # R = 4/15
    assert p1["findings"] == []
    assert all(set(f) == {"code", "severity", "candidate", "message"} for f in s1["findings"])
    # Coin toss: the reported outcome is `computed`, the other one an alternative.
    assert p2["computed"] == {"A": 1, "B": 2, "C": 1, "D": 2, "E": 2}
    assert p2["alternatives"] == [{"A": 1, "B": 1, "C": 2, "D": 2, "E": 2}]
    assert [f["code"] for f in p2["findings"]] == ["coin-toss"] and not p2["flagged"]
    assert s1["flagged"] and s1["computed"] == {"Sanders": 2, "Warren": 1}
    mismatch = [f for f in s1["findings"] if f["code"] == "allocation-mismatch"]
    assert mismatch[0]["candidate"] == "Sanders" and mismatch[0]["severity"] == "error"
    assert mismatch[0]["message"].startswith("Sanders: the caucus math gives 2 county delegates, not 3.")


def test_json_summary(tmp_path):
    summary = audit_json(tmp_path, HEADER + P1 + P2 + S1, COUNTIES)["summary"]
    assert (summary["precincts"], summary["flagged"]) == (3, 1)
    assert summary["by_code"]["allocation-mismatch"] == 1  # precincts, not findings
    assert summary["by_code"]["coin-toss"] == 1
    # Totals are the reported numbers; SDEs of the reported delegates, rounded per precinct.
    assert summary["totals"]["Sanders"] == {"first": 175, "final": 175, "county_delegates": 6,
                                            "sde": 0.8 + 1.0}
    assert summary["totals"]["Warren"]["sde"] == 0.5333


def test_without_counties_no_sde(tmp_path):
    data = audit_json(tmp_path, HEADER + P1)
    assert data["precincts"][0]["computed_sde"] is None
    assert data["summary"]["totals"]["Sanders"]["sde"] is None


def test_sde_column_checked_against_the_county_ratio(tmp_path):
    rows = P1.replace("Sanders,100,100,3,200,", "Sanders,100,100,3,200,0.8000") \
             .replace("Warren,50,50,2,200,", "Warren,50,50,2,200,5.333")
    data = audit_json(tmp_path, HEADER + rows, COUNTIES)
    sde = [f for f in data["precincts"][0]["findings"] if f["code"] == "sde-mismatch"]
    assert [f["candidate"] for f in sde] == ["Warren"]  # 0.8000 is right; 5.333 should be 0.533
    assert "should be 0.533" in sde[0]["message"]


def test_satellite_blank_delegates_skips_allocation_checks(tmp_path):
    sat = ("Polk,SAT-1,,A,10,10,3,,\n"
           "Polk,SAT-1,,B,5,5,0,,\n")
    p = audit_json(tmp_path, HEADER + sat)["precincts"][0]
    assert [f["code"] for f in p["findings"] if f["severity"] != "info"] == []
    assert "satellite" in [f["code"] for f in p["findings"]] and p["computed"] == {"A": 3, "B": 0}


def test_partial_and_missing_stages(tmp_path):
    partial = ("Polk,P-3,2,A,,30,1,,\n"       # first alignment only for B (2020's partial data)
               "Polk,P-3,2,B,10,10,1,,\n")
    missing = ("Polk,P-4,2,A,30,30,,,\n"
               "Polk,P-4,2,B,10,10,,,\n")
    p3, p4 = audit_json(tmp_path, HEADER + partial + missing)["precincts"]
    assert "stage-partial" in [f["code"] for f in p3["findings"]] and p3["flagged"]
    assert "no number for A" in next(f["message"] for f in p3["findings"] if f["code"] == "stage-partial")
    assert [f["message"] for f in p4["findings"] if f["code"] == "stage-missing"] == [
        "The county delegates are missing: a complete report has the first alignment, the final alignment"
        " and the county delegates."]


def test_identical_precincts_name_each_other(tmp_path):
    twin = P1.replace("P-1", "P-9")
    data = audit_json(tmp_path, HEADER + P1 + S1 + twin)
    first, _, second = data["precincts"]
    assert "precinct P-9 (Polk)" in next(f["message"] for f in first["findings"] if f["code"] == "identical-precinct")
    assert "precinct P-1 (Polk)" in next(f["message"] for f in second["findings"] if f["code"] == "identical-precinct")
    assert data["summary"]["by_code"]["identical-precinct"] == 2


def test_past_turnout_column_enables_the_turnout_check(tmp_path):
    text = ("county,precinct,delegates,candidate,first,final,county_delegates,past_turnout\n"
            "Polk,P-1,2,A,150,150,2,40\nPolk,P-1,2,B,0,0,0,40\n")
    p = audit_json(tmp_path, text)["precincts"][0]
    assert "attendance-above-turnout" in [f["code"] for f in p["findings"]]


# ------------------------------------------------------------------ validation

def invoke(tmp_path, text, *extra):
    return CliRunner().invoke(audit_command, [str(write(tmp_path, text)), *extra])


def test_missing_column_is_reported_and_nothing_is_audited(tmp_path):
    result = invoke(tmp_path, "county,precinct,candidate,first,final\nPolk,P-1,A,1,1\n", "--json")
    assert result.exit_code == 1 and result.stdout == ""
    assert "results.csv line 1: missing column(s): delegates, county_delegates" in result.stderr


def test_bad_numbers_reported_by_line_with_no_partial_output(tmp_path):
    bad = HEADER + P1 + "Story,S-1,3,Sanders,seventy,75,3,90,\nStory,S-1,3,Warren,15,-2,0,90,\n"
    result = invoke(tmp_path, bad, "--json")
    assert result.exit_code == 1 and result.stdout == ""
    assert "results.csv line 5: first: 'seventy' is not a whole number" in result.stderr
    assert "results.csv line 6: final: -2 is below 0" in result.stderr


def test_two_different_delegate_values_in_one_precinct(tmp_path):
    result = invoke(tmp_path, HEADER + P1.replace("Polk,P-1,7,Biden", "Polk,P-1,6,Biden"))
    assert result.exit_code == 1 and result.stdout == ""
    assert "line 4: precinct P-1 has two different delegates values (7 and 6)" in result.stderr
    blank = invoke(tmp_path, HEADER + P1.replace("Polk,P-1,7,Biden", "Polk,P-1,,Biden"))
    assert "two different delegates values (7 and blank)" in blank.stderr


def test_precinct_reappearing_later_is_reported(tmp_path):
    text = HEADER + "Polk,P-1,7,Sanders,100,100,3,200,\n" + S1 + "Polk,P-1,7,Warren,50,50,2,200,\n"
    result = invoke(tmp_path, text)
    assert result.exit_code == 1
    assert "line 5: precinct P-1 (Polk) appears again; its rows must be together (first seen at line 2)" \
        in result.stderr


def test_short_rows_and_repeated_candidates(tmp_path):
    result = invoke(tmp_path, HEADER + "Polk,P-1,7,Sanders\n" + P1 + "Polk,P-1,7,Biden,1,1,0,200,\n")
    assert "line 2: expected at least 9 fields, found 4" in result.stderr
    assert "line 6: candidate Biden appears twice in precinct P-1" in result.stderr


def test_counties_file_problems(tmp_path):
    counties = write(tmp_path, "county,state_delegates,county_delegates\nPolk,4,0\nPolk,x,3\n", "c.csv")
    result = CliRunner().invoke(audit_command, [str(write(tmp_path, HEADER + P1)), "--counties", str(counties)])
    assert result.exit_code == 1
    assert "c.csv line 2: county_delegates: 0 is below 1" in result.stderr
    assert "c.csv line 3: state_delegates: 'x' is not a whole number" in result.stderr


def test_county_missing_from_counties_file(tmp_path):
    result = CliRunner().invoke(audit_command, [str(write(tmp_path, HEADER + S1)), "--counties",
                                                str(write(tmp_path, "county,state_delegates,county_delegates\n"
                                                                    "Polk,4,15\n", "c.csv"))])
    assert result.exit_code == 1 and "county Story is not in the counties file" in result.stderr


def test_run_audit_raises_before_writing(tmp_path):
    out = io.StringIO()
    with pytest.raises(AuditInputError) as info:
        run_audit(write(tmp_path, HEADER + P1 + "Polk,P-2,x,A,1,1,1,,\n"), out=out, as_json=True)
    assert out.getvalue() == "" and "line 5: delegates: 'x'" in info.value.problems[0]


# ---------------------------------------------------------------------- table

def test_table_lists_flagged_precincts_and_summary(tmp_path):
    result = invoke(tmp_path, HEADER + P1 + P2 + S1)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Flagged precincts"
    assert any(line.startswith("Story") and "S-1" in line and "allocation-mismatch" in line for line in lines)
    assert not any("P-1 " in line or "P-2 " in line for line in lines)  # clean ones are not listed
    assert "Summary: 3 precincts audited, 1 flagged" in result.stdout
    assert any(line.startswith("Sanders") and " 175 " in line for line in lines)


# ------------------------------------------------------------ sample generator

def _generator():
    path = Path(__file__).resolve().parents[3] / "scripts" / "make_audit_sample.py"
    spec = importlib.util.spec_from_file_location("make_audit_sample", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


EXPECTED_CODE = {
    "final-gt-first": "final-exceeds-first", "viable-lost-members": "viable-group-lost-members",
    "delegate-to-nonviable": "delegates-to-nonviable", "viable-no-delegate": "viable-group-without-delegate",
    "delegates-sum": "delegates-sum", "swapped-delegates": "more-votes-fewer-delegates",
    "missing-stage": "stage-missing", "partial-stage": "stage-partial", "identical": "identical-precinct",
    "column-shift": "column-shift", "attendance-vs-turnout": "attendance-above-turnout",
    "sde-typo": "sde-mismatch",
}


def test_sample_mistakes_are_all_found(tmp_path):
    gen = _generator()
    results, counties = tmp_path / "r.csv", tmp_path / "c.csv"
    injected = gen.generate(300, seed=7, rate=0.5, out=results, counties_out=counties)
    assert set(injected) == set(gen.MISTAKES)
    summary = run_audit(results, counties, as_json=True, out=io.StringIO()).as_dict()
    for kind, count in injected.items():
        assert summary["by_code"].get(EXPECTED_CODE[kind], 0) >= min(count, 1), kind
    assert summary["precincts"] == 300


def test_clean_sample_has_no_flags(tmp_path):
    gen = _generator()
    results, counties = tmp_path / "r.csv", tmp_path / "c.csv"
    gen.generate(200, seed=11, rate=0.0, out=results, counties_out=counties)
    summary = run_audit(results, counties, out=io.StringIO()).as_dict()
    assert summary["flagged"] == 0, summary["by_code"]
    assert not set(summary["by_code"]) & {"column-shift", "identical-precinct", "attendance-above-turnout"}
