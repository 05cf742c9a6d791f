"""`hotline outbox`, `explain` and `log`: reading and acting on what the hotline recorded."""
from __future__ import annotations

import json

import click

from hotline.cli.context import units
from hotline.services.console import history, review
from hotline.services.console.views import UnknownPrecinct
from hotline.services.log import audit


@click.command("outbox")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--limit", default=20, show_default=True)
@click.option("--to", "to_number", default=None, help="Only messages to this number.")
def outbox(as_json: bool, limit: int, to_number: str | None) -> None:
    """Outbound texts, newest first (where they go when no Twilio account is configured)."""
    with units() as u:
        rows = history.outbox(u, limit, to_number)
    items = [{"id": m.id, "to": m.to_number, "body": m.body, "status": m.status, "kind": m.kind,
              "created_at": m.created_at.isoformat(), "twilio_sid": m.twilio_sid} for m in rows]
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for m in items:
        click.echo(f"--- {m['created_at'][:19]}  to {m['to']}  [{m['kind']}, {m['status']}]\n{m['body']}")


@click.command("explain")
@click.argument("precinct")
@click.option("--by", "staff", required=True, help="Who explains (staff name).")
@click.option("--note", required=True, help="Why the flagged report is right, e.g. 'coin toss'.")
def explain(precinct: str, staff: str, note: str) -> None:
    """Explain a flagged report so it is published; the chair is told by SMS."""
    try:
        with units() as u:
            review.explain(u, precinct, staff, note)
    except UnknownPrecinct as exc:
        raise click.ClickException(f"No precinct {precinct}.") from exc
    except (review.NotFlagged, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{precinct.upper()}: explained by {staff}; it is now published.")


@click.group("log")
def log_group() -> None:
    """The verification log."""


@log_group.command("verify")
def log_verify() -> None:
    """Check the hash chain; report the first broken link if any row was altered or removed."""
    with units() as u:
        broken = audit.verify(u, actor="cli")
    if broken:
        raise click.ClickException(f"Log entry {broken.seq} {broken.reason}.")
    click.echo("The verification log is intact.")


COMMANDS = (outbox, explain, log_group)
