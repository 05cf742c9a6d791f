"""Roster, county and candidate imports: every bad row reported by line, nothing partial written."""
from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from hotline.cli import cli
from hotline.adapters.models import CandidateRow, ChairPhone, Precinct
from hotline.services.ops import importing
from tests.support.chairs import ROSTER, load_roster

BAD = """precinct,county,name,delegates,chair,phones,pin
DSM-1,Polk,One,4,Ann,+15155550001,1234
dsm 2,Polk,Two,4,Bob,+15155550002,1234
DSM-3,Polk,Three,four,Cy,+15155550003,1234
DSM-4,Polk,Four,4,Di,not-a-phone,1234
DSM-5,Polk,Five,4,Ed,+15155550005,12
DSM-1,Polk,Again,4,Flo,+15155550006,1234
"""


def count(rt, model) -> int:
    with rt.db.transaction() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_good_roster_imports_with_normalized_phones(rt):
    load_roster(rt)
    assert count(rt, Precinct) == 4
    with rt.db.transaction() as uow:
        phones = set(uow.session.execute(select(ChairPhone.phone)).scalars())
    assert "+15155550201" in phones  # "(515) 555-0201" became E.164
    assert count(rt, CandidateRow) == 13


def test_bad_rows_are_reported_by_line_and_nothing_is_written(rt):
    with pytest.raises(importing.ImportError_) as err:
        with rt.db.transaction() as uow:
            importing.import_roster(uow.session, io.StringIO(BAD))
    text = "\n".join(err.value.errors)
    for expected in ("line 3: precinct code 'dsm 2'", "line 4: delegates 'four'", "line 5: phones",
                     "line 6: PIN", "line 7: precinct DSM-1 is also on line 2"):
        assert expected in text
    assert count(rt, Precinct) == 0


def test_missing_columns_are_named(rt):
    with pytest.raises(importing.ImportError_, match="missing column.*pin"):
        with rt.db.transaction() as uow:
            importing.import_roster(uow.session, io.StringIO("precinct,county,name,delegates,chair,phones\n"))


def test_reimport_updates_in_place(rt):
    load_roster(rt)
    load_roster(rt, ROSTER.replace("Maria Nguyen", "Maria Nguyen-Smith"))
    assert count(rt, Precinct) == 4


def test_cli_import_reports_errors_and_exits_nonzero(rt, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", rt.config.database_url)
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD)
    result = CliRunner().invoke(cli, ["roster", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 4: delegates 'four'" in result.output and "nothing was imported" in result.output
    good = tmp_path / "good.csv"
    good.write_text(ROSTER)
    result = CliRunner().invoke(cli, ["roster", "import", str(good)])
    assert result.exit_code == 0 and "Imported 4 roster rows" in result.output
