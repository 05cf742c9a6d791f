"""`hotline users`: staff and administrator accounts from the command line."""
from __future__ import annotations

import click

from hotline.cli.context import units
from hotline.services.console import accounts as staff


@click.group("users")
def users_command() -> None:
    """Staff and administrator accounts for the console."""


@users_command.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(staff.ROLES), default="staff", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given (at least 8 characters).")
@click.option("--phone", default=None, help="The staff member's phone, rung first by click-to-call.")
@click.option("--display-name", default="", help="Full name shown in the console.")
def add(name: str, role: str, password: str, phone: str | None, display_name: str) -> None:
    """Create an account NAME with a hashed password."""
    try:
        with units() as u:
            staff.add(u, name, password, role, actor="cli", display_name=display_name, phone=phone)
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {role} account {name.strip().lower()}.")


@users_command.command("list")
def list_users() -> None:
    """Every account with its role and whether it is switched on."""
    with units() as u:
        accounts = staff.everyone(u)
    for a in accounts:
        click.echo(f"{a.username:20} {a.role:6} {'on' if a.active else 'off':4} {a.phone or ''}")
