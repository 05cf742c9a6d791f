"""`hotline-drill`: the caucus-night drill and the chair simulator, run against the hotline from outside."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from hotline_drill import hosts, report
from hotline_drill.run import DEFAULT, FAULTS, DrillOptions, drill
from hotline_drill.simulator import simulate_command


@click.group()
def cli() -> None:
    """Load and demo harness for the caucus hotline (not part of the product)."""


@cli.command("run")
@click.option("--precincts", default=DEFAULT.precincts, show_default=True)
@click.option("--burst", default=DEFAULT.burst, show_default=True, help="Seconds over which chairs report.")
@click.option("--flood", default=DEFAULT.flood, show_default=True, help="Prank flood as a multiple of the chairs' rate (second half).")
@click.option("--voice", default=DEFAULT.voice, show_default=True, help="Share of chairs who report by keypad call instead of text.")
@click.option("--observers", type=click.FloatRange(0.0, 1.0), default=DEFAULT.observers, show_default=True,
              help="Share of precincts with an observer texting the same counts beside the chair.")
@click.option("--planted-conflicts", type=int, default=None,
              help="Observers who text one count off by a few (default: 5% of observers, at least 1).")
@click.option("--staff", type=click.IntRange(0), default=DEFAULT.staff, show_default=True,
              help="Simulated staff who work the console's queue through its web pages during the night.")
@click.option("--faults", default="", help=f"Comma-separated: {', '.join(FAULTS)}, or 'all' "
              "(host-loss only with --hosts above 1).")
@click.option("--hosts", "host_count", type=click.IntRange(1), default=DEFAULT.hosts, show_default=True,
              help="Hosts' worth of web and workers against the one Redis and database (above 1: PostgreSQL).")
@click.option("--web-workers", default=DEFAULT.web_workers, show_default=True)
@click.option("--processors", default=DEFAULT.processors, show_default=True, help="Worker processes that parse and verify.")
@click.option("--senders", default=DEFAULT.senders, show_default=True, help="Worker processes that send texts (they mostly wait on Twilio and the rate; a hung Twilio call holds one for the 5 s timeout).")
@click.option("--sending-numbers", default=DEFAULT.sending_numbers, show_default=True)
@click.option("--send-rate", default=DEFAULT.send_rate, show_default=True, help="Messages per second per sending number.")
@click.option("--database-url", default=None, help="Default: a fresh SQLite file in the drill folder.")
@click.option("--folder", type=click.Path(path_type=Path), default=None)
@click.option("--json-out", type=click.Path(path_type=Path), default=Path("drill-report.json"), show_default=True)
def run_command(precincts: int, burst: float, flood: float, voice: float, observers: float,
                planted_conflicts: int | None, staff: int, faults: str, host_count: int, web_workers: int, processors: int,
                  senders: int, sending_numbers: int, send_rate: float, database_url: str | None,
                  folder: Path | None, json_out: Path) -> None:
    """Start web, workers, Redis and a Twilio stand-in, play the night, print figures and verdicts."""
    problem = hosts.hosts_problem(host_count, database_url)
    if problem:
        raise click.UsageError(problem)
    try:
        chosen = hosts.choose_faults(faults, FAULTS, host_count)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    folder = folder or Path(tempfile.mkdtemp(prefix="hotline-drill-"))
    opts = DrillOptions(folder=folder, database_url=database_url, precincts=precincts, burst=burst,
                        flood=flood, voice=voice, observers=observers, planted_conflicts=planted_conflicts,
                        staff=staff, faults=chosen, web_workers=web_workers, processors=processors,
                        senders=senders, sending_numbers=sending_numbers, send_rate=send_rate, hosts=host_count,
                        log=lambda m: click.echo(m, err=True))
    result = drill(opts)
    json_out.write_text(json.dumps(result, indent=2, default=str))
    click.echo("\nSummary:")
    for line in report.summary(result):
        click.echo(f"  {line}")
    scraped = result.get("metrics_during_night") or {}
    if scraped:
        click.echo(f"\n/metrics from host 0 at {hosts.SCRAPE_AT:.0%} of the night "
                   f"({scraped.get('file') or scraped.get('error') or scraped.get('status')}):")
        for line in scraped.get("excerpt", []):
            click.echo(f"  {line}")
    click.echo("\nVerdicts:")
    for name, ok in result["verdicts"].items():
        click.echo(f"  [{'PASS' if ok else 'FAIL'}] {name}")
    click.echo(f"\nFull report: {json_out} (logs in {folder})")
    if not all(result["verdicts"].values()):
        raise SystemExit(1)


cli.add_command(simulate_command)
