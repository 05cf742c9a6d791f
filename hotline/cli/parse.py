"""`hotline parse "TEXT"`: show how the SMS parser reads a chair's text, as JSON."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from importlib import resources

import click

from hotline.domain.model import Candidate
from hotline.domain.parsing import Report, as_dict, parse_message

DEMO_CANDIDATES = "data/candidates_iowa2020.csv"


def _read_candidates(lines: Iterable[str]) -> list[Candidate]:
    """Candidates from CSV text with columns name, aliases (separated by |) and ballot_order."""
    candidates = []
    for row_number, row in enumerate(csv.DictReader(lines), start=1):
        name = (row.get("name") or "").strip()
        if not name:
            continue
        aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
        order = (row.get("ballot_order") or "").strip()
        candidates.append(Candidate(name, aliases, int(order) if order.isdigit() else row_number))
    return candidates


def _demo_candidates() -> list[Candidate]:
    text = resources.files("hotline").joinpath(DEMO_CANDIDATES).read_text(encoding="utf-8")
    return _read_candidates(io.StringIO(text))


@click.command("parse")
@click.argument("text")
@click.option("--candidates", "candidates_file", type=click.File("r", encoding="utf-8-sig"),
              help="Candidate CSV (name,aliases,ballot_order); defaults to the 2020 Iowa demo list.")
@click.option("--known-precinct", "known", multiple=True, metavar="CODE",
              help="A valid precinct code (repeatable); when given, other codes are reported as unknown.")
def parse_command(text: str, candidates_file: io.TextIOBase | None, known: tuple[str, ...]) -> None:
    """Print how TEXT parses as JSON; exit 0 only for a report with no errors ("-" reads stdin)."""
    if text == "-":
        with click.open_file("-", encoding="utf-8") as stdin:
            text = stdin.read()
    candidates = _read_candidates(candidates_file) if candidates_file else _demo_candidates()
    message = parse_message(text, candidates, known_precincts=known or None)
    click.echo(json.dumps(as_dict(message), indent=2))
    click.get_current_context().exit(0 if isinstance(message, Report) and message.ok else 1)
