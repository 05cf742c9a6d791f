"""Coin tosses: which allocations a recorded toss leaves, and which tied groups a chair's words name.

Pure: the checks (checks_delegates) and the recording use case (services/records/coin_toss.py)
both use it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from hotline.domain.allocation import names_text
from hotline.domain.caucus_math import Allocation


class WinnerProblem(ValueError):
    """Winners that cannot be recorded for this tie (the message says why, in plain words)."""


def questions(alloc: Allocation | None) -> tuple[tuple[str, ...], ...]:
    """The tied groups to ask about, one tuple per distinct tie, in the order the math met them."""
    if alloc is None or not alloc.coin_toss:
        return ()
    return tuple(dict.fromkeys(tuple(tie.groups) for tie in alloc.ties))


def applies(alloc: Allocation | None, winners: Sequence[str] | None) -> bool:
    """Whether recorded winners speak to this allocation: a tie, and every winner one of its groups."""
    if alloc is None or not alloc.coin_toss or not winners:
        return False
    return set(winners) <= set(alloc.tied_groups)


def consistent_options(alloc: Allocation, winners: Sequence[str]) -> tuple[dict[str, int], ...]:
    """The rule-consistent allocations the toss leaves: each winner, in turn, gets the most
    delegates any remaining option gives it."""
    options = list(alloc.options)
    for winner in winners:
        if not options:
            break
        best = max(option.get(winner, 0) for option in options)
        options = [option for option in options if option.get(winner, 0) == best]
    return tuple(options)


def matches(alloc: Allocation, winners: Sequence[str], reported: dict[str, int]) -> bool:
    """Whether the reported delegates are one of the allocations the recorded toss leaves."""
    if alloc.truncated:  # beyond the enumeration cap the options are not all known: no verdict
        return True
    wanted = {name: n for name, n in reported.items() if n}
    return any({name: n for name, n in option.items() if n} == wanted
               for option in consistent_options(alloc, winners))


def favoured(alloc: Allocation, winners: Sequence[str], reported: dict[str, int]) -> list[str]:
    """The tied groups the reported delegates favour beyond what the recorded toss allows."""
    options = consistent_options(alloc, winners)
    if not options:
        return []
    return [g for g in alloc.tied_groups if reported.get(g, 0) > max(o.get(g, 0) for o in options)]


def more_votes_fewer(final: dict[str, int], delegates: dict[str, int]) -> list[tuple[str, str]]:
    """Pairs (x, y): x has more final votes than y but fewer delegates."""
    return [(x, y) for x in sorted(final, key=lambda n: (-final[n], n)) for y in final
            if final[x] > final[y] and delegates.get(x, 0) < delegates.get(y, 0)]


def check_winners(alloc: Allocation | None, winners: Sequence[str]) -> tuple[str, ...]:
    """The winners in tie order, or WinnerProblem when they cannot be recorded."""
    ties = questions(alloc)
    if alloc is None or not ties:
        raise WinnerProblem("there is no coin toss in this precinct's delegate math")
    chosen = list(dict.fromkeys(winners))
    if not chosen:
        raise WinnerProblem("no winner was named")
    tied = alloc.tied_groups
    outside = [w for w in chosen if w not in tied]
    if outside:
        raise WinnerProblem(f"{names_text(outside)} {'is' if len(outside) == 1 else 'are'} not in the coin toss"
                            f" (between {names_text(tied)})")
    for groups in ties:
        named = [w for w in chosen if w in groups]
        if len(named) == len(groups) and len(groups) > 1 and len(ties) == 1:
            raise WinnerProblem(f"only one of {names_text(groups)} can win the toss")
    return tuple(sorted(chosen, key=tied.index))


def resolve(choices: Iterable[frozenset[str]], tied: Sequence[str]) -> tuple[list[str], list[str]]:
    """The tied groups a chair's words name: (winners, problems). Each word's candidate set is
    narrowed to the tied groups (a misspelling that could be two people may fit only one)."""
    winners, problems = [], []
    for names in choices:
        inside = [g for g in tied if g in names]
        if len(inside) == 1:
            winners.append(inside[0])
        elif inside:
            problems.append(f"'{' or '.join(inside)}' is not clear")
        else:
            outside = sorted(names)
            problems.append(f"{names_text(outside)} {'is' if len(outside) == 1 else 'are'} not in the coin toss"
                            f" (between {names_text(tied)})")
    return winners, problems

