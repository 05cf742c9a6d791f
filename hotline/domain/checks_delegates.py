"""Checks of the reported county delegates against viability and the rule-consistent allocations."""
from __future__ import annotations

from typing import Callable, Sequence

from hotline.domain import coin_toss
from hotline.domain.allocation import names_text
from hotline.domain.check_context import ERROR, INFO, WARNING, Context
from hotline.domain.findings import Finding
from hotline.domain.languages import _, current


def _names(names: Sequence[str]) -> str:
    """"Sanders and Warren" ("Sanders y Warren" in Spanish): names inside a chair's sentence."""
    text = names_text(list(names))
    return text.replace(" and ", " y ") if current() == "es" else text


def _plural(n: int) -> str:
    return f"{n} county delegate" + ("" if n == 1 else "s")


def _judged(ctx: Context) -> bool:
    """Delegates can be judged: a regular precinct (published D) that reported them."""
    return not ctx.satellite and ctx.delegates is not None


def _no_viable_group(ctx: Context) -> list[Finding]:
    alloc = ctx.allocation
    if alloc is None or alloc.options:
        return []
    if ctx.viability is None:
        return [Finding("no-viable-group", ERROR, "Nobody is in the final alignment, so no group can"
                        " take the delegate.", short=_("The final alignment is empty - please check it."))]
    return [Finding("no-viable-group", ERROR,
                    f"No group reached the viability number {ctx.viability} in the final alignment,"
                    " so no delegate can be allocated.",
                    short=_("No group reaches viability {v} in the final alignment - check"
                            " the final counts.").format(v=ctx.viability))]


def _delegates_to_nonviable(ctx: Context) -> list[Finding]:
    v = ctx.viability
    if not _judged(ctx) or v is None or ctx.final is None:
        return []
    out = []
    for name, d in (ctx.delegates or {}).items():
        n = ctx.final.get(name, 0)
        if d > 0 and n < v:
            out.append(Finding("delegates-to-nonviable", ERROR,
                               f"{name} was given {_plural(d)} but has {n} in the final alignment, below the"
                               f" viability number {v}; a non-viable group wins no delegates.",
                               name, (_("{name} got {d} county delegate but {n} is below viability {v} in final.")
                                      if d == 1 else
                                      _("{name} got {d} county delegates but {n} is below viability {v} in final.")
                                      ).format(name=name, d=d, n=n, v=v)))
    return out


def _viable_without_delegate(ctx: Context) -> list[Finding]:
    alloc, dels, final = ctx.allocation, ctx.delegates or {}, ctx.final or {}
    if not _judged(ctx) or alloc is None or not alloc.options or ctx.viability is None:
        return []
    if alloc.is_consistent(dels):
        return []
    best = alloc.options[alloc.closest(dels)]
    out = []
    for name in alloc.viable:
        # "Enough delegates" = every rule-consistent outcome gives this group one.
        if dels.get(name, 0) == 0 and min(o[name] for o in alloc.options) >= 1:
            n = final[name]
            out.append(Finding("viable-group-without-delegate", ERROR,
                               f"{name} is viable in the final alignment ({n}, viability number"
                               f" {ctx.viability}) but was given no delegate; the caucus math gives {name}"
                               f" {best[name]}.", name,
                               _("{name} is viable ({n}) but got no delegate - the caucus math gives {best}.")
                               .format(name=name, n=n, best=best[name])))
    return out


def _delegates_sum(ctx: Context) -> list[Finding]:
    if not _judged(ctx):
        return []
    total, d = sum((ctx.delegates or {}).values()), ctx.results.delegates_to_elect
    if total == d:
        return []
    return [Finding("delegates-sum", ERROR,
                    f"The county delegates add up to {total}, but this precinct elects {d}.",
                    short=_("Delegates add up to {total}, but this precinct elects {d}.").format(total=total, d=d))]


def _allocation(ctx: Context) -> list[Finding]:
    """Reported delegates must be one of the rule-consistent allocations; a matched coin toss is info."""
    alloc = ctx.allocation
    if ctx.satellite or alloc is None or not alloc.options:
        return []
    if ctx.delegates is None or alloc.is_consistent(ctx.delegates):
        return _coin_toss(ctx) if alloc.coin_toss else []
    reported = ctx.delegates
    idx = alloc.closest(reported)
    expected = alloc.options[idx]
    names = [n for n in dict.fromkeys([*expected, *reported]) if expected.get(n, 0) != reported.get(n, 0)]
    names.sort(key=lambda n: -abs(expected.get(n, 0) - reported.get(n, 0)))
    return [_mismatch(ctx, n, expected.get(n, 0), reported.get(n, 0), idx) for n in names]


def _mismatch(ctx: Context, name: str, expected: int, reported: int, idx: int) -> Finding:
    alloc = ctx.allocation
    assert alloc is not None and ctx.final is not None
    if name not in alloc.viable:
        below = (f"below the viability number {ctx.viability}" if ctx.viability is not None
                 else "not the largest group")
        why = f"{name} has {ctx.final.get(name, 0)} in the final alignment, {below}"
    else:
        why = alloc.explain(name, idx) or "; ".join(s.text for s in alloc.paths[idx])
    toss = ""
    if alloc.coin_toss:
        toss = (f" A coin toss between {names_text(alloc.tied_groups)} leaves several outcomes, but none"
                " matches what was reported.")
    return Finding("allocation-mismatch", ERROR,
                   f"{name}: the caucus math gives {_plural(expected)}, not {reported}. Why: {why}.{toss}",
                   name, _("Delegates: the caucus math gives {name} {expected}, not {reported} - check the"
                           " worksheet.").format(name=name, expected=expected, reported=reported))


_TIE_WORDS = {"over": "which of {g} gives up a delegate", "under": "which of {g} gets a delegate",
              "free": "which of {g} takes the delegate(s) left over", "largest": "which of {g} (tied as"
              " the largest group) takes the delegates"}


def _coin_toss(ctx: Context) -> list[Finding]:
    """A tie the reported delegates (if any) fit: checked against the recorded toss, if there is one."""
    alloc = ctx.allocation
    assert alloc is not None
    what = "; ".join(_TIE_WORDS[t.kind].format(g=names_text(t.groups)) for t in alloc.ties)
    count = "many" if alloc.truncated else str(len(alloc.options))
    if ctx.delegates is not None:
        tail = f"the reported delegates match one of the {count} rule-consistent outcomes."
    else:
        tail = f"{count} outcomes are consistent with the rules."
    winners = ctx.toss if coin_toss.applies(alloc, ctx.toss) else None
    if winners is None:
        pairs = coin_toss.more_votes_fewer(ctx.final or {}, ctx.delegates or {}) if _judged(ctx) else []
        if pairs:
            x, y = pairs[0]
            return [Finding("coin-toss-unrecorded", WARNING,
                            f"A coin toss decides {what}; {tail} Only the toss explains why {x}, with more"
                            f" final votes ({ctx.final[x]}) than {y} ({ctx.final[y]}), has fewer county"
                            " delegates, and who won it is not recorded yet.", x,
                            _("Coin toss between {groups} not recorded yet - text COIN and the winner.")
                            .format(groups=_names(alloc.tied_groups)))]
        return [Finding("coin-toss", INFO, f"A coin toss decides {what}; {tail} Who won it is not"
                        " recorded yet.")]
    won = f"The coin toss was recorded as won by {names_text(list(winners))}"
    if ctx.delegates is not None and _judged(ctx) and not coin_toss.matches(alloc, winners, ctx.delegates):
        favoured = coin_toss.favoured(alloc, winners, ctx.delegates)
        gives = (f"The worksheet gives {names_text(favoured)} the delegate" if favoured
                 else "The reported delegates do not follow the toss")
        return [Finding("coin-toss-mismatch", ERROR, f"{gives}, but the coin toss was recorded as won by"
                        f" {names_text(list(winners))}.", favoured[0] if len(favoured) == 1 else None,
                        (_("The worksheet gives {favoured} the delegate, but the coin toss was recorded as won"
                           " by {winners} - check the worksheet.") if favoured else
                         _("The reported delegates do not follow the toss, but the coin toss was recorded as"
                           " won by {winners} - check the worksheet.")
                         ).format(favoured=_names(favoured), winners=_names(winners)))]
    return [Finding("coin-toss", INFO, f"A coin toss decides {what}; {tail} {won}.")]


def _more_votes_fewer(ctx: Context) -> list[Finding]:
    """A larger final group with fewer delegates than a smaller one (only when not rule-consistent)."""
    alloc, dels, final = ctx.allocation, ctx.delegates or {}, ctx.final
    if not _judged(ctx) or alloc is None or final is None or alloc.is_consistent(dels):
        return []
    out = []
    for x in sorted(final, key=lambda n: (-final[n], n)):
        worse = [y for y in final if final[y] < final[x] and dels.get(y, 0) > dels.get(x, 0)]
        if worse:
            y = max(worse, key=lambda n: (dels.get(n, 0), final[n]))
            dx, dy = dels.get(x, 0), dels.get(y, 0)
            out.append(Finding("more-votes-fewer-delegates", ERROR,
                               f"{x} has more final votes ({final[x]}) than {y} ({final[y]}) but fewer"
                               f" county delegates ({dx} vs {dy}).", x,
                               _("{x} has more final votes than {y} but fewer delegates ({dx} vs {dy}).")
                               .format(x=x, y=y, dx=dx, dy=dy)))
    return out


def shift(values: dict[str, int], order: tuple[str, ...], direction: int) -> dict[str, int] | None:
    """Undo a one-row shift: direction +1 reads each number from the next row; None if a number would be lost."""
    vals = [values.get(n, 0) for n in order]
    if direction > 0:
        if vals[0]:
            return None
        moved = vals[1:] + [0]
    else:
        if vals[-1]:
            return None
        moved = [0] + vals[:-1]
    return dict(zip(order, moved))


def _locked_losses(ctx: Context, final: dict[str, int]) -> int:
    v, first = ctx.viability or 0, ctx.first or {}
    return sum(1 for n, f in first.items() if f >= v and final.get(n, 0) < f)


def _column_shift(ctx: Context) -> list[Finding]:
    """One candidate's numbers under another's name: undoing a one-row shift makes the stage fit the rules."""
    if len(ctx.order) < 2:
        return []
    out = []
    if ctx.first and ctx.final and ctx.viability is not None and ctx.rules.lock_first_viable \
            and _locked_losses(ctx, ctx.final):
        for direction in (1, -1):
            fixed = shift(ctx.final, ctx.order, direction)
            if fixed and fixed != _full(ctx.final, ctx.order) and not _locked_losses(ctx, fixed):
                out.append(_shift_finding(ctx, "final-alignment numbers", "no viable group loses members",
                                          ctx.final, fixed, direction))
                break
    alloc, dels = ctx.allocation, ctx.delegates or {}
    # A shifted final alignment already explains delegates that do not fit it.
    if not out and _judged(ctx) and alloc is not None and alloc.options and not alloc.is_consistent(dels):
        for direction in (1, -1):
            fixed = shift(dels, ctx.order, direction)
            if fixed and any(fixed.values()) and alloc.is_consistent(fixed):
                out.append(_shift_finding(ctx, "county-delegate numbers", "they match the caucus math",
                                          dels, fixed, direction))
                break
    return out


def _full(values: dict[str, int], order: tuple[str, ...]) -> dict[str, int]:
    return {n: values.get(n, 0) for n in order}


def _shift_finding(ctx: Context, stage: str, fits: str, entered: dict[str, int],
                   fixed: dict[str, int], direction: int) -> Finding:
    order = ctx.order
    # Name one moved number as an example the chair can find on the worksheet.
    i = next(i for i, n in enumerate(order) if fixed[n] and fixed[n] != entered.get(n, 0))
    under = order[i + direction]
    where = "the next" if direction > 0 else "the previous"
    return Finding("column-shift", WARNING,
                   f"The {stage} look shifted by one candidate: each number seems to sit under {where}"
                   f" candidate's name (e.g. {fixed[order[i]]} under {under} looks like {order[i]}'s)."
                   f" Taking each number from the row {'below' if direction > 0 else 'above'}, {fits}."
                   " Check which number goes with which candidate.", order[i],
                   (_("The final-alignment numbers look shifted by one name ({n} under {under}, not {name}?)"
                      " - check the worksheet.") if stage.startswith("final") else
                    _("The county-delegate numbers look shifted by one name ({n} under {under}, not {name}?)"
                      " - check the worksheet.")).format(n=fixed[order[i]], under=under, name=order[i]))


DELEGATE_CHECKS: tuple[Callable[[Context], list[Finding]], ...] = (
    _column_shift, _no_viable_group, _delegates_sum, _allocation, _delegates_to_nonviable,
    _viable_without_delegate, _more_votes_fewer)
