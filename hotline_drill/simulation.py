"""Plausible caucus nights and the texts chairs send about them (for the simulator and drill)."""
from __future__ import annotations

import random
from dataclasses import dataclass

from hotline.domain.caucus_math import allocations, viability_number
from hotline.domain.model import Candidate, Stage

# Everyday spellings chairs use; the parser must understand all of them.
NICKNAMES = {"Buttigieg": ["Pete", "Buttigeg", "mayor pete", "BUTTIGIEG"],
             "Sanders": ["Bernie", "Sandres", "bernie"], "Warren": ["Liz", "Warrren", "EW"],
             "Klobuchar": ["Amy", "Klobachar", "klob"], "Biden": ["Joe", "Bidden", "joe biden"],
             "Yang": ["Andrew Yang", "yang"], "Steyer": ["Tom Steyer", "steyer"],
             "Uncommitted": ["uncommitted", "Uncom"]}


@dataclass(frozen=True)
class Night:
    """One precinct's caucus: attendance, first and final alignment, delegates won."""

    attendance: int
    first: dict[str, int]
    final: dict[str, int]
    delegates: dict[str, int]


def caucus_night(rng: random.Random, candidates: list[Candidate], delegates_to_elect: int) -> Night:
    """Everyone stands in a group; non-viable groups realign; delegates follow the rules."""
    names = [c.name for c in candidates]
    groups = rng.sample(names, k=min(len(names), rng.randint(3, 6)))
    attendance = rng.randint(20, 300)
    weights = [rng.random() + 0.2 for _ in groups]
    first = _split(rng, attendance, groups, weights)
    v = viability_number(attendance, delegates_to_elect) or 1
    viable = [g for g in groups if first[g] >= v] or [max(first, key=first.__getitem__)]
    final = {g: first[g] for g in viable}
    for g in groups:
        if g in viable:
            continue
        leaving = rng.randint(0, first[g] // 5)  # a few people go home
        target = rng.choice(viable)
        final[target] += first[g] - leaving
    alloc = allocations(final, delegates_to_elect, attendance)
    delegates = {g: n for g, n in rng.choice(alloc.options).items() if n} if alloc.options else {}
    return Night(attendance, first, final, delegates)


def _split(rng: random.Random, total: int, groups: list[str], weights: list[float]) -> dict[str, int]:
    scale = total / sum(weights)
    counts = {g: max(1, int(w * scale)) for g, w in zip(groups, weights)}
    counts[groups[0]] += total - sum(counts.values())
    if counts[groups[0]] < 1:  # rounding pushed the first group negative: rebalance simply
        counts = {g: total // len(groups) for g in groups}
        counts[groups[0]] += total - sum(counts.values())
    return counts


def stage_text(rng: random.Random, stage: Stage, counts: dict[str, int], *, messy: bool,
               precinct: str | None = None, pin: str | None = None, attendance: int | None = None) -> str:
    """The text a chair would send for one stage, tidy or the way people really type."""
    head = [] if precinct is None else [precinct if messy else f"Precinct {precinct}"]
    if pin:
        head.append(f"PIN {pin}")
    if not messy:
        body = ", ".join(f"{name} {n}" for name, n in counts.items())
        att = f" att {attendance}" if attendance else ""
        return " ".join(head + [f"{stage.value}:{att} {body}"]).strip()
    word = {Stage.FIRST: rng.choice(["1st", "First alignment", "FIRST"]),
            Stage.FINAL: rng.choice(["final", "2nd", "Final alignment"]),
            Stage.DELEGATES: rng.choice(["dels", "delegates", "county delegates"])}[stage]
    pairs = []
    for name, n in counts.items():
        alias = rng.choice(NICKNAMES.get(name, [name.lower()]))
        pairs.append(rng.choice([f"{alias} {n}", f"{n} {alias}", f"{alias}: {n}", f"{alias}={n}", f"{alias}-{n}"]))
    sep = rng.choice([", ", "\n", "; ", " "])
    return " ".join(head + [f"{word}{rng.choice([':', '', ' -'])}"]) + "\n" + sep.join(pairs)
