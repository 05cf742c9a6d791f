"""The `hotline` command: database, imports, demo data, the local system, outbox, simulator."""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import IO, ContextManager

import click
from sqlalchemy import func, select

from hotline import demo, migrate
from hotline.config import Config
from hotline.db import UnitOfWork, one_transaction
from hotline.models import OutboundMessage, Precinct
from hotline.services import importing
from hotline.services import log as vlog


def _config() -> Config:
    return Config.from_env().validate()


def _transaction() -> ContextManager[UnitOfWork]:
    return one_transaction(_config().database_url)


@click.group()
def cli() -> None:
    """Caucus results hotline."""


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema."""
    url = _config().database_url
    migrate.upgrade(url)
    click.echo(f"Database is up to date ({url.split('@')[-1]}).")


def _import(kind: str, fh: IO[str]) -> None:
    fn = {"roster": importing.import_roster, "counties": importing.import_counties,
          "candidates": importing.import_candidates}[kind]
    try:
        with _transaction() as uow:
            n = fn(uow.session, fh)
    except importing.ImportError_ as exc:
        for line in exc.errors:
            click.echo(line, err=True)
        raise click.ClickException(f"{len(exc.errors)} problem(s); nothing was imported") from exc
    click.echo(f"Imported {n} {kind} rows.")


@cli.group()
def roster() -> None:
    """Precincts and chairs."""


@roster.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def roster_import(file: IO[str]) -> None:
    """Import precincts and chairs. Columns: precinct, county, name, delegates, chair, phones, pin[, past_turnout]."""
    _import("roster", file)


@cli.group()
def counties() -> None:
    """Counties and their state delegates."""


@counties.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def counties_import(file: IO[str]) -> None:
    """Import state-convention delegates per county. Columns: county, state_delegates."""
    _import("counties", file)


@cli.group()
def candidates() -> None:
    """The candidates on the ballot."""


@candidates.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def candidates_import(file: IO[str]) -> None:
    """Replace the candidate list. Columns: name, aliases (separated by |), ballot_order."""
    _import("candidates", file)


@cli.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("load")
@click.option("--precincts", default=120, show_default=True, help="How many precincts to generate.")
@click.option("--seed", default=2020, show_default=True)
def demo_load(precincts: int, seed: int) -> None:
    """Load the 2020 Iowa field and a generated roster (written to instance/demo_roster.csv)."""
    load_demo(_config(), precincts, seed)


def load_demo(config: Config, precincts: int, seed: int = 2020) -> Path:
    data = demo.generate(precincts, seed)
    roster_path, counties_path = demo.write(config.instance_path, data)
    import io
    with one_transaction(config.database_url) as uow:
        importing.import_candidates(uow.session, io.StringIO(demo.candidates_csv()), actor="demo")
        importing.import_roster(uow.session, io.StringIO(data.roster_csv), actor="demo")
        importing.import_counties(uow.session, io.StringIO(data.counties_csv), actor="demo")
    click.echo(f"Loaded the demo: 13 candidates, {precincts} precincts ({roster_path}).")
    return roster_path


@cli.command()
@click.option("--port", default=lambda: int(os.environ.get("PORT", 5000)), show_default="$PORT or 5000")
@click.option("--workers", default=1, show_default=True, help="Worker processes to start.")
@click.option("--demo-precincts", default=120, show_default=True)
def run(port: int, workers: int, demo_precincts: int) -> None:
    """Migrate, load the demo roster if empty, start Redis (if no REDIS_URL), web and workers."""
    from hotline import devserver
    config = _config()
    migrate.upgrade(config.database_url)
    with one_transaction(config.database_url) as uow:
        empty = not uow.session.scalar(select(func.count()).select_from(Precinct))
    if empty:
        load_demo(config, demo_precincts)
    _print_demo_chairs(config)
    from hotline.services import staff
    with one_transaction(config.database_url) as uow:
        accounts = staff.ensure_demo_users(uow.session, config)
    for a in accounts:
        click.echo(f"Demo {a.role} sign-in at /login: username {a.username}  password {a.password}")
    sys.exit(devserver.run(config, port, workers, {}))


def _print_demo_chairs(config: Config) -> None:
    path = config.instance_path / "demo_roster.csv"
    if not path.exists():
        return
    import csv
    rows = list(csv.DictReader(path.open(encoding="utf-8")))[:3]
    click.echo("Demo chairs (text as them with `hotline simulate` or the phone page):")
    for r in rows:
        click.echo(f"  {r['precinct']:8} {r['chair']:18} phone {r['phones']}  PIN {r['pin']}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--limit", default=20, show_default=True)
@click.option("--to", "to_number", default=None, help="Only messages to this number.")
def outbox(as_json: bool, limit: int, to_number: str | None) -> None:
    """Outbound texts, newest first (where they go when no Twilio account is configured)."""
    with _transaction() as uow:
        q = select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)
        if to_number:
            q = q.where(OutboundMessage.to_number == to_number)
        rows = uow.session.execute(q).scalars().all()
    items = [{"id": m.id, "to": m.to_number, "body": m.body, "status": m.status, "kind": m.kind,
              "created_at": m.created_at.isoformat(), "twilio_sid": m.twilio_sid} for m in rows]
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for m in items:
        click.echo(f"--- {m['created_at'][:19]}  to {m['to']}  [{m['kind']}, {m['status']}]\n{m['body']}")


@cli.command()
@click.option("--loop", is_flag=True, help="Keep sweeping every few seconds.")
def sweep(loop: bool) -> None:
    """Flush the spool and re-queue inbox and outbox rows that never got a job."""
    from hotline.runtime import build
    from hotline.services import sweeper
    rt = build(_config())
    try:
        while True:
            click.echo(json.dumps(sweeper.sweep(rt)))
            if not loop:
                return
            time.sleep(rt.config.sweep_interval_seconds)
    finally:
        rt.close()


@cli.command()
@click.argument("precinct")
@click.option("--by", "staff", required=True, help="Who explains (staff name).")
@click.option("--note", required=True, help="Why the flagged report is right, e.g. 'coin toss'.")
def explain(precinct: str, staff: str, note: str) -> None:
    """Explain a flagged report so it is published; the chair is told by SMS."""
    from hotline.runtime import build
    from hotline.services import reports, roster
    rt = build(_config())
    try:
        with rt.db.transaction() as uow:
            found = roster.precinct_by_code(uow.session, precinct)
            if found is None:
                raise click.ClickException(f"No precinct {precinct}.")
            reports.explain(uow, rt, found, staff, note)
    except (reports.NotFlagged, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        rt.close()
    click.echo(f"{precinct.upper()}: explained by {staff}; it is now published.")


@cli.group("log")
def log_group() -> None:
    """The verification log."""


@log_group.command("verify")
def log_verify() -> None:
    """Check the hash chain; report the first broken link if any row was altered or removed."""
    with _transaction() as uow:
        broken = vlog.verify(uow.session)
    if broken:
        raise click.ClickException(f"Log entry {broken.seq} {broken.reason}.")
    click.echo("The verification log is intact.")


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run an RQ worker on the project's queues (same as `python -m workers.worker`)."""
    from workers.worker import main
    main(ctx.args)


def _register_commands() -> None:
    """Commands that live in their own modules (imported here, after `cli` exists)."""
    from hotline.cli_audit import audit_command
    from hotline.cli_drill import drill_command
    from hotline.cli_parse import parse_command
    from hotline.cli_users import users_command
    from hotline.simulator import simulate_command
    for command in (parse_command, audit_command, simulate_command, users_command, drill_command):
        cli.add_command(command)


_register_commands()
