"""`hotline pin`: the chairs' PIN tries (see services/records/pins.py for the rule)."""
from __future__ import annotations

import click

from hotline.cli.context import units
from hotline.services.console import claims


@click.group("pin")
def pin_command() -> None:
    """Chairs' PIN tries: a precinct slowed after wrong PINs."""


@pin_command.command("clear")
@click.argument("precinct")
@click.option("--by", "actor", default="cli", show_default=True, help="Who clears it (logged).")
def clear(precinct: str, actor: str) -> None:
    """End PRECINCT's PIN slow-down at once (logged), e.g. once staff reached the chair."""
    try:
        with units() as u:
            was = claims.clear_pin_slowdown(u, precinct, actor)
    except KeyError as exc:
        raise click.ClickException(f"No precinct {precinct}.") from exc
    code = precinct.strip().upper()
    click.echo(f"{code}: PIN slow-down cleared." if was
               else f"{code}: PIN tries were not slowed; nothing to clear.")


COMMANDS = (pin_command,)
