"""The `hotline` command group, assembled from the command modules beside this one."""
from __future__ import annotations

import click

from hotline.cli import (audit, blasts, data, observers, parse, pins, records, system, users, verify_public,
                         worksheets)


@click.group()
def cli() -> None:
    """Caucus results hotline."""


for command in (*data.COMMANDS, *blasts.COMMANDS, *system.COMMANDS, *records.COMMANDS, *pins.COMMANDS, parse.parse_command,
                audit.audit_command, users.users_command, worksheets.worksheets_command,
                verify_public.verify_public_command, observers.observers_command):
    cli.add_command(command)
