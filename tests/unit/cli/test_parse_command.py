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
