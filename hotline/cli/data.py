"""`hotline db`, `roster`, `counties`, `candidates` and `demo`: the schema and what is loaded into it."""
from __future__ import annotations

from pathlib import Path
from typing import IO

import click

from hotline.adapters import migrate
from hotline.cli.context import config, units
from hotline.config import Config
from hotline.services.ops import demo_roster, importing


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema."""
    url = config().database_url
    migrate.upgrade(url)
    click.echo(f"Database is up to date ({url.split('@')[-1]}).")


def _import(kind: str, fh: IO[str]) -> None:
    try:
        with units() as u:
            n = importing.load(u, kind, fh.read(), actor="cli")
    except importing.ImportError_ as exc:
        for line in exc.errors:
            click.echo(line, err=True)
        raise click.ClickException(f"{len(exc.errors)} problem(s); nothing was imported") from exc
    click.echo(f"Imported {n} {kind} rows.")


@click.group("roster")
def roster_group() -> None:
    """Precincts and chairs."""


@roster_group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def roster_import(file: IO[str]) -> None:
    """Import precincts and chairs. Columns: precinct, county, name, delegates, chair, phones, pin[, past_turnout]."""
    _import("roster", file)


@click.group("counties")
def counties_group() -> None:
    """Counties and their state delegates."""


@counties_group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def counties_import(file: IO[str]) -> None:
    """Import state-convention delegates per county. Columns: county, state_delegates."""
    _import("counties", file)


@click.group("candidates")
def candidates_group() -> None:
    """The candidates on the ballot."""


@candidates_group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def candidates_import(file: IO[str]) -> None:
    """Replace the candidate list. Columns: name, aliases (separated by |), ballot_order."""
    _import("candidates", file)


@click.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("load")
@click.option("--precincts", default=120, show_default=True, help="How many precincts to generate.")
@click.option("--seed", default=2020, show_default=True)
def demo_load(precincts: int, seed: int) -> None:
    """Load the 2020 Iowa field and a generated roster (written to instance/demo_roster.csv)."""
    load_demo(config(), precincts, seed)


def load_demo(cfg: Config, precincts: int, seed: int = 2020) -> Path:
    """Generate a demo roster, write it beside the database and import it; its path."""
    data = demo_roster.generate(precincts, seed)
    roster_path, _counties_path = demo_roster.write(cfg.instance_path, data)
    with units(cfg) as u:
        importing.load(u, "candidates", demo_roster.candidates_csv(), actor="demo")
        importing.load(u, "roster", data.roster_csv, actor="demo")
        importing.load(u, "counties", data.counties_csv, actor="demo")
    click.echo(f"Loaded the demo: 13 candidates, {precincts} precincts ({roster_path}).")
    return roster_path


COMMANDS = (db_group, roster_group, counties_group, candidates_group, demo_group)
