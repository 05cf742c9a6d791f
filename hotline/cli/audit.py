"""The `hotline audit` command: audit a results CSV against the caucus rules, without the database."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from hotline.audit import AuditInputError, run_audit


@click.command("audit")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--counties", "counties", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with county, state_delegates, county_delegates (enables SDEs).")
@click.option("--json", "as_json", is_flag=True, help="Write the full audit as JSON.")
def audit_command(file: Path, counties: Path | None, as_json: bool) -> None:
    """Audit FILE.csv (one row per precinct per candidate) against the caucus rules."""
    try:
        run_audit(file, counties, as_json=as_json, out=sys.stdout)
    except AuditInputError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo("Nothing was audited: fix the rows above and run again.", err=True)
        raise SystemExit(1)
