"""`hotline users`: staff and administrator accounts from the command line."""
from __future__ import annotations

import click

from hotline.cli.context import transaction as _transaction
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
        with _transaction() as uow:
            staff.create_user(uow.session, name, password, role, actor="cli",
                              display_name=display_name, phone=phone)
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {role} account {name.strip().lower()}.")


@users_command.command("list")
def list_users() -> None:
    """Every account with its role and whether it is switched on."""
    with _transaction() as uow:
        for u in staff.list_users(uow.session):
            click.echo(f"{u.username:20} {u.role:6} {'on' if u.active else 'off':4} {u.phone or ''}")
