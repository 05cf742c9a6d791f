"""`hotline pin clear CODE`: staff end a precinct's PIN slow-down from the command line, logged."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline.adapters.models import BacklogItem, LogEntry
from hotline.cli import pins as pin_cli
from hotline.cli.main import cli
from hotline.services.units import Units
from tests.unit.services.fakes import FakeJobs, memory_units
from tests.unit.services.test_sms import FIRST, text


@pytest.fixture
def units(monkeypatch: pytest.MonkeyPatch) -> Iterator[Units]:
    u = memory_units(FakeJobs())

    @contextmanager
    def these() -> Iterator[Units]:
        yield u
    monkeypatch.setattr(pin_cli, "units", these)
    yield u
    u.db.dispose()


def test_pin_clear_ends_the_slow_down_closes_its_item_and_is_logged(units):
    for i in range(units.config.pin_max_failures):
        text(units, f"+1202555{1000 + i}", f"DSM-42 PIN 1111 {FIRST}")
    assert text(units, "+15155558000", f"DSM-42 PIN 4321 {FIRST}").startswith("DSM-42: too many wrong PINs")

    result = CliRunner().invoke(cli, ["pin", "clear", "dsm-42", "--by", "bob"])
    assert result.exit_code == 0, result.output
    assert result.output == "DSM-42: PIN slow-down cleared.\n"
    with units.reading() as s:
        item = s.scalars(select(BacklogItem).where(BacklogItem.kind == "pin_lockout")).one()
        assert (item.resolution, item.resolved_by) == ("cleared", "bob")
        entry = s.scalars(select(LogEntry).where(LogEntry.kind == "pin_slowdown_cleared")).one()
        assert (entry.precinct_code, entry.actor) == ("DSM-42", "bob")
    assert text(units, "+15155558000", f"DSM-42 PIN 4321 {FIRST}").startswith("PIN accepted for DSM-42.")

    again = CliRunner().invoke(cli, ["pin", "clear", "DSM-42"])
    assert again.output == "DSM-42: PIN tries were not slowed; nothing to clear.\n"
    unknown = CliRunner().invoke(cli, ["pin", "clear", "NOPE-1"])
    assert unknown.exit_code == 1 and "No precinct NOPE-1." in unknown.output
