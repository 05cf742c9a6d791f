"""The standalone verifier's own caucus math and Merkle proofs agree with the product's engine.

verify_public.py is served to the public and must not import the product, so it carries its own
compact implementation of the rules (written from caucus-rules.md). Here it meets the product's
engine on the worked examples and on thousands of random precincts, coin tosses included.
"""
from __future__ import annotations

import ast
import random
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

from hotline.domain import caucus_math, coin_toss
from hotline.domain import checkpoint as cp
from hotline.verifier import verify_public as vp

SCRIPT = Path(vp.__file__)


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {g: n for g, n in counts.items() if n}


def keyset(options) -> set[tuple[tuple[str, int], ...]]:
    return {tuple(sorted(nonzero(o).items())) for o in options}


def disagreements(final: dict[str, int], d: int, attendance: int, rng: random.Random) -> list[str]:
    """Every way the verifier's math differs from the engine's on one precinct (empty: none)."""
    theirs = caucus_math.allocations(final, d, attendance)
    mine = vp.allocate(final, d, attendance)
    out = []
    if mine.viability != theirs.viability:
        out.append(f"viability {mine.viability} != {theirs.viability}")
    if set(mine.viable) != set(theirs.viable):
        out.append(f"viable {mine.viable} != {theirs.viable}")
    listed = mine.options(limit=5000)
    if not theirs.truncated:
        if listed is None or keyset(listed) != keyset(theirs.options):
            out.append(f"options {listed} != {[nonzero(o) for o in theirs.options]}")
        if mine.coin_toss != theirs.coin_toss:
            out.append(f"coin toss {mine.coin_toss} != {theirs.coin_toss}")
        for winner_count in (1, 2):
            winners = rng.sample(list(theirs.tied_groups), min(winner_count, len(theirs.tied_groups)))
            if listed is not None and keyset(vp.after_toss(listed, winners)) != keyset(
                    coin_toss.consistent_options(theirs, winners)):
                out.append(f"toss {winners} leaves different allocations")
    # Membership, for the engine's options and near misses of them.
    candidates = [dict(o) for o in theirs.options[:50]]
    for option in list(candidates):
        names = list(final)
        moved = dict(option)
        a, b = rng.choice(names), rng.choice(names)
        if moved.get(a, 0) > 0:
            moved[a] -= 1
            moved[b] = moved.get(b, 0) + 1
            candidates.append(moved)
    for option in candidates:
        if mine.contains(option) != theirs.is_consistent(option):
            out.append(f"contains({nonzero(option)}) {mine.contains(option)} != {theirs.is_consistent(option)}")
    return out


# --- the worked examples of caucus-rules.md ----------------------------------------------------

@pytest.mark.parametrize("attendance, d, expected", [
    (19, 3, 4), (18, 3, 3), (100, 2, 25), (101, 2, 26), (200, 7, 30), (201, 7, 31), (667, 4, 101), (40, 8, 6),
    (10, 1, None)])
def test_viability_numbers(attendance, d, expected):
    assert vp.viability_number(attendance, d) == expected == caucus_math.viability_number(attendance, d)


@pytest.mark.parametrize("final, d, attendance, expected", [
    ({"A": 100, "B": 50, "C": 50}, 7, 200, [{"A": 3, "B": 2, "C": 2}]),
    ({"A": 75, "B": 15}, 3, 90, [{"A": 2, "B": 1}]),
    ({"A": 10, "B": 5, "C": 4}, 3, 19, [{"A": 1, "B": 1, "C": 1}]),
    ({"A": 6, "B": 8, "C": 8, "D": 9, "E": 9}, 8, 40,
     [{"A": 1, "B": 1, "C": 2, "D": 2, "E": 2}, {"A": 1, "B": 2, "C": 1, "D": 2, "E": 2}]),
])
def test_the_worked_examples(final, d, attendance, expected):
    mine = vp.allocate(final, d, attendance)
    assert keyset(mine.options()) == keyset(expected)
    assert disagreements(final, d, attendance, random.Random(1)) == []
    assert not mine.contains({"A": 2, "B": 1}) or final == {"A": 75, "B": 15}  # 19 attendees: 2/1/0 is wrong


def test_a_largest_group_tie_with_one_delegate_is_a_coin_toss():
    mine = vp.allocate({"A": 7, "B": 7, "C": 3}, 1, 17)
    assert keyset(mine.options()) == {(("A", 1),), (("B", 1),)} and mine.coin_toss
    assert vp.after_toss(mine.options(), ["B"]) == [{"B": 1}]


def test_free_delegates_are_recognised_beyond_the_listing_limit():
    # Three groups at the viability number, each rounded up (4.5 -> 5), 15 delegates left over
    # and nobody rounded down: any viable group may take them (136 ways).
    final = {"G0": 30, "G1": 30, "G2": 30, "G3": 5}
    mine = vp.allocate(final, 30, 200)
    assert mine.free and mine.options(limit=100) is None and len(mine.options(limit=1000)) == 136
    assert mine.contains({"G0": 20, "G1": 5, "G2": 5})
    assert not mine.contains({"G0": 21, "G1": 5, "G2": 4})  # G2 loses a delegate it had
    assert not mine.contains({"G0": 19, "G1": 5, "G2": 5, "G3": 1})  # G3 is not viable
    assert disagreements(final, 30, 200, random.Random(2)) == []


# --- random precincts ----------------------------------------------------------------------------

def random_precinct(rng: random.Random) -> tuple[dict[str, int], int, int]:
    d = rng.randint(1, 12)
    scale = rng.choice([4, 10, 30, 100, 400])
    final = {f"G{i}": rng.randint(0, scale) for i in range(rng.randint(1, 7))}
    if len(final) > 1 and rng.random() < 0.4:  # equal groups make coin tosses
        names = list(final)
        final[names[1]] = final[names[0]]
    total = sum(final.values())
    attendance = max(1, total + rng.choice([0, 0, 0, 1, 2, 5, 20, 3 * total, -1]))
    return final, d, attendance


def test_the_verifiers_math_agrees_with_the_engine_on_random_precincts():
    rng = random.Random(20200203)
    kinds: Counter[str] = Counter()
    for _ in range(4000):
        final, d, attendance = random_precinct(rng)
        problems = disagreements(final, d, attendance, rng)
        assert problems == [], (final, d, attendance, problems)
        theirs = caucus_math.allocations(final, d, attendance)
        kinds["toss"] += theirs.coin_toss
        kinds["free"] += any(t.kind == "free" for t in theirs.ties)
        kinds["over"] += any(t.kind == "over" for t in theirs.ties)
        kinds["under"] += any(t.kind == "under" for t in theirs.ties)
        kinds["truncated"] += theirs.truncated
    # the sample exercises every branch, or agreeing would prove little
    assert min(kinds["toss"], kinds["free"], kinds["over"], kinds["under"]) >= 20, kinds


def test_a_wrong_rule_is_caught_by_the_comparison(monkeypatch):
    """The comparison can fail: a verifier that forgot the only-delegate protection disagrees."""
    real = vp.allocate

    def careless(final, d, attendance):
        alloc = real(final, d, attendance)
        if d == 3 and attendance == 19:
            alloc.fixed = {(("A", 2), ("B", 1)): {"A": 2, "B": 1}}
        return alloc

    monkeypatch.setattr(vp, "allocate", careless)
    assert disagreements({"A": 10, "B": 5, "C": 4}, 3, 19, random.Random(3)) != []


def test_sdes_round_half_up_like_the_engine():
    rng = random.Random(7)
    for _ in range(3000):
        ratio = Fraction(rng.randint(1, 60), rng.randint(1, 400))
        d = rng.randint(0, 36)
        theirs = caucus_math.sde({"X": d}, ratio)["X"]
        assert vp._four(vp.sde_scaled(d, ratio)) == f"{theirs:.4f}"
    assert vp._four(vp.sde_scaled(3, Fraction(4, 51))) == "0.2353"


# --- the Merkle proof --------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 33])
def test_inclusion_proofs_of_the_product_check_and_tampered_ones_do_not(n):
    leaves = [bytes([i]) * 32 for i in range(n)]
    levels = cp.MerkleLevels(leaves)
    root = levels.root()
    for i in range(n):
        path = levels.inclusion_proof(i)
        assert vp.verify_inclusion(leaves[i], i, n, path, root)
        assert not vp.verify_inclusion(b"\xff" * 32, i, n, path, root)
        if path:
            bad = list(path)
            bad[0] = bytes(32)
            assert not vp.verify_inclusion(leaves[i], i, n, bad, root)
        if n > 1:
            assert not vp.verify_inclusion(leaves[i], (i + 1) % n, n, path, root)


def test_the_entry_hash_is_the_products():
    from datetime import datetime, timezone

    from hotline.domain import log_entry
    form = log_entry.public_form(7, datetime(2026, 2, 3, 22, 4, tzinfo=timezone.utc), "report_confirmed",
                                 "DSM-42", "ab" * 32, {"stages": {"final": {"Warren": 32}}, "note": "é"},
                                 "0" * 64)
    assert vp.entry_hash(form) == log_entry.public_hash(form)


# --- it stands alone ---------------------------------------------------------------------------

def test_the_script_imports_only_the_standard_library_and_cryptography():
    allowed = set(sys.stdlib_module_names) | {"cryptography", "__future__"}
    found = set()
    for node in ast.walk(ast.parse(SCRIPT.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            found.add((node.module or "").split(".")[0])
    assert "hotline" not in found
    assert found <= allowed, found - allowed
