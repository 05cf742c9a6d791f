"""The observers import: every bad row reported by line, nothing partial written, re-import by
(name, organisation); the roster import refusing an observer's phone; the `hotline observers` commands."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from hotline.adapters.models import LogEntry, Observer, ObserverPhone
from hotline.cli import cli
from hotline.domain.verification import check_pin
from hotline.services.ops import importing, observers
from hotline.services.sms import admission
from tests.support.chairs import Phone, load_roster
from tests.support.roster import ROSTER

GOOD = """name,organisation,phones,precincts,pin,language
Ana Ruiz,Warren campaign,(515) 555-9001,DSM-42;dsm-7,2468,
Ben Hale,League of Voters,+15155559002;515.555.9003,AMES-1,,es
"""


def observer_rows(rt) -> list[Observer]:
    with rt.db.transaction() as uow:
        rows = list(uow.session.execute(select(Observer).order_by(Observer.id)).scalars())
        for o in rows:  # loaded while the session is open
            _ = [p.phone for p in o.phones], [a.precinct.code for a in o.assignments]
        return rows


def log_kinds(rt, kind: str) -> list[LogEntry]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(LogEntry).where(LogEntry.kind == kind).order_by(LogEntry.seq)).scalars())


def problems(rt, text: str) -> str:
    with pytest.raises(importing.ImportError_) as err:
        observers.load(rt.units, text, actor="test")
    return "\n".join(err.value.errors)


@pytest.fixture
def roster(rt):
    load_roster(rt)
    return rt


def test_good_file_imports_with_normalised_phones_precincts_pin_and_language(roster):
    rt = roster
    assert observers.load(rt.units, GOOD, actor="carol") == 2
    ana, ben = observer_rows(rt)
    assert (ana.name, ana.organisation, ana.language) == ("Ana Ruiz", "Warren campaign", "en")
    assert [p.phone for p in ana.phones] == ["+15155559001"]
    assert [a.precinct.code for a in ana.assignments] == ["DSM-42", "DSM-7"]
    assert check_pin("2468", ana.pin_hash) and "2468" not in ana.pin_hash
    assert [p.phone for p in ben.phones] == ["+15155559002", "+15155559003"]
    assert ben.pin_hash is None and ben.language == "es" and ben.created_by == "carol"
    [entry] = log_kinds(rt, "observers_imported")
    assert entry.actor == "carol" and entry.detail["count"] == 2
    # the texting side takes them in as registered phones at once (this process's cache was dropped)
    assert "+15155559002" in admission.registered_phones(rt.units)


BAD = """name,organisation,phones,precincts,pin,language
Ana Ruiz,Warren campaign,+15155559001,DSM-42,,
,Warren campaign,+15155559011,DSM-42,,
Cy Doe,,+15155559012,DSM-42,,
Di Roe,Sanders campaign,not-a-phone,DSM-42,,
Ed Poe,Sanders campaign,+15155559014,DSM-99,,
Flo Moe,Sanders campaign,+15155559015,,,
Gus Loe,Sanders campaign,+15155559016,DSM-42,12,
Hal Koe,Sanders campaign,+15155559017,DSM-42,,fr
Ivy Zoe,Biden campaign,+1 515 555 0142,DSM-42,,
Jo Yoe,Biden campaign,(515) 555-9001,DSM-7,,
ana ruiz,Warren Campaign,+15155559020,IC-5,,
"""


def test_each_bad_row_is_reported_by_line_and_nothing_is_imported(roster):
    text = problems(roster, BAD)
    for expected in ("line 3: name is empty",
                     "line 4: organisation is empty",
                     "line 5: phones 'not-a-phone' must be phone numbers separated by ';'",
                     "line 6: precinct DSM-99 is not on the roster",
                     "line 7: precincts is empty",
                     "line 8: PIN must be 4 to 8 digits",
                     "line 9: language 'fr' is not supported",
                     "line 10: +15155550142 is the registered phone of the chair of DSM-42: "
                     "an observer needs their own phone",
                     "line 11: +15155559001 is also on line 2",
                     "line 12: ana ruiz (Warren Campaign) is also on line 2"):
        assert expected in text, (expected, text)
    assert not any(e.startswith("line 2:") for e in text.splitlines())  # the good row is not blamed
    assert observer_rows(roster) == [] and log_kinds(roster, "observers_imported") == []


def test_a_single_bad_row_stops_the_good_ones(roster):
    text = problems(roster, GOOD + "Cy Doe,Biden campaign,+13195550105,IC-5,,\n")
    assert text == ("line 4: +13195550105 is the registered phone of the chair of IC-5: "
                    "an observer needs their own phone")
    assert observer_rows(roster) == []


def test_missing_columns_are_named(roster):
    assert "line 1: missing column(s) precincts" in problems(roster, "name,organisation,phones\nA,B,+15155559001\n")


def test_reimport_updates_by_name_and_organisation_and_keeps_the_others(roster):
    rt = roster
    observers.load(rt.units, GOOD, actor="test")
    before = {o.name: o.id for o in observer_rows(rt)}
    observers.load(rt.units, GOOD, actor="test")  # the same file again: nothing changes
    assert {o.name: o.id for o in observer_rows(rt)} == before
    # Ana moves to IC-5 with a new phone and Ben's old phone 9003 goes to Ana; Ben stays on the list.
    again = ("name,organisation,phones,precincts\n"
             "Ana Ruiz,Warren campaign,+15155559003;+15155559004,IC-5\n")
    with pytest.raises(importing.ImportError_, match="line 2: \\+15155559003 is the phone of the observer "
                                                     "Ben Hale \\(League of Voters\\)"):
        observers.load(rt.units, again, actor="test")
    moved = ("name,organisation,phones,precincts\n"
             "Ana Ruiz,Warren campaign,+15155559003;+15155559004,IC-5\n"
             "Ben Hale,League of Voters,+15155559002,AMES-1\n")
    assert observers.load(rt.units, moved, actor="test") == 2
    ana, ben = observer_rows(rt)
    assert (ana.id, ben.id) == (before["Ana Ruiz"], before["Ben Hale"])
    assert [p.phone for p in ana.phones] == ["+15155559003", "+15155559004"]
    assert [a.precinct.code for a in ana.assignments] == ["IC-5"]
    assert ana.pin_hash is None  # the file is the whole truth about the observers it names
    assert [p.phone for p in ben.phones] == ["+15155559002"] and ben.language == "en"
    observers.load(rt.units, "name,organisation,phones,precincts\nCy Doe,Biden campaign,+15155559030,DSM-7\n",
                   actor="test")
    assert [o.name for o in observer_rows(rt)] == ["Ana Ruiz", "Ben Hale", "Cy Doe"]
    assert [e.detail["created"] for e in log_kinds(rt, "observers_imported")] == [2, 0, 0, 1]


def test_roster_import_refuses_a_chair_phone_that_is_an_observers(roster):
    rt = roster
    observers.load(rt.units, GOOD, actor="test")
    taken = ROSTER.replace("Linda Meyer,(515) 555-0201", "Linda Meyer,(515) 555-0201;515-555-9002")
    with pytest.raises(importing.ImportError_) as err:
        load_roster(rt, taken)
    assert err.value.errors == ["line 4: +15155559002 is the phone of the observer Ben Hale (League of Voters): "
                                "a chair needs their own phone"]
    with rt.db.transaction() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ObserverPhone)) == 3


def test_an_imported_observer_texts_counts_and_gets_a_readback(client, roster):
    rt = roster
    observers.load(rt.units, GOOD, actor="test")
    ana = Phone(client, rt, "+15155559001")
    ana.send("DSM-42 first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30")
    assert "YES" in ana.last().body


def test_cli_import_list_and_remove(roster, tmp_path, monkeypatch):
    rt = roster
    monkeypatch.setenv("DATABASE_URL", rt.config.database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD)
    result = CliRunner().invoke(cli, ["observers", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 5: phones 'not-a-phone'" in result.output and "nothing was imported" in result.output
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    result = CliRunner().invoke(cli, ["observers", "import", str(good)])
    assert result.exit_code == 0 and "Imported 2 observers." in result.output
    result = CliRunner().invoke(cli, ["observers", "list", "--json"])
    listed = json.loads(result.output)
    assert [(o["name"], o["organisation"], o["phones"], o["precincts"], o["pin"], o["confirmed_observations"])
            for o in listed] == [("Ben Hale", "League of Voters", ["+15155559002", "+15155559003"], ["AMES-1"], False, 0),
                                 ("Ana Ruiz", "Warren campaign", ["+15155559001"], ["DSM-42", "DSM-7"], True, 0)]
    assert "Ana Ruiz (Warren campaign)" in CliRunner().invoke(cli, ["observers", "list"]).output
    result = CliRunner().invoke(cli, ["observers", "remove", str(listed[0]["id"])])
    assert result.exit_code == 0 and "Removed Ben Hale (League of Voters)." in result.output
    assert [o.name for o in observer_rows(rt)] == ["Ana Ruiz"]
    assert log_kinds(rt, "observer_removed")[0].actor == "cli"


def test_import_reads_a_file_the_way_the_roster_does(roster):
    # a header in another case, a byte-order mark stripped by the caller, spaces around values
    text = "Name, Organisation ,PHONES,Precincts\n  Ana  Ruiz , Warren campaign , 5155559001 ; , DSM-42 \n"
    assert observers.load(roster.units, text, actor="test") == 1
    [ana] = observer_rows(roster)
    assert ana.name == "Ana Ruiz" and [p.phone for p in ana.phones] == ["+15155559001"]


def test_the_observer_list_counts_confirmed_observations(client, roster):
    rt = roster
    observers.load(rt.units, GOOD, actor="test")
    ana = Phone(client, rt, "+15155559001")
    ana.send("DSM-42 first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30")
    ana.send(f"YES {ana.code()}")
    views = {o.name: o for o in observers.everyone(rt.units)}
    assert (views["Ana Ruiz"].confirmed, views["Ana Ruiz"].observations) == (1, 1)
    assert views["Ben Hale"].confirmed == 0
    with pytest.raises(observers.ObserverError, match="has sent 1 observation, so they stay"):
        observers.remove(rt.units, views["Ana Ruiz"].id, actor="test")
    observers.load(rt.units, GOOD.replace("DSM-42;dsm-7", "IC-5"), actor="test")  # re-import keeps her and her row
    assert {o.name: o.confirmed for o in observers.everyone(rt.units)}["Ana Ruiz"] == 1
