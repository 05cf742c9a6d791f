#!/usr/bin/env python3
"""Check one precinct's published caucus results against the hotline's signed verification log.

    python3 verify_public.py https://RESULTS-SITE DSM-42 [--public-key B64] [--json] [--photos]

Needs Python 3.9 or later and the `cryptography` package (`pip install cryptography`), nothing
else: this one file is the whole verifier, and it trusts nothing the server computed. It
downloads the precinct's public record (/api/results/precincts/CODE), the proof of the log
entries behind it (.../proof), the latest signed checkpoint (/api/log/checkpoint) and the
signing key (/api/log/public-key), then checks:

1. The checkpoint: its Ed25519 signature verifies with the published key (or the key you pin
   with --public-key, which is stronger: a key from the same server proves only that the server
   signed it), and its key id is the first 16 hex digits of SHA-256 over the raw key.
2. Each log entry behind the figures: SHA-256 of its public form (canonical JSON) is its hash,
   it names this precinct, and the hash's RFC 9162 inclusion path leads to the checkpoint's
   Merkle root. An entry written before public proofs has no public form: only its inclusion
   is checked.
3. The figures: first and final alignment and delegates equal the confirmed report in the
   entry the record names; the coin-toss winners and the photos' SHA-256 equal their entries.
4. The caucus math (2020 Iowa Democratic rules), computed here from scratch in exact
   arithmetic: the viability number, every rule-consistent allocation of the delegates (every
   coin-toss branch), the reported delegates among them, a recorded coin toss that fits them,
   each SDE (delegates x county ratio, rounded half up to 4 decimals), and a final alignment no
   larger than the first.

Exit status: 0 every check passed, 1 a check failed, 2 the checks could not be run (network,
unknown precinct, no checkpoint yet: the server's message is shown).
"""
from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import hashlib
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["Allocation", "Check", "Report", "allocate", "main", "verify", "verify_inclusion",
           "viability_number"]

USER_AGENT = "caucus-hotline-verify-public/1 (+python-urllib)"
TIMEOUT = 10
OK, FAIL, WARN, NOTE = "OK", "FAIL", "WARN", "NOTE"
STAGES = ("first", "final", "delegates")
STAGE_NAMES = {"first": "first alignment", "final": "final alignment", "delegates": "county delegates"}
CHECKPOINT_FIELDS = ("version", "log_size", "head_hash", "merkle_root", "time", "key_id", "algorithm",
                     "signature")
ENUMERATION_LIMIT = 20000  # allocations listed at most when a coin toss is checked

Fetch = Callable[[str], tuple[int, bytes]]
Counts = dict[str, int]


class CannotRun(Exception):
    """The checks could not be run (the message says why)."""


@dataclass
class Check:
    name: str
    status: str  # OK, FAIL, WARN (the figures break a rule but staff explained it), NOTE
    text: str


@dataclass
class Report:
    base_url: str
    code: str
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    record: dict[str, Any] | None = None
    proof: dict[str, Any] | None = None

    def add(self, name: str, status: str, text: str) -> Check:
        check = Check(name, status, text)
        self.checks.append(check)
        return check

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    @property
    def exit_code(self) -> int:
        return 2 if self.error else 1 if self.failed() else 0

    def verdict(self) -> str:
        if self.error:
            return f"COULD NOT CHECK: {self.error}"
        failed = self.failed()
        if failed:
            return f"FAILED: {len(failed)} of {len(self.checks)} checks failed."
        passed = sum(c.status == OK for c in self.checks)
        warned = sum(c.status == WARN for c in self.checks)
        extra = f", {warned} warning{'s' if warned != 1 else ''} (see WARN above)" if warned else ""
        return f"VERIFIED: {passed} checks passed{extra}."

    def lines(self) -> list[str]:
        out = [f"Checking {self.code} at {self.base_url}"]
        out += [f"{c.status:<4} {c.name}: {c.text}" for c in self.checks]
        return out + [self.verdict()]

    def as_dict(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "precinct": self.code, "exit_code": self.exit_code,
                "verdict": self.verdict(), "error": self.error,
                "checks": [{"name": c.name, "status": c.status, "text": c.text} for c in self.checks]}


# --- Hashes, the Merkle tree (RFC 9162) and the signature ----------------------------------------

def canonical(value: Any) -> bytes:
    """Sorted keys, no spaces, ASCII only: the bytes the hotline hashes and signs."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def entry_hash(form: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(form)).hexdigest()


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(data: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: does `path` prove that `data` is leaf `index` (0-based) of the
    tree of `size` leaves whose root is `root`?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, _leaf(data)
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = _node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn //= 2
                sn //= 2
        else:
            r = _node(r, p)
        fn //= 2
        sn //= 2
    return sn == 0 and r == root


def key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def read_public_key(text: str) -> bytes:
    """The raw 32 bytes of an Ed25519 public key given as base64 (raw bytes) or PEM."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError as exc:
            raise CannotRun(f"the public key is not a readable PEM key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise CannotRun("the public key is not an Ed25519 key")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise CannotRun(f"the public key {text[:60]!r} is not base64 of 32 bytes (nor PEM)")
    return raw


def signature_ok(checkpoint: dict[str, Any], raw_key: bytes) -> bool:
    body = {k: v for k, v in checkpoint.items() if k != "signature"}
    try:
        signature = base64.b64decode(str(checkpoint.get("signature", "")), validate=True)
        Ed25519PublicKey.from_public_bytes(raw_key).verify(signature, canonical(body))
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return False
    return True


# --- The caucus math (2020 Iowa Democratic rules), from the rules themselves ---------------------

def viability_number(attendance: int, delegates_to_elect: int) -> int | None:
    """ceil(share x A) in integers; None for D = 1 (no threshold: the largest group wins)."""
    if delegates_to_elect < 2:
        return None
    num, den = (1, 4) if delegates_to_elect == 2 else (1, 6) if delegates_to_elect == 3 else (15, 100)
    return -(-num * attendance // den)


def _nonzero(counts: Counts) -> Counts:
    return {g: int(n) for g, n in counts.items() if n}


def _key(counts: Counts) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(_nonzero(counts).items()))


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    if parts == 1:
        yield (total,)
        return
    for head in range(total, -1, -1):
        for rest in _compositions(total - head, parts - 1):
            yield (head,) + rest


@dataclass
class Allocation:
    """Every rule-consistent allocation of a precinct's delegates.

    `fixed`: allocations the rounding and the one-at-a-time adjustments reach (one per coin-toss
    branch). `free`: states where delegates were still missing and no group had been rounded
    down, so the caucus may give the `missing` ones to any viable group (each a start and a
    count). Allocations list only groups with delegates."""

    delegates_to_elect: int
    attendance: int
    viability: int | None
    viable: tuple[str, ...]
    fixed: dict[tuple[tuple[str, int], ...], Counts] = field(default_factory=dict)
    free: list[tuple[Counts, int]] = field(default_factory=list)

    def contains(self, delegates: Counts) -> bool:
        want = _nonzero(delegates)
        if any(n < 0 for n in want.values()):
            return False
        if _key(want) in self.fixed:
            return True
        if set(want) - set(self.viable) or sum(want.values()) != self.delegates_to_elect:
            return False
        return any(all(want.get(g, 0) >= n for g, n in start.items()) for start, _ in self.free)

    def options(self, limit: int = ENUMERATION_LIMIT) -> list[Counts] | None:
        """Every allocation, or None when there are more than `limit`."""
        out = dict(self.fixed)
        for start, missing in self.free:
            names = list(start)
            for extra in _compositions(missing, len(names)):
                option = _nonzero({g: start[g] + e for g, e in zip(names, extra)})
                out[_key(option)] = option
                if len(out) > limit:
                    return None
        return list(out.values())

    @property
    def coin_toss(self) -> bool:
        found = self.options(2)
        return found is None or len(found) > 1


def allocate(final: Counts, delegates_to_elect: int, attendance: int) -> Allocation:
    """The rule-consistent allocations of D delegates from the final alignment over attendance A."""
    d, a = int(delegates_to_elect), int(attendance)
    if d < 1 or a < 1:
        raise ValueError("delegates to elect and attendance must both be at least 1")
    final = {g: int(n) for g, n in final.items()}
    if d == 1:  # no threshold: the largest final group takes it; equal largest groups toss a coin
        present = {g: n for g, n in final.items() if n > 0}
        alloc = Allocation(d, a, None, tuple(present))
        top = max(present.values(), default=0)
        for g, n in present.items():
            if n == top:
                alloc.fixed[_key({g: d})] = {g: d}
        return alloc
    v = viability_number(a, d)
    assert v is not None
    viable = tuple(g for g, n in final.items() if n >= max(v, 1))
    alloc = Allocation(d, a, v, viable)
    names = sorted(viable)
    raw = [Fraction(final[g] * d, a) for g in names]
    part = [r - (r.numerator // r.denominator) for r in raw]
    start = tuple((2 * final[g] * d + a) // (2 * a) for g in names)  # floor(raw + 1/2)
    todo, seen = [start], set()
    while todo and names:
        state = todo.pop()
        if state in seen:
            continue
        seen.add(state)
        total = sum(state)
        if total == d:
            option = _nonzero(dict(zip(names, state)))
            alloc.fixed[_key(option)] = option
            continue
        if total > d:  # too many: from those rounded up, the smallest fraction gives one back
            up = [i for i, n in enumerate(state) if n > raw[i]]
            # a group's only delegate is kept while another rounded-up group has more than one
            pool = ([i for i in up if state[i] > 1] or up) if up else [i for i, n in enumerate(state) if n > 0]
            low = min(part[i] for i in pool)
            todo += [state[:i] + (state[i] - 1,) + state[i + 1:] for i in pool if part[i] == low]
        else:  # too few: from those rounded down, the largest fraction takes one
            down = [i for i, n in enumerate(state) if n < raw[i]]
            if not down:  # nobody rounded down: any viable group may take the rest
                alloc.free.append((dict(zip(names, state)), d - total))
                continue
            high = max(part[i] for i in down)
            todo += [state[:i] + (state[i] + 1,) + state[i + 1:] for i in down if part[i] == high]
    return alloc


def after_toss(options: list[Counts], winners: Sequence[str]) -> list[Counts]:
    """The allocations a recorded toss leaves: each winner in turn gets the most delegates any
    remaining allocation gives it."""
    left = list(options)
    for winner in winners:
        if not left:
            break
        best = max(o.get(winner, 0) for o in left)
        left = [o for o in left if o.get(winner, 0) == best]
    return left


def sde_scaled(delegates: int, ratio: Fraction) -> int:
    """delegates x ratio in units of 0.0001, rounded half up."""
    value = ratio * delegates
    return (2 * value.numerator * 10 ** 4 + value.denominator) // (2 * value.denominator)


def _four(scaled: int) -> str:
    return f"{scaled // 10000}.{scaled % 10000:04d}"


def counts_text(counts: Counts | None) -> str:
    if not counts:
        return "(none)"
    return ", ".join(f"{g} {n}" for g, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n) or "(none)"


def _differences(published: Counts, logged: Counts) -> str:
    names = sorted(set(published) | set(logged))
    return "; ".join(f"{g} {published.get(g, 0)} published, {logged.get(g, 0)} in the entry" for g in names
                     if published.get(g, 0) != logged.get(g, 0))


# --- Downloading ---------------------------------------------------------------------------------

def url_fetcher(base_url: str, timeout: float = TIMEOUT) -> Fetch:
    """GET base_url + path (or an absolute URL) with urllib: (status, body)."""
    base = base_url.rstrip("/")

    def fetch(path: str) -> tuple[int, bytes]:
        url = path if path.startswith(("http://", "https://")) else base + path
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    return fetch


def _download(fetch: Fetch, path: str, what: str) -> tuple[int, bytes]:
    try:
        status, body = fetch(path)
    except (OSError, ValueError, urllib.error.URLError) as exc:
        raise CannotRun(f"could not download {what} ({path}): {exc}") from None
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return status, body


def _get_json(fetch: Fetch, path: str, what: str) -> Any:
    status, body = _download(fetch, path, what)
    if status != 200:
        message = ""
        try:
            message = str(json.loads(body).get("error") or "")
        except (ValueError, AttributeError):
            message = body[:200].decode("utf-8", "replace").strip()
        raise CannotRun(f"{what} ({path}): HTTP {status}" + (f": {message}" if message else ""))
    try:
        return json.loads(body)
    except ValueError:
        raise CannotRun(f"{what} ({path}) is not JSON") from None


# --- The checks ----------------------------------------------------------------------------------

def verify(base_url: str, code: str, *, fetch: Fetch | None = None, public_key: str | None = None,
           photos: bool = False) -> Report:
    """Run every check on precinct `code` at `base_url`. `fetch(path) -> (status, body)` replaces
    the network (tests); `public_key` pins the signing key (base64 of the raw 32 bytes, or PEM)."""
    code = (code or "").strip().upper()
    report = Report(base_url, code)
    try:
        _run(report, fetch or url_fetcher(base_url), public_key, photos)
    except CannotRun as exc:
        report.error = str(exc)
    return report


def _run(report: Report, fetch: Fetch, pinned: str | None, photos: bool) -> None:
    code = report.code
    pinned_raw = read_public_key(pinned) if pinned else None
    quoted = urllib.parse.quote(code, safe="")
    record = _get_json(fetch, f"/api/results/precincts/{quoted}", "the precinct's record")
    if not isinstance(record, dict):
        raise CannotRun("the precinct's record is not a JSON object")
    report.record = record
    if record.get("status") != "published":
        raise CannotRun(f"{code} is {record.get('status')!r}, not published ({record.get('status_text', '')}); "
                        "only published figures have a proof")
    proof = _get_json(fetch, record.get("proof") or f"/api/results/precincts/{quoted}/proof", "the proof")
    report.proof = proof
    latest = _get_json(fetch, "/api/log/checkpoint", "the latest checkpoint")
    try:
        published_key = _get_json(fetch, "/api/log/public-key", "the signing key")
    except CannotRun:
        if pinned_raw is None:
            raise
        published_key = None
    checkpoint = proof.get("checkpoint") or {}
    _check_checkpoint(report, checkpoint, latest, published_key, pinned_raw)
    entries = _check_entries(report, code, proof, checkpoint, record)
    _check_figures(report, record, entries)
    _check_math(report, record)
    if photos:
        _check_photo_files(report, fetch, record)


def _check_checkpoint(report: Report, checkpoint: dict[str, Any], latest: Any,
                      published: dict[str, Any] | None, pinned: bytes | None) -> None:
    keys: dict[str, bytes] = {}
    if pinned is not None:
        keys[key_id(pinned)] = pinned
        source = "the pinned key"
        if published and published.get("key_id") not in (None, key_id(pinned)):
            report.add("key", NOTE, f"the server now publishes key {published.get('key_id')}; you pinned "
                                    f"{key_id(pinned)}")
    else:
        assert published is not None
        source = "the key the server publishes"
        listed = [published] + list(published.get("previous") or [])
        for item in listed:
            try:
                raw = read_public_key(str(item.get("public_key", "")))
            except CannotRun as exc:
                report.add("key", FAIL, f"published key {item.get('key_id')}: {exc}")
                continue
            if item.get("key_id") != key_id(raw):
                report.add("key", FAIL, f"the published key id {item.get('key_id')} is not SHA-256 of the key "
                                        f"({key_id(raw)})")
                continue
            keys[key_id(raw)] = raw
        report.add("key", NOTE, "the key came from the same server as the figures, so this proves only that "
                                "the server signed them; a key published elsewhere (pass it with --public-key) "
                                "is stronger")
    missing = [f for f in CHECKPOINT_FIELDS if f not in checkpoint]
    extra = sorted(set(checkpoint) - set(CHECKPOINT_FIELDS))
    if missing or extra or checkpoint.get("algorithm") != "Ed25519":
        report.add("signature", FAIL, f"the proof's checkpoint is malformed (missing {missing}, unexpected "
                                      f"{extra}, algorithm {checkpoint.get('algorithm')!r})")
        return
    kid = checkpoint["key_id"]
    what = f"checkpoint of {checkpoint['log_size']} entries signed {checkpoint['time']}"
    if kid not in keys:
        report.add("signature", FAIL, f"the {what} names key {kid}, which is not {source} "
                                      f"({', '.join(sorted(keys)) or 'none'})")
    elif not signature_ok(checkpoint, keys[kid]):
        report.add("signature", FAIL, f"the {what} does not verify with key {kid}: it was altered or "
                                      "not signed by this key")
    else:
        report.add("signature", OK, f"the {what} verifies with {source} {kid} (Ed25519)")
    if not isinstance(latest, dict):
        report.add("latest checkpoint", FAIL, "/api/log/checkpoint is not a JSON object")
    elif latest.get("key_id") not in keys or not signature_ok(latest, keys[latest.get("key_id")]):
        report.add("latest checkpoint", FAIL, "the checkpoint /api/log/checkpoint serves does not verify with "
                                              f"{source}")
    elif latest == checkpoint:
        report.add("latest checkpoint", OK, "the proof uses the latest checkpoint /api/log/checkpoint serves")
    elif not isinstance(latest.get("log_size"), int) or latest["log_size"] <= checkpoint["log_size"]:
        report.add("latest checkpoint", FAIL, f"/api/log/checkpoint serves a different signed checkpoint of "
                                              f"{latest.get('log_size')} entries, not larger than the proof's "
                                              f"{checkpoint['log_size']}: the log was rolled back or forked")
    else:
        report.add("latest checkpoint", NOTE, f"a newer checkpoint ({latest['log_size']} entries) is out; the "
                                              "proof was made against the earlier one")


def _check_entries(report: Report, code: str, proof: dict[str, Any], checkpoint: dict[str, Any],
                   record: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Check every entry in the proof; return the proven public forms by seq (None: not public)."""
    proven: dict[int, Any] = {}
    if proof.get("precinct") != code:
        report.add("proof", FAIL, f"the proof is for {proof.get('precinct')!r}, not {code}")
    try:
        size, root = int(checkpoint.get("log_size")), bytes.fromhex(str(checkpoint.get("merkle_root")))
    except (TypeError, ValueError):
        report.add("proof", FAIL, "the proof's checkpoint has no readable log size or Merkle root")
        return proven
    for e in proof.get("entries") or []:
        seq = e.get("seq")
        roles = ", ".join(e.get("roles") or []) or "no role"
        name = f"entry {seq}"
        problems = []
        try:
            data = bytes.fromhex(str(e.get("hash")))
            path = [bytes.fromhex(h) for h in e.get("path") or []]
        except ValueError:
            data, path = b"", []
            problems.append("its hash or path is not hex")
        if not isinstance(seq, int) or e.get("leaf_index") != seq - 1:
            problems.append(f"leaf index {e.get('leaf_index')!r} is not entry {seq} - 1")
        elif not verify_inclusion(data, seq - 1, size, path, root):
            problems.append(f"its inclusion path does not lead to the checkpoint's Merkle root "
                            f"(leaf {seq - 1} of {size})")
        form = e.get("entry")
        if form is not None:
            if not isinstance(form, dict) or entry_hash(form) != e.get("hash"):
                problems.append("SHA-256 of its public form is not its hash")
            elif form.get("seq") != seq:
                problems.append(f"its public form is entry {form.get('seq')}, not {seq}")
            elif form.get("precinct") != code:
                problems.append(f"it is about {form.get('precinct')!r}, not {code}")
        if problems:
            report.add(name, FAIL, f"({roles}): " + "; ".join(problems))
            continue
        proven[seq] = form
        if form is None:
            report.add(name, NOTE, f"({roles}): included at leaf {seq - 1} of {size}; its content was written "
                                   "before public proofs (no public form), so only its inclusion is checked, "
                                   "not what it says")
        else:
            report.add(name, OK, f"({roles}, {form.get('kind')} at {form.get('at')}): its public form hashes to "
                                 f"{str(e.get('hash'))[:16]}..., names {code}, included at leaf {seq - 1} of {size}")
    in_proof = {(r, e.get("seq")) for e in proof.get("entries") or [] for r in e.get("roles") or []}
    absent = [f"{role} (entry {seq})" for role, seq in (record.get("log_entries") or {}).items()
              if (role, seq) not in in_proof]
    if absent:
        report.add("proof", FAIL, "the record names log entries the proof does not cover: " + ", ".join(absent))
    return proven


def _entry_for(report: Report, record: dict[str, Any], proven: dict[int, Any], role: str, kind: str,
               what: str) -> dict[str, Any] | None:
    """The proven public form behind `role`, or None (after saying why) when there is none to read."""
    seq = (record.get("log_entries") or {}).get(role)
    if seq is None:
        report.add(what, FAIL, f"the record names no log entry for the {what}")
        return None
    if seq not in proven:
        report.add(what, FAIL, f"log entry {seq} behind the {what} is not proven above")
        return None
    form = proven[seq]
    if form is None:
        report.add(what, NOTE, f"log entry {seq} has no public form: the {what} cannot be compared with it")
        return None
    if form.get("kind") != kind:
        report.add(what, FAIL, f"log entry {seq} is a {form.get('kind')!r} entry, not {kind!r}")
        return None
    return form


def _check_figures(report: Report, record: dict[str, Any], proven: dict[int, Any]) -> None:
    confirmed = []
    for stage in STAGES:
        what = STAGE_NAMES[stage]
        form = _entry_for(report, record, proven, stage, "report_confirmed", what)
        if form is None:
            continue
        confirmed.append(form)
        logged = (form.get("detail") or {}).get("stages") or {}
        seq = form.get("seq")
        if stage not in logged:
            report.add(what, FAIL, f"log entry {seq} confirms {', '.join(logged) or 'nothing'}, not the {what}")
            continue
        published = _nonzero(record.get(stage) or {})
        if published != _nonzero(logged[stage]):
            report.add(what, FAIL, f"the published figures differ from log entry {seq}: "
                                   + _differences(published, _nonzero(logged[stage])))
        else:
            report.add(what, OK, f"{counts_text(published)} as confirmed in log entry {seq}")
    attendance = record.get("attendance")
    if record.get("attendance_reported"):
        seqs = [f.get("seq") for f in confirmed if (f.get("detail") or {}).get("attendance") == attendance]
        if seqs:
            report.add("attendance", OK, f"{attendance}, as confirmed in log entry {seqs[0]}")
        else:
            report.add("attendance", NOTE, f"{attendance} came with an earlier confirmed report, not one of the "
                                           "entries proven here")
    else:
        first_total = sum((record.get("first") or {}).values())
        if attendance == first_total:
            report.add("attendance", OK, f"not reported, so the first-alignment total {first_total} is used")
        else:
            report.add("attendance", FAIL, f"not reported, yet {attendance} is used instead of the "
                                           f"first-alignment total {first_total}")
    explained = record.get("explained")
    if explained:
        form = _entry_for(report, record, proven, "explained", "report_explained", "explanation")
        if form is not None:
            report.add("explanation", OK, f"staff explained a failed check (log entry {form.get('seq')})")
    toss = record.get("coin_toss")
    if toss:
        form = _entry_for(report, record, proven, "coin_toss", "coin_toss_recorded", "coin toss")
        if form is not None:
            detail = form.get("detail") or {}
            if list(detail.get("winners") or []) != list(toss.get("winners") or []) or \
                    list(detail.get("groups") or []) != list(toss.get("groups") or []):
                report.add("coin toss", FAIL, f"published winners {toss.get('winners')} of {toss.get('groups')}, "
                                              f"log entry {form.get('seq')} has {detail.get('winners')} of "
                                              f"{detail.get('groups')}")
            else:
                report.add("coin toss", OK, f"won by {', '.join(toss.get('winners') or [])} among "
                                            f"{', '.join(toss.get('groups') or [])}, as logged in entry "
                                            f"{form.get('seq')}")
    for photo in record.get("photos") or []:
        sha = photo.get("sha256")
        what = f"photo {str(sha)[:12]}"
        form = _entry_for(report, record, proven, f"photo:{sha}", "photo_stored", what)
        if form is not None:
            detail = form.get("detail") or {}
            if detail.get("sha256") != sha or detail.get("bytes") != photo.get("bytes"):
                report.add(what, FAIL, f"log entry {form.get('seq')} stored {detail.get('sha256')} "
                                       f"({detail.get('bytes')} bytes), not the published photo")
            else:
                report.add(what, OK, f"SHA-256 and size ({photo.get('bytes')} bytes) as stored in log entry "
                                     f"{form.get('seq')}")
        role = f"photo_mark:{sha}"
        if role not in (record.get("log_entries") or {}):
            if photo.get("mark"):
                report.add(what, FAIL, f"marked {photo.get('mark')!r} but no log entry records the mark")
            else:
                report.add(what, NOTE, "not yet checked against the report (published as soon as stored)")
            continue
        form = _entry_for(report, record, proven, role, "photo_marked", what + " mark")
        if form is not None:
            outcome = (form.get("detail") or {}).get("outcome")
            if (form.get("detail") or {}).get("sha256") != sha or outcome != photo.get("mark"):
                report.add(what + " mark", FAIL, f"log entry {form.get('seq')} marks it {outcome!r}, the record "
                                                 f"says {photo.get('mark')!r}")
            elif outcome != "matches":
                report.add(what + " mark", NOTE, f"staff marked it {outcome!r} (log entry {form.get('seq')}); it "
                                                 "is published because the server publishes photos at once")
            else:
                report.add(what + " mark", OK, f"staff marked it as matching the report (log entry "
                                               f"{form.get('seq')})")


def _check_math(report: Report, record: dict[str, Any]) -> None:
    first, final = record.get("first") or {}, record.get("final") or {}
    delegates = _nonzero(record.get("delegates") or {})
    explained = bool(record.get("explained"))
    broken = WARN if explained else FAIL
    why = " (published because staff explained a failed check)" if explained else ""
    total_first, total_final = sum(first.values()), sum(final.values())
    if total_final <= total_first:
        report.add("totals", OK, f"final alignment {total_final} <= first alignment {total_first}")
    else:
        report.add("totals", broken, f"final alignment {total_final} > first alignment {total_first}: nobody joins "
                                     f"after the first count{why}")
    d, a = record.get("delegates_to_elect"), record.get("attendance")
    if d is None:
        report.add("caucus math", NOTE, "a satellite caucus (no delegates to elect published): counts only")
    elif not isinstance(a, int) or a < 1 or not isinstance(d, int) or d < 1:
        report.add("caucus math", FAIL, f"cannot apply the rules to D={d!r}, attendance {a!r}")
    else:
        _check_allocation(report, record, d, a, final, delegates, broken, why)
    ratio_text = record.get("county_ratio")
    if ratio_text is None:
        report.add("SDEs", NOTE, "no county ratio is published, so the SDEs are not checked")
        return
    try:
        ratio = Fraction(str(ratio_text))
    except (ValueError, ZeroDivisionError):
        report.add("SDEs", FAIL, f"the county ratio {ratio_text!r} is not a fraction")
        return
    sde = record.get("sde") or {}
    wrong = []
    for group in sorted(set(sde) | set(record.get("delegates") or {})):
        want = sde_scaled(int((record.get("delegates") or {}).get(group, 0)), ratio)
        try:
            got = Decimal(str(sde.get(group)))
            ok = got == Decimal(want).scaleb(-4)
        except InvalidOperation:
            ok = False
        if not ok:
            wrong.append(f"{group} {sde.get(group)} published, {_four(want)} by the rules")
    if wrong:
        report.add("SDEs", FAIL, "; ".join(wrong))
    else:
        shown = ", ".join(f"{g} {_four(sde_scaled(n, ratio))}" for g, n in
                          sorted(delegates.items(), key=lambda kv: (-kv[1], kv[0])))
        report.add("SDEs", OK, f"delegates x county ratio {ratio_text}, rounded half up to 4 places: "
                               f"{shown or 'none'}")


def _check_allocation(report: Report, record: dict[str, Any], d: int, a: int, final: Counts,
                      delegates: Counts, broken: str, why: str) -> None:
    alloc = allocate(final, d, a)
    if alloc.viability is None:
        report.add("viability", OK, "D = 1: no threshold, the largest final group takes the delegate")
    elif record.get("viability") != alloc.viability:
        report.add("viability", FAIL, f"published {record.get('viability')}, the rules give {alloc.viability} "
                                      f"(D = {d}, attendance {a})")
    else:
        share = "25%" if d == 2 else "1/6" if d == 3 else "15%"
        report.add("viability", OK, f"{share} of {a} attendees rounded up is {alloc.viability} (D = {d}); "
                                    f"viable: {', '.join(alloc.viable) or 'none'}")
    options = alloc.options()
    count = f"more than {ENUMERATION_LIMIT}" if options is None else str(len(options))
    listed = "" if options is None or len(options) > 4 else ": " + " or ".join(counts_text(o) for o in options)
    if alloc.contains(delegates):
        toss = " (a coin toss decides among them)" if options is None or len(options) > 1 else ""
        report.add("delegates", OK, f"{counts_text(delegates)} is one of the {count} rule-consistent "
                                    f"allocation{'s' if count != '1' else ''}{toss}{listed}")
    else:
        report.add("delegates", broken, f"{counts_text(delegates)} is not a rule-consistent allocation; the rules "
                                        f"give {count} allocation{'s' if count != '1' else ''}{listed}{why}")
    toss = record.get("coin_toss")
    if not toss:
        return
    if options is None:
        report.add("coin toss math", NOTE, "too many allocations to list, so the toss is not checked against them")
        return
    left = after_toss(options, toss.get("winners") or [])
    if any(o == delegates for o in left):
        report.add("coin toss math", OK, f"with {', '.join(toss.get('winners') or [])} winning, each in turn taking "
                                         f"the most delegates left, the delegates fit the toss")
    else:
        shown = " or ".join(counts_text(o) for o in left[:4]) or "no allocation"
        report.add("coin toss math", broken, f"the recorded toss leaves {shown}, not {counts_text(delegates)}{why}")


def _check_photo_files(report: Report, fetch: Fetch, record: dict[str, Any]) -> None:
    code = urllib.parse.quote(str(record.get("precinct")), safe="")
    for photo in record.get("photos") or []:
        sha = str(photo.get("sha256"))
        what = f"photo {sha[:12]} file"
        urls = [u for u in (photo.get("url"), f"/results/precincts/{code}/photos/{sha}") if u]
        status, body = 0, b""
        for url in urls:
            try:
                status, body = fetch(url)
            except (OSError, ValueError, urllib.error.URLError) as exc:
                status, body = 0, str(exc).encode()
            if status == 200:
                break
        if status != 200:
            report.add(what, FAIL, f"could not download it ({', '.join(urls)}): HTTP {status}")
        elif hashlib.sha256(body).hexdigest() != sha:
            report.add(what, FAIL, f"the downloaded {len(body)} bytes hash to {hashlib.sha256(body).hexdigest()}")
        else:
            report.add(what, OK, f"the downloaded {len(body)} bytes hash to its SHA-256")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a precinct's published caucus results against the "
                                                 "hotline's signed verification log and the caucus rules.")
    parser.add_argument("url", help="the results site, e.g. https://results.example.org")
    parser.add_argument("code", help="the precinct code, e.g. DSM-42")
    parser.add_argument("--public-key", metavar="B64",
                        help="the signing key, published elsewhere (base64 of its 32 bytes, or PEM)")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.add_argument("--photos", action="store_true", help="also download each photo and check its SHA-256")
    args = parser.parse_args(argv)
    report = verify(args.url, args.code, public_key=args.public_key, photos=args.photos)
    print(json.dumps(report.as_dict(), indent=2) if args.json else "\n".join(report.lines()))
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
