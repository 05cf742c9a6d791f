"""Observers in the drill: someone beside a share of the chairs texting the same counts, a few
planted with one count off; afterwards, whether the hotline found exactly the conflicts it should.

Each observer reports the stages its chair reports, a few seconds after it (the same night: the
chair's plan seed), from a phone of its own, and confirms with the code from its read-back. The
planted ones change one candidate's count by a few in one stage. What must conflict is computed
from what each side finally confirmed (a chair's confirmed typo, corrected later, may open a
conflict that then clears: allowed, not required). Observers are registered with
`hotline observers import`, run as a command (the harness does not import the CLI).
"""
from __future__ import annotations

import csv
import io
import multiprocessing as mp
import os
import random
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.adapters.models import BacklogItem, Observation, Precinct, Report
from hotline.config import Config
from hotline.domain import sources
from hotline.domain.model import Candidate, Stage
from hotline.domain.sources import Observed, Tolerance
from hotline_drill import load
from hotline_drill.chairs import Plan, Texter
from hotline_drill.simulation import caucus_night, stage_text

ORGANISATIONS = ("Warren campaign", "Sanders campaign", "League of Women Voters")
PHONE_PREFIX = "+1208777"  # no chair's (demo_roster's area codes), flood's or sending number's
STAGES = (Stage.FIRST, Stage.FINAL, Stage.DELEGATES)
# A chair's stage takes its gap plus about this much (read-back, reading it, the "Recorded" reply);
# the observer's schedule follows the chair's by this estimate, then a few seconds more.
CHAIR_STAGE_SECONDS = 3.0
LAG_SECONDS = (1.0, 5.0)
CONFLICT_KIND = "source_conflict"


@dataclass
class ObserverPlan:
    precinct: str
    phone: str
    name: str
    organisation: str
    chair_seed: int  # the chair's plan seed: the same caucus night
    at: list[float]  # seconds after the night's start at which each stage is texted
    messy: bool
    seed: int
    planted_stage: str | None = None  # the stage texted with one count off
    planted_by: int = 0  # by how much (never within the stage's tolerance)


@dataclass
class ObserverOutcome:
    precinct: str
    phone: str
    confirms: list[dict[str, Any]] = field(default_factory=list)  # stage, counts, yes_sent_at, answered
    readbacks: int = 0  # read-backs that named the precinct as an observer count
    recorded: int = 0  # "your count ... is recorded" replies
    problems: list[str] = field(default_factory=list)


def tolerance(config: Config) -> Tolerance:
    return Tolerance(config.conflict_tolerance_alignment, config.conflict_tolerance_delegates)


def default_planted(observers: int) -> int:
    """5% of the observers, at least one when there are any."""
    return max(1, int(0.05 * observers)) if observers else 0


def make_plans(chairs: Sequence[Plan], share: float, planted: int | None, seed: int,
               tol: Tolerance = Tolerance()) -> list[ObserverPlan]:
    """One observer for `share` of the precincts; `planted` of them (default 5%) one count off."""
    rng = random.Random(seed * 31 + 7)
    if share <= 0 or not chairs:
        return []
    chosen = sorted(rng.sample(range(len(chairs)), k=min(len(chairs), round(share * len(chairs)))))
    n_planted = default_planted(len(chosen)) if planted is None else min(planted, len(chosen))
    off = set(rng.sample(range(len(chosen)), k=n_planted))
    plans = []
    for n, i in enumerate(chosen):
        chair = chairs[i]
        # When the chair's stages go out: its start and gaps, each stage's round trip (twice for
        # the first stage when it sends a typo and its correction).
        extra = CHAIR_STAGE_SECONDS * (2 if chair.correction else 1)
        starts = [chair.start, chair.start + extra + chair.gaps[0],
                  chair.start + extra + CHAIR_STAGE_SECONDS + chair.gaps[0] + chair.gaps[1]]
        stage = rng.choice(STAGES) if n in off else None
        plans.append(ObserverPlan(
            precinct=chair.precinct, phone=f"{PHONE_PREFIX}{n:04d}", name=f"Observer {n + 1}",
            organisation=ORGANISATIONS[n % len(ORGANISATIONS)], chair_seed=chair.seed,
            at=[t + rng.uniform(*LAG_SECONDS) for t in starts], messy=rng.random() < 0.1,
            seed=seed * 7919 + 100_000 + n, planted_stage=stage.value if stage else None,
            planted_by=(tol.of(stage) + rng.randint(1, 3)) * rng.choice((1, -1)) if stage else 0))
    return plans


def observers_csv(plans: Sequence[ObserverPlan]) -> str:
    """The `hotline observers import` file for these observers."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["name", "organisation", "phones", "precincts"])
    for p in plans:
        w.writerow([p.name, p.organisation, p.phone, p.precinct])
    return out.getvalue()


def register(database_url: str, folder: Path, plans: Sequence[ObserverPlan]) -> None:
    """Import the observers with the product's own command (it refuses a chair's phone)."""
    path = folder / "observers.csv"
    path.write_text(observers_csv(plans), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # no Redis: nothing to queue
    env.update({"HOTLINE_ENV": "development", "HOTLINE_INSTANCE_PATH": str(folder), "DATABASE_URL": database_url})
    done = subprocess.run([sys.executable, "-c", "from hotline.cli import cli; cli()", "observers", "import",
                           str(path)], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"hotline observers import failed: {done.stderr.strip() or done.stdout.strip()}")


def off_by(counts: Mapping[str, int], by: int, rng: random.Random) -> dict[str, int]:
    """The counts with one candidate's changed by `by` (the other way if it would go below 0)."""
    changed = dict(counts)
    name = rng.choice(sorted(changed))
    changed[name] = changed[name] + by if changed[name] + by >= 0 else changed[name] - by
    return changed


def play(plan: ObserverPlan, texter: Texter, candidates: list[Candidate], delegates: int, t0: float) -> ObserverOutcome:
    """Text each stage the chair reports (one off if planted) and confirm each with its code."""
    rng = random.Random(plan.seed)
    night = caucus_night(random.Random(plan.chair_seed), candidates, delegates)
    out = ObserverOutcome(plan.precinct, plan.phone)
    stages = list(zip(STAGES, (night.first, night.final, night.delegates)))
    # A night without delegates to report has its planted difference in the first alignment.
    planted = plan.planted_stage if plan.planted_stage and dict(stages)[Stage(plan.planted_stage)] else \
        (Stage.FIRST.value if plan.planted_stage else None)
    for i, (stage, counts) in enumerate(stages):
        if not counts:
            continue
        if planted == stage.value:
            counts = off_by(counts, plan.planted_by, rng)
        _sleep_until(t0 + plan.at[i])
        _observe(plan, texter, rng, stage, counts, night.attendance if i == 0 else None, out)
    return out


def _observe(plan: ObserverPlan, texter: Texter, rng: random.Random, stage: Stage, counts: dict[str, int],
             attendance: int | None, out: ObserverOutcome) -> None:
    text = stage_text(rng, stage, counts, messy=plan.messy, attendance=attendance)
    code, body = None, ""
    for _ in range(2):
        texter.post(plan.phone, text)
        code, body = texter.reply_with_code(plan.phone)
        if code:
            break
        out.problems.append(f"{plan.precinct} observer {stage.value}: no code ({body[:80]!r}) for {text!r}")
        text = stage_text(rng, stage, counts, messy=False, attendance=attendance)
    if not code:
        return
    if f"{plan.precinct} observer count:" in body:
        out.readbacks += 1
    else:
        out.problems.append(f"{plan.precinct} observer {stage.value}: not an observer's read-back: {body[:80]!r}")
    time.sleep(rng.uniform(0.5, 2.0))  # reading the read-back
    yes_at = time.time()
    texter.post(plan.phone, f"YES {code}")
    body = texter.reply(plan.phone) or ""
    if f"count for {plan.precinct}" in body and "is recorded" in body:
        out.recorded += 1
    else:
        out.problems.append(f"{plan.precinct} observer {stage.value}: confirmation answered {body[:80]!r}")
        if body:
            return  # refused: nothing recorded
    out.confirms.append({"stage": stage.value, "counts": counts, "yes_sent_at": yes_at, "answered": bool(body)})


def _sleep_until(t: float) -> None:
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)


def _safe_play(plan: ObserverPlan, texter: Texter, cands: list[Candidate], d: int, t0: float) -> ObserverOutcome:
    try:
        return play(plan, texter, cands, d, t0)
    except Exception as exc:  # noqa: BLE001 - one observer's crash is a finding, not the drill's end
        out = ObserverOutcome(plan.precinct, plan.phone)
        out.problems.append(f"{plan.precinct} observer: client error {exc!r}")
        return out


def _process(plans: list[dict], delegates: dict[str, int], cands: list[Candidate], ctx: dict,
             results: "mp.Queue[dict]") -> None:
    load.idle_priority()
    texter = Texter(ctx["url"], ctx["token"], ctx["redis_url"], ctx.get("duplicates", False), client="observer")
    with ThreadPoolExecutor(max_workers=len(plans) or 1) as pool:
        futures = [pool.submit(_safe_play, ObserverPlan(**p), texter, cands, delegates[p["precinct"]], ctx["t0"])
                   for p in plans]
        for f in futures:
            results.put(asdict(f.result()))


@dataclass
class Running:
    """The observers' client process, started beside the chairs'."""

    procs: list[Any]
    results: "mp.Queue[dict]"
    expected: int

    def collect(self) -> list[dict]:
        got = load.collect(self.results, self.expected, self.procs) if self.expected else []
        for p in self.procs:
            p.join(timeout=30)
        return got


def start(plans: Sequence[ObserverPlan], delegates: dict[str, int], cands: list[Candidate], ctx: dict,
          generators: set[int] | None = None) -> Running:
    """Play every observer in one client process (a thread each); `collect()` their outcomes."""
    results: "mp.Queue[dict]" = mp.Queue()
    procs = []
    if plans:
        procs.append(mp.Process(target=_process, args=([asdict(p) for p in plans], delegates, cands, ctx, results),
                                daemon=True))
        procs[0].start()
        if generators is not None and procs[0].pid is not None:
            generators.add(procs[0].pid)
    return Running(procs, results, len(plans))


@dataclass(frozen=True)
class Expected:
    """What the hotline should have made of the observers, from what each side finally confirmed."""

    conflicts: frozenset[str]  # final figures differ: an item must exist
    agreeing: frozenset[str]  # final figures agree on every stage both sides have
    may_clear: frozenset[str]  # agreeing, but some earlier confirmation differed: a resolved item is allowed


def expected_conflicts(chair: Mapping[tuple[str, str], Sequence[Mapping[str, int]]],
                       observed: Mapping[tuple[str, str], Sequence[Mapping[str, int]]],
                       tol: Tolerance) -> Expected:
    """Which observed precincts must conflict, agree, or may show a conflict that cleared.

    Both maps give, per (precinct, stage), the counts confirmed in order (the last one stands).
    Only stages both sides confirmed are compared, as the hotline does.
    """
    conflicts, agreeing, may_clear = set(), set(), set()
    for code in {c for c, _ in observed}:
        common = [st for st in STAGES if chair.get((code, st.value)) and observed.get((code, st.value))]
        if not common:
            continue
        if any(_differ(chair[(code, st.value)][-1], observed[(code, st.value)][-1], st, tol) for st in common):
            conflicts.add(code)
            continue
        agreeing.add(code)
        if any(_differ(c, o, st, tol) for st in common
               for c in chair[(code, st.value)] for o in observed[(code, st.value)]):
            may_clear.add(code)
    return Expected(frozenset(conflicts), frozenset(agreeing), frozenset(may_clear))


def _differ(chair: Mapping[str, int], observed: Mapping[str, int], stage: Stage, tol: Tolerance) -> bool:
    return bool(sources.differences(chair, observed, stage, tol))


def confirmed(outcomes: Sequence[dict]) -> dict[tuple[str, str], list[Mapping[str, int]]]:
    """Each (precinct, stage)'s confirmed counts in the order they were confirmed."""
    out: dict[tuple[str, str], list[tuple[float, Mapping[str, int]]]] = {}
    for o in outcomes:
        for c in o["confirms"]:
            out.setdefault((o["precinct"], c["stage"]), []).append((c["yes_sent_at"], c["counts"]))
    return {k: [counts for _, counts in sorted(v, key=lambda x: x[0])] for k, v in out.items()}


def judge(s: Session, plans: Sequence[ObserverPlan], chair_outcomes: Sequence[dict],
          observer_outcomes: Sequence[dict], tol: Tolerance) -> dict[str, Any]:
    """Conflicts found, false and missed against the expected set; observers answered; corroborated."""
    exp = expected_conflicts(confirmed(chair_outcomes), confirmed(observer_outcomes), tol)
    items: dict[str, list[bool]] = {}  # precinct -> each item's "still open"
    for code, resolved_at in s.execute(select(Precinct.code, BacklogItem.resolved_at)
                                       .join(Precinct, Precinct.id == BacklogItem.precinct_id)
                                       .where(BacklogItem.kind == CONFLICT_KIND)):
        items.setdefault(code, []).append(resolved_at is None)
    cleared = {code for code in items if code in exp.may_clear and not any(items[code])}
    false = sorted(set(items) - exp.conflicts - cleared)
    unanswered = [o for o in observer_outcomes if o["problems"]]
    return {"observers": len(plans), "precincts_observed": len({p.precinct for p in plans}),
            "planted": sorted(p.precinct for p in plans if p.planted_stage),
            "expected_conflicts": sorted(exp.conflicts),
            "found": len(exp.conflicts & set(items)), "false": false,
            "missed": sorted(exp.conflicts - set(items)), "cleared": sorted(cleared),
            "corroborated": corroborated(s, tol),
            "readbacks": sum(o["readbacks"] for o in observer_outcomes),
            "recorded": sum(o["recorded"] for o in observer_outcomes),
            "without_answer": len(unanswered),
            "problems": [p for o in unanswered for p in o["problems"]][:25]}


def corroborated(s: Session, tol: Tolerance) -> int:
    """Precincts whose observers' latest confirmed counts all agree with the chair's recorded
    figures, read from the hotline's own tables (its comparison, redone from the rows)."""
    latest: dict[int, dict[int, dict[Stage, Mapping[str, int]]]] = {}
    organisation: dict[int, str] = {}
    for row in s.execute(select(Observation).where(Observation.status == "confirmed")
                         .order_by(Observation.confirmed_at.desc(), Observation.id.desc())).scalars():
        mine = latest.setdefault(row.precinct_id, {}).setdefault(row.observer_id, {})
        organisation[row.observer_id] = row.observer.organisation
        for stage, counts in (row.stages or {}).items():
            mine.setdefault(Stage(stage), counts)
    chair: dict[int, dict[Stage, Mapping[str, int]]] = {}
    current = select(Report.precinct_id, Report.stage, Report.counts).where(
        Report.status == "current", Report.precinct_id.in_(list(latest) or [0]))
    for pid, stage, counts in s.execute(current):
        chair.setdefault(pid, {})[Stage(stage)] = counts
    n = 0
    for pid, by_observer in latest.items():
        seen = sources.compare_all(chair.get(pid, {}), [Observed(oid, organisation[oid], st)
                                                        for oid, st in by_observer.items()], tol)
        n += bool(seen) and all(c.agrees for c in seen)
    return n


def line(r: dict[str, Any]) -> str:
    """`observers: 530 precincts observed, 26 planted conflicts: 26 found, 0 false, 0 missed; 504 corroborated`"""
    text = (f"observers: {r['precincts_observed']} precincts observed, {len(r['expected_conflicts'])} planted "
            f"conflicts: {r['found']} found, {len(r['false'])} false, {len(r['missed'])} missed; "
            f"{r['corroborated']} corroborated")
    if r["cleared"]:
        text += f"; {len(r['cleared'])} cleared after the chair's correction"
    if r["without_answer"]:
        text += f"; {r['without_answer']} observers left without an answer"
    return text


def verdicts(r: dict[str, Any] | None) -> dict[str, bool]:
    """Judged only when the night had observers."""
    if not r or not r["observers"]:
        return {}
    return {"observers: every planted conflict found, none false":
            not r["missed"] and not r["false"] and r["found"] == len(r["expected_conflicts"]),
            "observers: each got its read-back and 'recorded' reply": r["without_answer"] == 0}
