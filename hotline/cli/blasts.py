"""`hotline remind`, `broadcast`, `blasts` and `plan`: texts to many chairs, and the send budget."""
from __future__ import annotations

import getpass

import click

from hotline.cli.context import units
from hotline.domain import send_budget
from hotline.services.console.missing_reports import STAGES, Filters
from hotline.services.ops import blasts, send_plan


def _who(by: str | None) -> str:
    return by or f"cli:{getpass.getuser()}"


def _run(kind: str, f: Filters, text: str | None, dry_run: bool, by: str | None, even_if_busy: bool) -> None:
    try:
        with units() as u:
            p = blasts.preview(u, kind, f, text, even_if_busy=even_if_busy)
            click.echo(f"Preview: {p.summary()}")
            if dry_run:
                for r in p.recipients[:5]:
                    click.echo(f"  {', '.join(r.codes)} {r.phone}: {r.body}")
                if p.texts > 5:
                    click.echo(f"  ... and {p.texts - 5} more")
                click.echo("Dry run: nothing sent.")
                return
            sent = blasts.send(u, kind, _who(by), f, text, even_if_busy=even_if_busy)
    except blasts.BlastError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Blast {sent.blast_id}: {sent.preview.texts} texts queued behind the read-backs "
               f"(cancel with: hotline blasts cancel {sent.blast_id}).")


@click.command("remind")
@click.option("--missing", is_flag=True, required=True, help="Remind the precincts still missing results.")
@click.option("--county", default=None, help="Only this county.")
@click.option("--stage", type=click.Choice(STAGES), default=None, help="Only precincts missing this stage.")
@click.option("--not-reminded", is_flag=True, help="Only precincts never reminded.")
@click.option("--dry-run", is_flag=True, help="Show the preview and send nothing.")
@click.option("--even-if-busy", is_flag=True, help="Send even while the sending numbers are saturated.")
@click.option("--by", default=None, help="Who sends it (logged); default cli:<your user name>.")
def remind(missing: bool, county: str | None, stage: str | None, not_reminded: bool, dry_run: bool,
           even_if_busy: bool, by: str | None) -> None:
    """Text a reminder to the chairs of precincts still missing results."""
    _run("reminder", Filters(county, stage, not_reminded), None, dry_run, by, even_if_busy)


@click.command("broadcast")
@click.option("--text", required=True, help="What every chair is sent.")
@click.option("--county", default=None, help="Only this county's chairs.")
@click.option("--dry-run", is_flag=True, help="Show the preview and send nothing.")
@click.option("--by", default=None, help="Who sends it (logged); default cli:<your user name>.")
def broadcast(text: str, county: str | None, dry_run: bool, by: str | None) -> None:
    """Text every chair (for example: the hotline number changed)."""
    _run("broadcast", Filters(county), text, dry_run, by, True)


@click.group("blasts")
def blasts_group() -> None:
    """Reminders and broadcasts sent: list them, cancel one midway."""


@blasts_group.command("list")
@click.option("--limit", default=10, show_default=True)
def list_blasts(limit: int) -> None:
    """The newest blasts and how far each got."""
    with units() as u:
        rows = blasts.recent(u, limit)
    for b in rows:
        state = f", cancelled by {b.cancelled_by}" if b.cancelled_at else ""
        click.echo(f"{b.id}  {b.created_at:%Y-%m-%d %H:%M}  {b.kind} by {b.created_by}  {b.recipients} recipients: "
                   f"{b.sent} sent, {b.waiting} waiting, {b.cancelled} cancelled{state}  {b.filters or ''}")


@blasts_group.command("cancel")
@click.argument("blast_id", type=int)
@click.option("--by", default=None, help="Who cancels it (logged); default cli:<your user name>.")
def cancel_blast(blast_id: int, by: str | None) -> None:
    """Stop a blast: its texts not yet sent are cancelled."""
    try:
        with units() as u:
            n = blasts.cancel(u, blast_id, _who(by))
    except blasts.BlastError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Blast {blast_id} cancelled: {n} texts will not be sent.")


@click.command("plan")
@click.option("--precincts", type=int, default=None, help="Precincts (default: the roster's).")
@click.option("--numbers", type=int, default=None, help="Sending numbers (default: TWILIO_FROM_NUMBERS).")
@click.option("--rate", type=float, default=None,
              help="Segments a second per number (default: HOTLINE_SEND_RATE_PER_NUMBER, or the number type's).")
@click.option("--number-type", type=click.Choice(list(send_budget.NUMBER_TYPES)), default=None)
def plan(precincts: int | None, numbers: int | None, rate: float | None, number_type: str | None) -> None:
    """The night's send budget: texts, segments, the read-backs' peak wait, numbers needed."""
    for name, value in (("--precincts", precincts), ("--numbers", numbers), ("--rate", rate)):
        if value is not None and value <= 0 and not (name == "--precincts" and value == 0):
            raise click.BadParameter("must be positive", param_hint=name)
    with units() as u:
        p = send_plan.plan(u, precincts, numbers, rate, number_type)
    for line in render(p):
        click.echo(line)


def render(p: send_budget.Plan) -> list[str]:
    d = send_budget.duration
    out = [f"Send budget for {p.precincts} precincts on {p.numbers} number{'' if p.numbers == 1 else 's'}"
           f" at {p.rate:g} segment/s each" + (f" ({p.number_type})" if p.number_type else "") + ":"]
    for line in p.lines:
        out.append(f"  {line.what:<42} {line.texts:>10.0f} texts {line.segments:>10.0f} segments")
    out.append(f"  {'the night':<42} {p.texts:>10.0f} texts {p.segments:>10.0f} segments "
               f"({d(p.night_sending_seconds)} of sending back to back)")
    out.append(f"A reminder blast takes {d(p.reminder_sending_seconds)}; a broadcast to every chair "
               f"{d(p.broadcast_sending_seconds)} (behind the read-backs).")
    verdict = "under" if p.meets_target else "OVER"
    out.append(f"Peak read-back wait when every precinct reports in the {p.figures[0].value:.0f}-s burst: "
               f"{d(p.peak.max_wait)} (p99 {d(p.peak.p99_wait)}), {verdict} the {p.target_seconds:.0f}-s target.")
    out.append(f"Numbers needed at {p.rate:g}/s for every read-back under {p.target_seconds:.0f} s: {p.numbers_needed}.")
    for o in p.options:
        out.append(f"  {o.kind.key:<11} at {o.kind.rate:g}/s: {o.numbers} number{'' if o.numbers == 1 else 's'} "
                   f"({o.kind.note}; {o.kind.source})")
    out.append("Figures:")
    for f in p.figures:
        out.append(f"  {f.name}: {f.value:g} ({f.source})")
    return out


COMMANDS = (remind, broadcast, blasts_group, plan)
