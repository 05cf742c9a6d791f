"""`hotline observers`: import, list and remove the observers who text their counts beside the chairs."""
from __future__ import annotations

import json
from typing import IO

import click

from hotline.cli.context import units
from hotline.services.ops import importing
from hotline.services.ops import observers as observers_svc


@click.group("observers")
def observers_command() -> None:
    """Observers: campaigns' precinct captains and neutral groups' observers (their counts never count)."""


@observers_command.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def import_observers(file: IO[str]) -> None:
    """Import observers from a CSV file.

    Columns: name, organisation, phones, precincts[, pin][, language]. Phones and precinct codes are
    separated by ';'. An observer is known by name and organisation: importing again updates their
    phones, precincts, PIN and language (the same file twice changes nothing); observers the file
    does not name are kept (`hotline observers remove ID`). If any row has a problem, nothing is imported.
    """
    try:
        with units() as u:
            n = observers_svc.load(u, file.read(), actor="cli")
    except importing.ImportError_ as exc:
        for line in exc.errors:
            click.echo(line, err=True)
        raise click.ClickException(f"{len(exc.errors)} problem(s); nothing was imported") from exc
    click.echo(f"Imported {n} observer{'' if n == 1 else 's'}.")


@observers_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array (for scripts).")
def list_observers(as_json: bool) -> None:
    """Every observer: id, name, organisation, phones, precincts, confirmed observations."""
    with units() as u:
        everyone = observers_svc.everyone(u)
    if as_json:
        click.echo(json.dumps([o.as_dict() for o in everyone], indent=1))
        return
    if not everyone:
        click.echo("No observers yet.")
    for o in everyone:
        click.echo(f"{o.id:<5} {o.name} ({o.organisation})  phones: {', '.join(o.phones)}  "
                   f"precincts: {', '.join(o.precincts)}  confirmed: {o.confirmed}")


@observers_command.command("remove")
@click.argument("observer_id", type=int)
def remove(observer_id: int) -> None:
    """Remove the observer OBSERVER_ID (see `list`); refused once they have sent counts."""
    try:
        with units() as u:
            label = observers_svc.remove(u, observer_id, actor="cli")
    except observers_svc.ObserverError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Removed {label}.")
