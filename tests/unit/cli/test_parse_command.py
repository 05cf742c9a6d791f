"""`hotline parse`: how the SMS parser reads a text, printed as JSON for staff and scripts."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hotline.cli.parse import parse_command


def run_cli(*args: str):
    result = CliRunner().invoke(parse_command, list(args))
    return result.exit_code, json.loads(result.output)


def test_cli_prints_the_parse_and_exits_0():
    code, data = run_cli("Precinct DSM-42 first: Biden 12, Pete 45")
    assert code == 0
    assert data["precinct"] == "DSM-42" and data["stage"] == "first" and data["errors"] == []
    assert data["counts"] == {"Biden": 12, "Buttigieg": 45}
    assert data["kind"] == "report" and data["sections"][0]["stage"] == "first"


@pytest.mark.parametrize("text", ["Mike 3", "Pete -5", "", "YES 4821", "HELP", "Pete"])
def test_cli_exits_1_for_errors_and_commands(text):
    code, data = run_cli(text)
    assert code == 1
    assert set(data) >= {"precinct", "stage", "counts", "errors"}


def test_cli_reports_a_confirm_with_its_code():
    assert run_cli("yes 4821")[1]["kind"] == "confirm" and run_cli("yes 4821")[1]["code"] == "4821"


def test_cli_reads_a_candidates_file_and_known_precincts(tmp_path):
    path = tmp_path / "cands.csv"
    path.write_text("name,aliases,ballot_order\nTrump,Donald|DJT,1\nWeld,Bill,2\n", encoding="utf-8")
    code, data = run_cli("--candidates", str(path), "--known-precinct", "DSM-42",
                         "dsm 42 final Donald 30 Bill 2")
    assert code == 0 and data["counts"] == {"Trump": 30, "Weld": 2} and data["stage"] == "final"
    code, data = run_cli("--candidates", str(path), "--known-precinct", "DSM-42", "XYZ-1 Donald 30")
    assert code == 1 and "XYZ-1" in data["errors"][0]
    code, data = run_cli("--candidates", str(path), "Donald 3 Pete 45")
    assert code == 1 and "'Pete'" in data["errors"][0]


def test_cli_reads_stdin_for_dash():
    result = CliRunner().invoke(parse_command, ["-"], input="first\nPete 45\nBernie 40\n")
    assert result.exit_code == 0 and json.loads(result.output)["counts"] == {"Buttigieg": 45, "Sanders": 40}


def test_cli_shows_every_stage_of_a_text_with_several_and_which_stage_each_error_is_in():
    code, data = run_cli("first: Biden 12, Pete 45, Klobuchar 8 final: Pete 50, Zorro 3 dels: Pete 3, Bernie")
    assert code == 1
    assert data["stages"] == ["first", "final", "delegates"]
    # No single stage stands for the whole text at the top.
    assert data["stage"] is None and data["counts"] == {}
    first, final, dels = data["sections"]
    assert first == {"stage": "first", "counts": {"Biden": 12, "Buttigieg": 45, "Klobuchar": 8}, "errors": []}
    assert final["counts"] == {"Buttigieg": 50}
    assert final["errors"] == ["I don't know the name 'Zorro' - check the spelling or use the last name."]
    assert dels["counts"] == {"Buttigieg": 3}
    assert dels["errors"] == ["'Bernie' has no number next to it - send it like: Sanders 30."]
    assert data["errors"] == [
        "Final alignment: I don't know the name 'Zorro' - check the spelling or use the last name.",
        "County delegates: 'Bernie' has no number next to it - send it like: Sanders 30."]


def test_cli_names_the_stages_of_an_error_found_in_several_and_before_any_stage_word():
    code, data = run_cli("Mike 3 first: Zorro 3, Pete 4 final: Pete 50, Zorro 3")
    assert code == 1 and data["stages"] == ["first", "final"]
    assert data["errors"] == [
        "Before any stage word: 'Mike' could be Bennet or Bloomberg - use the last name.",
        "First alignment and Final alignment: I don't know the name 'Zorro' - check the spelling or use the "
        "last name."]
    assert [s["errors"] for s in data["sections"]] == [
        ["I don't know the name 'Zorro' - check the spelling or use the last name."]] * 2


def test_cli_a_clean_text_with_several_stages_exits_0_and_keeps_each_stage():
    code, data = run_cli("first: Pete 45, Bernie 40 final: Pete 50, Bernie 40")
    assert code == 0 and data["errors"] == []
    assert [(s["stage"], s["counts"], s["errors"]) for s in data["sections"]] == [
        ("first", {"Buttigieg": 45, "Sanders": 40}, []), ("final", {"Buttigieg": 50, "Sanders": 40}, [])]
