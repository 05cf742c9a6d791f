"""`hotline worksheets`: the worksheet photos chairs texted, as we hold them."""
from __future__ import annotations

import json

import click

from hotline.cli.context import units
from hotline.services.console import photos
from hotline.services.console.views import UnknownPrecinct


@click.group("worksheets")
def worksheets_command() -> None:
    """Worksheet photos chairs texted (downloaded from Twilio, kept by SHA-256)."""


@worksheets_command.command("list")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="One JSON array: sha256, content_type, bytes, "
                                                     "received_at, status for each photo.")
def list_photos(code: str, as_json: bool) -> None:
    """The photos precinct CODE's chair texted, oldest first, and where each one stands."""
    try:
        with units() as u:
            found = photos.listing(u, code)
    except UnknownPrecinct as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([p.as_json() for p in found], indent=2))
        return
    if not found:
        click.echo(f"No worksheet photos for {code.upper()}.")
        return
    for p in found:
        when = p.received_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        if p.status == "stored":
            click.echo(f"{when}  stored   {p.sha256}  {p.content_type:10}  {p.bytes} bytes")
        else:
            note = {"pending": "still downloading"}.get(p.status, p.error or "")
            click.echo(f"{when}  {p.status:8} {note}")
