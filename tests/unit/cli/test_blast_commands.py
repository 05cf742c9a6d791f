"""`hotline remind`, `broadcast`, `blasts cancel` and `plan` (CliRunner, in-memory database)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline.adapters.models import Blast, OutboundMessage
from hotline.cli import blasts as blast_cli
from hotline.cli.main import cli
from hotline.services.units import Units
from tests.unit.services.fakes import FakeJobs, memory_units


@pytest.fixture
def units(monkeypatch: pytest.MonkeyPatch) -> Iterator[Units]:
    u = memory_units(FakeJobs())

    @contextmanager
    def these() -> Iterator[Units]:
        yield u
    monkeypatch.setattr(blast_cli, "units", these)
    yield u
    u.db.dispose()


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def blast_texts(units) -> list[tuple[str, str, int]]:
    with units.reading() as s:
        return list(s.execute(select(OutboundMessage.to_number, OutboundMessage.kind, OutboundMessage.priority)
                              .where(OutboundMessage.kind.like("blast_%"))))


def test_remind_dry_run_previews_and_sends_nothing(units):
    result = run("remind", "--missing", "--county", "Polk", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Preview: 2 texts (2 GSM-7), 1 segment each, 2 in all")
    assert "DSM-7 +15155550107: Caucus hotline: no results for DSM-7 yet." in result.output
    assert result.output.rstrip().endswith("Dry run: nothing sent.")
    assert blast_texts(units) == []


def test_remind_sends_at_the_lowest_priority_and_logs_who(units):
    result = run("remind", "--missing", "--stage", "first", "--by", "carol")
    assert result.exit_code == 0, result.output
    assert "Blast 1: 4 texts queued behind the read-backs (cancel with: hotline blasts cancel 1)." in result.output
    assert {(kind, prio) for _, kind, prio in blast_texts(units)} == {("blast_reminder", 2)}
    with units.reading() as s:
        assert s.scalars(select(Blast.created_by)).one() == "carol"
    again = run("remind", "--missing", "--not-reminded", "--by", "carol")
    assert again.exit_code == 1 and "No chair matches: nobody to send to." in again.output


def test_remind_needs_missing_and_a_known_stage(units):
    assert run("remind").exit_code == 2
    assert run("remind", "--missing", "--stage", "second").exit_code == 2


def test_broadcast_and_cancel(units):
    result = run("broadcast", "--text", "The hotline number changed: text 515-555-9000.", "--by", "carol")
    assert result.exit_code == 0, result.output
    assert len(blast_texts(units)) == 4
    cancelled = run("blasts", "cancel", "1", "--by", "dave")
    assert cancelled.exit_code == 0 and cancelled.output == "Blast 1 cancelled: 4 texts will not be sent.\n"
    listed = run("blasts", "list")
    assert "broadcast by carol  4 recipients: 0 sent, 0 waiting, 4 cancelled, cancelled by dave" in listed.output
    assert run("blasts", "cancel", "9").exit_code == 1


def test_plan_prints_the_budget_and_says_where_figures_come_from(units):
    result = run("plan", "--precincts", "1765", "--numbers", "50", "--rate", "1")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("Send budget for 1765 precincts on 50 numbers at 1 segment/s each:")
    assert "Peak read-back wait when every precinct reports in the 300-s burst:" in out
    assert "Numbers needed at 1/s for every read-back under 120 s:" in out
    assert "short-code  at 100/s: 1 number" in out
    assert "(measured: the drill's night (10904 texts to 1765 precincts), less the read-backs" in out
    assert "computed: today's wording for a read-back of five groups of the roster's candidates" in out


def test_plan_uses_the_roster_and_the_number_types_rate(units):
    result = run("plan", "--number-type", "toll-free")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Send budget for 4 precincts on 1 number at 3 segment/s each (toll-free):")
    assert run("plan", "--numbers", "0").exit_code == 2
