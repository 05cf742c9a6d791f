"""Signed checkpoints of the verification log: the document, its signed bytes, the Merkle root
(RFC 9162), and how a log compares with a checkpoint. Pure standard library.

A checkpoint says "the log had `log_size` entries; entry `log_size` had hash `head_hash`; the
RFC 9162 Merkle tree hash over the hashes of entries 1..`log_size` was `merkle_root`", signed
with Ed25519 over the canonical JSON of every field but `signature`. It holds no personal data.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timezone

VERSION = 1
ALGORITHM = "Ed25519"
# The fields in the order a checkpoint file lists them; `signature` is over all the others.
FIELDS = ("version", "log_size", "head_hash", "merkle_root", "time", "key_id", "algorithm", "signature")

_HEX64 = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class MalformedCheckpoint(ValueError):
    """The text is not a version-1 checkpoint; the message says what is wrong."""


# --- The Merkle tree hash of RFC 9162, section 2.1.1 -------------------------------------------
# MTH({}) = SHA-256(), MTH({d0}) = SHA-256(0x00 || d0), and for n > 1, with k the largest power
# of two below n: MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])). A leaf is the 32 raw
# bytes of one log entry's hash, in log order.

def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


class MerkleFrontier:
    """The RFC 9162 tree hash of a growing list of leaves, in O(log n) memory.

    It keeps the roots of the perfect subtrees the leaves so far make up (largest first); the
    tree hash of the first n leaves folds them from the right, which is what RFC 9162's
    split at the largest power of two below n comes to.
    """

    __slots__ = ("size", "_stack")

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []

    def add(self, data: bytes) -> None:
        node = leaf_hash(data)
        self.size += 1
        n = self.size
        while not n & 1:  # each trailing 1-bit of size-1 closed a perfect subtree: merge it
            node = node_hash(self._stack.pop(), node)
            n >>= 1
        self._stack.append(node)

    def copy(self) -> MerkleFrontier:
        twin = MerkleFrontier()
        twin.size, twin._stack = self.size, list(self._stack)
        return twin

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


def merkle_root(leaves: Iterable[bytes]) -> bytes:
    """MTH over `leaves` (RFC 9162 section 2.1.1)."""
    tree = MerkleFrontier()
    for leaf in leaves:
        tree.add(leaf)
    return tree.root()


class MerkleLevels:
    """Every perfect, aligned subtree root over a fixed list of leaves: level j holds the roots
    of leaves [i * 2^j, (i + 1) * 2^j). Built once per signed checkpoint, it answers inclusion
    proofs (RFC 9162 section 2.1.3.1) in O(log^2 n) hashes without reading the leaves again."""

    def __init__(self, leaves: Iterable[bytes]) -> None:
        level = [leaf_hash(data) for data in leaves]
        self.size = len(level)
        self.levels = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self.levels.append(level)

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for the ranges RFC 9162's recursion meets."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            return self.levels[n.bit_length() - 1][start // n]
        k = _split(n)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self) -> bytes:
        return self.subtree(0, self.size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]): the audit path for leaf `index` (0-based) in the tree of the
        first `size` leaves (all of them by default)."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise IndexError(f"leaf {index} is not in a tree of {size} leaves")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:  # RFC 9162's recursion, unrolled from the top
            k = _split(end - start)
            if index - start < k:
                path.append(self.subtree(start + k, end))
                end = start + k
            else:
                path.append(self.subtree(start, start + k))
                start += k
        return list(reversed(path))  # the RFC lists the path from the leaf up


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """Whether `path` proves that `leaf` (the raw data, e.g. an entry's 32-byte hash) is leaf
    `index` (0-based) of the tree of `size` leaves whose root is `root` (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash(leaf)
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def entry_leaf(entry_hash: str) -> bytes:
    """The leaf for one entry: its hash's 32 bytes (a hash that is not hex still gets a leaf)."""
    try:
        return bytes.fromhex(entry_hash)
    except ValueError:
        return entry_hash.encode()


# --- The document ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Checkpoint:
    version: int
    log_size: int
    head_hash: str
    merkle_root: str
    time: str
    key_id: str
    algorithm: str
    signature: str  # base64 of the 64-byte Ed25519 signature over `signed_bytes()`

    def body(self) -> dict[str, object]:
        """Every field but the signature: what is signed."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "signature"}

    def signed_bytes(self) -> bytes:
        return canonical(self.body())

    def signature_bytes(self) -> bytes:
        return base64.b64decode(self.signature, validate=True)

    def to_json(self) -> str:
        """The file's text: the fields in their usual order, one per line."""
        return json.dumps({name: getattr(self, name) for name in FIELDS}, indent=2) + "\n"

    def file_name(self) -> str:
        return file_name(self.log_size)

    def describe(self) -> str:
        return f"the checkpoint of {self.log_size} entries signed at {self.time} (key {self.key_id})"


def canonical(body: Mapping[str, object]) -> bytes:
    """JSON with sorted keys, no spaces, ASCII only: for these fields (a few ASCII strings and
    non-negative integers) the same bytes as RFC 8785's canonical form."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def file_name(log_size: int) -> str:
    return f"checkpoint-{log_size:012d}.json"


def utc_time(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def unsigned(log_size: int, head_hash: str, root: bytes, at: datetime, key_id: str) -> dict[str, object]:
    """The body of a new checkpoint, ready to be signed (`canonical(...)`)."""
    return {"version": VERSION, "log_size": log_size, "head_hash": head_hash, "merkle_root": root.hex(),
            "time": utc_time(at), "key_id": key_id, "algorithm": ALGORITHM}


def signed(body: Mapping[str, object], signature: bytes) -> Checkpoint:
    return Checkpoint(**body, signature=base64.b64encode(signature).decode("ascii"))  # type: ignore[arg-type]


def parse(text: str | bytes) -> Checkpoint:
    """Read a checkpoint's JSON; MalformedCheckpoint says what is wrong (the signature is not checked)."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedCheckpoint(f"not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise MalformedCheckpoint("not a JSON object")
    missing = [f for f in FIELDS if f not in data]
    extra = sorted(set(data) - set(FIELDS))
    if missing or extra:
        raise MalformedCheckpoint("; ".join(filter(None, [
            missing and "missing " + ", ".join(missing), extra and "unexpected " + ", ".join(extra)])))
    if data["version"] != VERSION or isinstance(data["version"], bool):
        raise MalformedCheckpoint(f"version {data['version']!r}; this hotline reads version {VERSION}")
    if data["algorithm"] != ALGORITHM:
        raise MalformedCheckpoint(f"algorithm {data['algorithm']!r}; expected {ALGORITHM}")
    size = data["log_size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise MalformedCheckpoint(f"log_size {size!r} is not a positive whole number")
    for name, pattern in (("head_hash", _HEX64), ("merkle_root", _HEX64), ("key_id", _KEY_ID), ("time", _TIME)):
        if not isinstance(data[name], str) or not pattern.fullmatch(data[name]):
            raise MalformedCheckpoint(f"{name} {data[name]!r} is not in the expected form")
    try:
        raw = base64.b64decode(data["signature"], validate=True) if isinstance(data["signature"], str) else b""
    except binascii.Error:
        raw = b""
    if len(raw) != 64:
        raise MalformedCheckpoint("signature is not 64 bytes of base64")
    return Checkpoint(**{name: data[name] for name in FIELDS})


# --- A log against a checkpoint ----------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    """How the log (`log_size` entries now) stands against a signed checkpoint."""

    checkpoint: Checkpoint
    log_size: int
    problem: str | None = None      # None: the log extends the checkpoint
    matches_up_to: int = 0          # the largest checkpointed size the log still matches (0: none)
    differs_by: int | None = None   # the first difference is at or before this entry

    @property
    def ok(self) -> bool:
        return self.problem is None

    def message(self) -> str:
        if self.problem is None:
            return (f"The log ({self.log_size} entries) extends {self.checkpoint.describe()}.")
        return self.problem


def compare(checkpoint: Checkpoint, log_size: int, seen: Mapping[int, tuple[str, str]],
            others: Sequence[Checkpoint] = ()) -> Comparison:
    """Judge the log against `checkpoint`.

    `seen`: for each checkpointed size the log reaches, (hash of that entry, hex Merkle root of
    entries 1..size) as the log has them now. `others`: more signed checkpoints (already
    authenticated) that bound where the first difference lies.
    """
    def matches(c: Checkpoint) -> bool:
        return seen.get(c.log_size) == (c.head_hash, c.merkle_root)

    if matches(checkpoint):
        return Comparison(checkpoint, log_size)
    n, at = checkpoint.log_size, checkpoint.time
    if log_size < n:
        problem = (f"rolled back or truncated: the log has {log_size} entries, "
                   f"the checkpoint signed {n} at {at}")
    elif seen.get(n, ("", ""))[0] != checkpoint.head_hash:
        problem = (f"rewritten or forked: entry {n} is not the one the checkpoint signed at {at} "
                   f"(its hash is now {seen.get(n, ('?',))[0][:16]}..., "
                   f"the checkpoint has {checkpoint.head_hash[:16]}...)")
    else:
        problem = (f"rewritten: entry {n} is as signed at {at}, but the Merkle root over entries 1 to "
                   f"{n} is not the signed one")
    below = [c for c in others if c.log_size < n]
    good = max((c.log_size for c in below if matches(c)), default=0)
    bad = min((c.log_size for c in below if c.log_size > good and not matches(c)), default=n)
    if good:
        problem += (f"; the log matches the checkpoint of {good} entries, so the first difference is "
                    f"between entries {good + 1} and {bad}")
    else:
        problem += f"; no earlier checkpoint matches, so the first difference is between entries 1 and {bad}"
    return Comparison(checkpoint, log_size, problem, good, bad)
