"""`hotline verify-public URL CODE`: the public verifier (hotline/verifier/verify_public.py, the
script anyone can download from /results/verify_public.py), plus a cross-check of its caucus math
with the product's own engine: two implementations of the rules that must agree."""
from __future__ import annotations

import json

import click

from hotline.domain import coin_toss
from hotline.domain.caucus_math import allocations
from hotline.verifier import verify_public as vp

NAME = "engine cross-check"


def _key(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((g, n) for g, n in counts.items() if n))


def cross_check(report: vp.Report) -> None:
    """Add a check to `report`: the verifier's math and the engine's agree on this precinct."""
    record = report.record or {}
    d, a = record.get("delegates_to_elect"), record.get("attendance")
    final, delegates = record.get("final") or {}, record.get("delegates") or {}
    if d is None or not isinstance(a, int) or a < 1 or not final:
        report.add(NAME, vp.NOTE, "no delegate math to compare (a satellite caucus, or no attendance)")
        return
    theirs, mine = allocations(final, d, a), vp.allocate(final, d, a)
    problems = []
    if theirs.viability != mine.viability:
        problems.append(f"viability number: engine {theirs.viability}, verifier {mine.viability}")
    if set(theirs.viable) != set(mine.viable):
        problems.append(f"viable groups: engine {list(theirs.viable)}, verifier {list(mine.viable)}")
    if theirs.is_consistent(delegates) != mine.contains(delegates):
        problems.append(f"the reported delegates are {'' if theirs.is_consistent(delegates) else 'not '}"
                        f"consistent for the engine, {'' if mine.contains(delegates) else 'not '}for the verifier")
    listed = mine.options(limit=5000)
    if not theirs.truncated:
        if listed is None or {_key(o) for o in theirs.options} != {_key(o) for o in listed}:
            problems.append(f"allocations: engine {len(theirs.options)}, verifier "
                            f"{'more than 5000' if listed is None else len(listed)}, not the same set")
        toss = record.get("coin_toss") or {}
        winners = list(toss.get("winners") or [])
        if winners and listed is not None and {_key(o) for o in coin_toss.consistent_options(theirs, winners)} != \
                {_key(o) for o in vp.after_toss(listed, winners)}:
            problems.append(f"the allocations the toss won by {', '.join(winners)} leaves differ")
    if problems:
        report.add(NAME, vp.FAIL, "the verifier and the product's engine disagree: " + "; ".join(problems))
    else:
        count = "over 1000" if theirs.truncated else str(len(theirs.options))
        report.add(NAME, vp.OK, f"the product's engine agrees: viability {theirs.viability}, {count} "
                                f"allocation{'s' if count != '1' else ''}, the delegates "
                                f"{'fit' if theirs.is_consistent(delegates) else 'do not fit'}")


@click.command("verify-public")
@click.argument("url")
@click.argument("code")
@click.option("--public-key", metavar="B64", help="The signing key published elsewhere (base64 of its 32 raw "
                                                  "bytes, or PEM); without it the server's own key is used.")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.option("--photos", is_flag=True, help="Also download each published photo and check its SHA-256.")
def verify_public_command(url: str, code: str, public_key: str | None, as_json: bool, photos: bool) -> None:
    """Check precinct CODE's published results at URL as the public verifier does (signed
    checkpoint, inclusion proofs, figures against the log, caucus math), and cross-check the math
    with the product's engine. Exit 0 all good, 1 a check failed, 2 could not check."""
    report = vp.verify(url, code, public_key=public_key, photos=photos)
    if report.error is None:
        cross_check(report)
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else "\n".join(report.lines()))
    click.get_current_context().exit(report.exit_code)
