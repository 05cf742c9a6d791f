"""Generate a realistic statewide caucus results CSV (+ counties CSV) with deliberate mistakes of each kind.

Usage: python scripts/make_audit_sample.py --precincts 1765 --out results.csv --counties-out counties.csv
The mistakes injected are counted on stderr, so the audit's findings can be compared with them.
"""
from __future__ import annotations

import argparse
import csv
import math
import random
import sys
from array import array
from collections import Counter, deque
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hotline.domain.caucus_math import allocations, round_sde, viability_number  # noqa: E402

COUNTIES = (
    "Adair Adams Allamakee Appanoose Audubon Benton BlackHawk Boone Bremer Buchanan BuenaVista Butler"
    " Calhoun Carroll Cass Cedar CerroGordo Cherokee Chickasaw Clarke Clay Clayton Clinton Crawford"
    " Dallas Davis Decatur Delaware DesMoines Dickinson Dubuque Emmet Fayette Floyd Franklin Fremont"
    " Greene Grundy Guthrie Hamilton Hancock Hardin Harrison Henry Howard Humboldt Ida Iowa Jackson"
    " Jasper Jefferson Johnson Jones Keokuk Kossuth Lee Linn Louisa Lucas Lyon Madison Mahaska Marion"
    " Marshall Mills Mitchell Monona Monroe Montgomery Muscatine OBrien Osceola Page PaloAlto Plymouth"
    " Pocahontas Polk Pottawattamie Poweshiek Ringgold Sac Scott Shelby Sioux Story Tama Taylor Union"
    " VanBuren Wapello Warren Washington Wayne Webster Winnebago Winneshiek Woodbury Worth Wright").split()
# Ballot order, with roughly the 2020 first-alignment shares (percent).
CANDIDATES = (("Bennet", 0.1), ("Biden", 14.9), ("Bloomberg", 0.1), ("Buttigieg", 21.3), ("Delaney", 0.05),
              ("Gabbard", 0.2), ("Klobuchar", 12.7), ("Patrick", 0.05), ("Sanders", 24.7), ("Steyer", 1.7),
              ("Warren", 18.4), ("Yang", 5.0), ("Other", 0.1), ("Uncommitted", 0.6))
NAMES = [c for c, _ in CANDIDATES]
MISTAKES = ("final-gt-first", "viable-lost-members", "delegate-to-nonviable", "viable-no-delegate",
            "delegates-sum", "swapped-delegates", "missing-stage", "partial-stage", "identical",
            "column-shift", "attendance-vs-turnout", "sde-typo")
HEADER = ["county", "precinct", "delegates", "candidate", "first", "final", "county_delegates",
          "attendance", "sde", "past_turnout"]


def _split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """Split `total` people by weights: floors plus the remainder to random groups by weight."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    counts = [math.floor(r) for r in raw]
    for i in rng.choices(range(len(weights)), weights=weights, k=total - sum(counts)):
        counts[i] += 1
    return counts


def _first(attendance: int, rng: random.Random) -> list[int]:
    # Local leanings vary a lot between precincts (town vs college precinct).
    weights = [share * rng.lognormvariate(0, 0.6) for _, share in CANDIDATES]
    return _split(attendance, weights, rng)


def _final(first: list[int], viability: int | None, rng: random.Random) -> list[int]:
    """Realignment: viable groups are locked; others mostly join a viable group, some stay, some leave."""
    if viability is None:  # one-delegate precinct: small groups drift to the two largest
        top = sorted(range(len(first)), key=lambda i: -first[i])[:2]
        final = [n if i in top or rng.random() < 0.3 else 0 for i, n in enumerate(first)]
        for i, n in enumerate(first):
            if n and not final[i]:
                final[rng.choice(top)] += n if rng.random() < 0.9 else 0
        return final
    viable = [i for i, n in enumerate(first) if n >= viability] or [max(range(len(first)), key=first.__getitem__)]
    final = [n if i in viable else 0 for i, n in enumerate(first)]
    for i, n in enumerate(first):
        if i in viable or not n:
            continue
        fate = rng.random()
        if fate < 0.75:
            for j, k in zip(viable, _split(n, [first[v] for v in viable], rng)):
                final[j] += k
        elif fate < 0.87:
            final[i] = n  # stayed in a non-viable group: allowed
        else:
            final[rng.choice(viable)] += rng.randint(0, n)  # some went home
    return final


def _apportion(n: int, rng: random.Random) -> tuple[array, array]:
    """County of each precinct and its D (0 = satellite with no published D)."""
    weights = [rng.paretovariate(1.2) for _ in COUNTIES]
    counties = array("H", rng.choices(range(len(COUNTIES)), weights=weights, k=n))
    d_values = list(range(1, 37))
    d_weights = [8 if d <= 2 else 14 if d <= 6 else 6 if d <= 12 else 1.2 for d in d_values]
    ds = array("H", (0 if rng.random() < 0.05 else rng.choices(d_values, d_weights)[0] for _ in range(n)))
    regular = {c for c, d in zip(counties, ds) if d}
    for i, c in enumerate(counties):
        if c not in regular:  # every county has at least one regular precinct (satellites are extra)
            ds[i] = rng.choices(d_values, d_weights)[0]
            regular.add(c)
    return counties, ds


def _county_ratios(counties: array, ds: array, rng: random.Random) -> dict[int, tuple[int, int]]:
    totals = Counter()
    for c, d in zip(counties, ds):
        totals[c] += d
    return {c: (max(1, round(t * rng.uniform(0.08, 0.44))), t) for c, t in totals.items() if t}


def _precinct(d: int, rng: random.Random) -> dict:
    """One clean precinct: attendance, both alignments, and a rule-consistent allocation."""
    hidden_d = d or rng.randint(2, 6)  # a satellite still elects delegates; D is just not published
    attendance = max(2, int(hidden_d * rng.uniform(6, 26)))
    first = _first(attendance, rng)
    v = viability_number(attendance, hidden_d)
    final = _final(first, v, rng)
    if sum(final) == 0:
        final = list(first)
    alloc = allocations(dict(zip(NAMES, final)), hidden_d, attendance)
    won = rng.choice(alloc.options) if alloc.options else {}
    return {"d": d, "A": attendance, "first": first, "final": final, "dels": [won.get(c, 0) for c in NAMES],
            "past": max(1, int(attendance * rng.uniform(0.6, 1.4))), "V": v,
            "show_A": rng.random() < 0.6, "blank": set()}


def _inject(p: dict, kind: str, recent: deque, rng: random.Random) -> bool:
    """Apply one kind of mistake in place; False when this precinct cannot show it."""
    first, final, dels, v = p["first"], p["final"], p["dels"], p["V"]
    viable = [i for i, n in enumerate(final) if v is not None and n >= v]
    if kind == "final-gt-first":
        final[max(range(len(final)), key=final.__getitem__)] += rng.randint(1, 6)
    elif kind == "viable-lost-members":
        locked = [i for i in viable if first[i] >= v and final[i] > 2]
        if not locked:
            return False
        final[rng.choice(locked)] -= rng.randint(1, 2)
    elif kind == "delegate-to-nonviable":
        donors, others = [i for i in viable if dels[i]], [i for i in range(len(final)) if i not in viable]
        if not p["d"] or not donors or not others:
            return False
        dels[rng.choice(donors)] -= 1
        dels[max(others, key=final.__getitem__)] += 1
    elif kind == "viable-no-delegate":
        if not p["d"] or len(viable) < 2 or len(viable) > p["d"]:
            return False
        a, b = rng.sample(viable, 2)
        dels[b], dels[a] = dels[a] + dels[b], 0
    elif kind == "delegates-sum":
        if not p["d"] or not viable:
            return False
        dels[rng.choice(viable)] += 1
    elif kind == "swapped-delegates":
        pairs = [(a, b) for a in viable for b in viable if dels[a] > dels[b] and final[a] > final[b]]
        if not p["d"] or not pairs:
            return False
        a, b = rng.choice(pairs)
        dels[a], dels[b] = dels[b], dels[a]
    else:
        return _inject_entry(p, kind, recent, rng)
    return True


def _inject_entry(p: dict, kind: str, recent: deque, rng: random.Random) -> bool:
    """Mistakes of data entry rather than of caucus math."""
    if kind == "missing-stage":
        p["blank"] = {rng.choice(("final", "county_delegates"))}
    elif kind == "partial-stage":
        if p["V"] is None or not any(n >= p["V"] for n in p["first"]):
            return False
        p["blank_first_viable"] = True  # 2020: a first alignment only for the non-viable groups
    elif kind == "identical":
        if not recent:
            return False
        src = rng.choice(recent)
        p.update(first=list(src["first"]), final=list(src["final"]), dels=list(src["dels"]), A=src["A"])
    elif kind == "column-shift":
        if p["final"][-1] != 0 or p["final"][0] != 0 or p["V"] is None:
            return False
        p["final"] = [0] + p["final"][:-1]  # each number one row down, under the next name
    elif kind == "attendance-vs-turnout":
        p["past"] = max(1, p["A"] // 5)
    elif kind == "sde-typo":
        if not any(p["dels"]):
            return False
        p["sde_typo"] = True
    return True


def _rows(county: str, name: str, p: dict, ratio: Fraction | None) -> list[list]:
    rows = []
    typo = p.get("sde_typo")
    for i, cand in enumerate(NAMES):
        first = "" if p.get("blank_first_viable") and p["first"][i] >= p["V"] else p["first"][i]
        final = "" if "final" in p["blank"] else p["final"][i]
        dels = "" if "county_delegates" in p["blank"] else p["dels"][i]
        sde = ""
        if ratio is not None and dels != "":
            value = round_sde(Fraction(dels) * ratio)
            if typo and dels:
                value, typo = value * 10, False  # a misplaced decimal point
            sde = str(value)
        rows.append([county, name, p["d"] or "", cand, first, final, dels,
                     p["A"] if p["show_A"] else "", sde, p["past"]])
    return rows


def generate(n: int, seed: int, rate: float, out: Path, counties_out: Path) -> Counter:
    """Write both files; returns how many mistakes of each kind were injected."""
    rng = random.Random(seed)
    counties, ds = _apportion(n, rng)
    ratios = _county_ratios(counties, ds, rng)
    with open(counties_out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["county", "state_delegates", "county_delegates"])
        for c in sorted(ratios):
            w.writerow([COUNTIES[c], *ratios[c]])
    injected: Counter = Counter()
    recent: deque = deque(maxlen=50)
    serial: Counter = Counter()
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for c, d in zip(counties, ds):
            serial[c] += 1
            p = _precinct(d, rng)
            if rng.random() < rate:
                kind = rng.choice(MISTAKES)
                if _inject(p, kind, recent, rng):
                    injected[kind] += 1
            recent.append(p)
            ratio = Fraction(*ratios[c]) if c in ratios else None
            prefix = "SAT" if not d else COUNTIES[c][:4].upper()
            w.writerows(_rows(COUNTIES[c], f"{prefix}-{serial[c]}", p, ratio))
    return injected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precincts", type=int, default=1765)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--mistake-rate", type=float, default=0.08)
    parser.add_argument("--out", type=Path, default=Path("audit_sample.csv"))
    parser.add_argument("--counties-out", type=Path, default=Path("audit_counties.csv"))
    args = parser.parse_args()
    injected = generate(args.precincts, args.seed, args.mistake_rate, args.out, args.counties_out)
    print(f"wrote {args.out} ({args.precincts} precincts x {len(NAMES)} candidates) and {args.counties_out}",
          file=sys.stderr)
    for kind, count in sorted(injected.items()):
        print(f"  injected {kind:<24} {count}", file=sys.stderr)


if __name__ == "__main__":
    main()
