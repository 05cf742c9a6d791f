"""`hotline run`, `worker` and `sweep`: starting the system and its workers."""
from __future__ import annotations

import csv
import json
import os
import sys
import time

import click
from hotline.adapters import log_keys, migrate
from hotline.cli import local_system
from hotline.cli.context import config as load_config
from hotline.cli.context import units
from hotline.cli.data import load_demo
from hotline.config import Config
from hotline.services.console import accounts
from hotline.services.ops import importing


@click.command("run")
@click.option("--port", default=lambda: int(os.environ.get("PORT", 5000)), show_default="$PORT or 5000")
@click.option("--workers", default=1, show_default=True, help="Worker processes to start.")
@click.option("--demo-precincts", default=120, show_default=True)
def run(port: int, workers: int, demo_precincts: int) -> None:
    """Migrate, load the demo roster if empty, start Redis (if no REDIS_URL), web and workers."""
    cfg = load_config()
    migrate.upgrade(cfg.database_url)
    _signing_key(cfg)
    with units(cfg) as u:
        empty = importing.roster_size(u) == 0
    if empty:
        load_demo(cfg, demo_precincts)
    _print_demo_chairs(cfg)
    with units(cfg) as u:
        demo_accounts = accounts.demo_accounts(u)
    for a in demo_accounts:
        click.echo(f"Demo {a.role} sign-in at /login: username {a.username}  password {a.password}")
    sys.exit(local_system.run(cfg, port, workers, {}))


def _signing_key(cfg: Config) -> None:
    """Make the log's signing key before any process needs it (outside production), and say where."""
    try:
        key = log_keys.load(cfg)
    except log_keys.MissingKey as exc:
        click.echo(f"Warning: checkpoints of the verification log will not be signed. {exc}", err=True)
        return
    made = "made just now; " if key.created else ""
    click.echo(f"Log signing key {key.key_id}: {key.source} ({made}it signs the log's checkpoints, "
               "keep it private)")


def _print_demo_chairs(cfg: Config) -> None:
    path = cfg.instance_path / "demo_roster.csv"
    if not path.exists():
        return
    rows = list(csv.DictReader(path.open(encoding="utf-8")))[:3]
    click.echo("Demo chairs (text as them from the phone page, or with `make simulate`):")
    for r in rows:
        click.echo(f"  {r['precinct']:8} {r['chair']:18} phone {r['phones']}  PIN {r['pin']}")


@click.command("worker", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run an RQ worker on the project's queues (same as `python -m workers.worker`)."""
    from workers.worker import main  # the worker's own entry point; imported only when asked for
    main(ctx.args)


RECONCILE_EVERY = 60.0  # seconds between listings of Twilio's message log, as the scheduler does


@click.command("sweep")
@click.option("--loop", is_flag=True, help="Keep sweeping every few seconds.")
def sweep(loop: bool) -> None:
    """Run every housekeeping duty once: spool, parked texts, lost jobs, unfinished sends, reminders."""
    from hotline.runtime import build
    from workers import duties
    rt = build(load_config())
    reconciled_at = 0.0
    try:
        while True:
            due = time.monotonic() - reconciled_at >= RECONCILE_EVERY
            reconciled_at = time.monotonic() if due else reconciled_at
            click.echo(json.dumps(duties.sweep_once(rt, reconcile_too=due)))
            if not loop:
                return
            time.sleep(rt.config.sweep_interval_seconds)
    finally:
        rt.close()


COMMANDS = (run, worker, sweep)
