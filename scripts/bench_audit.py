"""Time `hotline audit` on a statewide file (~25,000 rows) and on a 100x file, with peak memory.

Usage: python scripts/bench_audit.py [--scale 100] [--dir /tmp/audit-bench]
Each audit runs in its own child process so its peak RSS (ru_maxrss) is its own.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import make_audit_sample  # noqa: E402

STATEWIDE = 1765  # precincts; x 14 candidates = 24,710 rows

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
started = time.perf_counter()
from hotline.audit.run import run_audit
imported = time.perf_counter()
with open("/dev/null", "w") as out:
    summary = run_audit({results!r}, {counties!r}, as_json={as_json!r}, out=out)
done = time.perf_counter()
print(json.dumps({{"audit_s": done - imported, "with_imports_s": done - started,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "precincts": summary.precincts, "flagged": summary.flagged}}))
"""


def _audit(results: Path, counties: Path, as_json: bool) -> dict:
    code = CHILD.format(root=str(ROOT), results=str(results), counties=str(counties), as_json=as_json)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    numbers = json.loads(out)
    numbers["process_s"] = time.perf_counter() - started
    return numbers


def _generate(directory: Path, precincts: int, label: str) -> tuple[Path, Path, int]:
    results, counties = directory / f"{label}.csv", directory / f"{label}_counties.csv"
    started = time.perf_counter()
    make_audit_sample.generate(precincts, seed=2020, rate=0.06, out=results, counties_out=counties)
    rows = sum(1 for _ in open(results)) - 1
    print(f"generated {label}: {precincts} precincts, {rows} rows, {results.stat().st_size / 1e6:.1f} MB"
          f" in {time.perf_counter() - started:.1f} s", flush=True)
    return results, counties, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="audit-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    for label, precincts in (("statewide", STATEWIDE), (f"x{args.scale}", STATEWIDE * args.scale)):
        results, counties, rows = _generate(directory, precincts, label)
        for as_json in (True, False):
            n = _audit(results, counties, as_json)
            mode = "--json" if as_json else "table "
            print(f"  audit {label:<9} {rows:>9} rows {mode}: {n['audit_s']:.2f} s audit,"
                  f" {n['process_s']:.2f} s whole process, peak RSS {n['peak_rss_mb']:.0f} MB,"
                  f" {n['flagged']} of {n['precincts']} flagged", flush=True)


if __name__ == "__main__":
    main()
